#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Proves the java-check guest: the host's JVMs run, network namespaces can
# be made and given AF_COM domains, and files reach the host.
#
#   make -C kernel-module java-check E2E=$PWD/kernel-module/test/java-smoke.sh
#
# Runs as root inside the guest, chrooted into the host's root (read-only),
# with COMSOCK_E2E_OUT a writable directory that the host sees afterwards.
set -u

ok() {
	echo "ok - $*"
}

notok() {
	echo "not ok - $*"
}

# check <description> <command...>
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

tmp=$(mktemp -d)

# ---- the JVMs ------------------------------------------------------------

jvm() {
	# jvm <name> <java_home>
	t0=$(date +%s)
	if "$2/bin/java" -version >"$tmp/$1.version" 2>&1; then
		ok "$1 runs"
		echo "#   $(sed -n 1p "$tmp/$1.version"), $(($(date +%s) - t0)) s"
	else
		notok "$1 runs"
		sed 's/^/#   /' "$tmp/$1.version"
	fi
}

jvm "java 17" /usr/lib/jvm/java-17-openjdk-amd64
if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
	jvm "java 25" /usr/lib/jvm/temurin-25-jdk-amd64
else
	echo "# no /usr/lib/jvm/temurin-25-jdk-amd64 on this host"
fi

# ---- namespaces and domains ----------------------------------------------

check "the guest has no network device but lo" \
	test "$(ls /sys/class/net)" = lo
check "/proc/net/comsock exists in the initial namespace" \
	test -e /proc/net/comsock
check "the initial namespace is domain 0" \
	test "$(cat /proc/sys/net/com/domain_id)" = 0

# nsproc <id>: a process in a new network namespace with domain <id>,
# loopback up; it records what it sees and waits to be killed
nsproc() {
	unshare -n sh -c '
		d=$1/ns$2
		cat /proc/sys/net/com/domain_id >$d.before
		echo $2 >/proc/sys/net/com/domain_id || echo failed >$d.write
		cat /proc/sys/net/com/domain_id >$d.id
		ip link set lo up && ip -o link show lo >$d.lo
		test -e /proc/net/comsock && cat /proc/net/comsock >$d.proc
		touch $d.ready
		exec sleep 600
	' nsproc "$tmp" "$1" &
}

# wait_file <file>: up to 60 s
wait_file() {
	i=0
	while [ ! -e "$1" ] && [ "$i" -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	test -e "$1"
}

nsproc 1
pid1=$!
nsproc 2
pid2=$!

for n in 1 2; do
	if ! wait_file "$tmp/ns$n.ready"; then
		notok "namespace $n: set up within 60 s"
		continue
	fi
	check "namespace $n: a new namespace has no domain (-1)" \
		test "$(cat "$tmp/ns$n.before")" = -1
	check "namespace $n: writing $n to net.com.domain_id succeeds" \
		test ! -e "$tmp/ns$n.write"
	check "namespace $n: cat /proc/sys/net/com/domain_id gives $n" \
		test "$(cat "$tmp/ns$n.id")" = "$n"
	check "namespace $n: /proc/net/comsock exists" \
		test -e "$tmp/ns$n.proc"
	check "namespace $n: loopback is up" \
		grep -q '<LOOPBACK,UP' "$tmp/ns$n.lo"
done

# seen from outside, through nsenter
check "nsenter: namespace 1 reads 1, namespace 2 reads 2" \
	test "$(nsenter -t "$pid1" -n cat /proc/sys/net/com/domain_id)$(nsenter -t "$pid2" -n cat /proc/sys/net/com/domain_id)" = 12
check "the initial namespace is still domain 0" \
	test "$(cat /proc/sys/net/com/domain_id)" = 0

# ids are unique while their namespace lives
if unshare -n sh -c 'echo 1 >/proc/sys/net/com/domain_id' 2>/dev/null; then
	notok "domain id 1 is refused in a third namespace while in use"
else
	ok "domain id 1 is refused in a third namespace while in use"
fi

# a JVM inside a namespace with a domain
if nsenter -t "$pid1" -n /usr/lib/jvm/java-17-openjdk-amd64/bin/java -version \
	>"$tmp/ns1.java" 2>&1; then
	ok "java 17 runs inside namespace 1"
else
	notok "java 17 runs inside namespace 1"
	sed 's/^/#   /' "$tmp/ns1.java"
fi

# an AF_COM socket from Java (the foreign function API of Java 22 and
# later), in the initial namespace and in namespace 1
j25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
if [ -x "$j25" ]; then
	cat >"$tmp/ComSocket.java" <<'JAVA'
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import static java.lang.foreign.ValueLayout.JAVA_INT;

public class ComSocket {
	public static void main(String[] args) throws Throwable {
		int family = Integer.parseInt(args[0]);
		Linker l = Linker.nativeLinker();
		SymbolLookup libc = l.defaultLookup();
		MethodHandle socket = l.downcallHandle(libc.find("socket").orElseThrow(),
			FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
		MethodHandle close = l.downcallHandle(libc.find("close").orElseThrow(),
			FunctionDescriptor.of(JAVA_INT, JAVA_INT));
		int fd = (int) socket.invokeExact(family, 1, 0);	/* SOCK_STREAM */
		if (fd < 0) {
			System.out.println("socket() failed");
			System.exit(1);
		}
		System.out.println(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)));
		System.exit((int) close.invokeExact(fd) == 0 ? 0 : 1);
	}
}
JAVA
	fam=$(cat /sys/module/comsock/parameters/family)
	for where in initial 1; do
		if [ "$where" = initial ]; then
			set --
		else
			set -- nsenter -t "$pid1" -n
		fi
		if "$@" "$j25" --enable-native-access=ALL-UNNAMED \
			"$tmp/ComSocket.java" "$fam" >"$tmp/cs.out" 2>&1 &&
			grep -q '^socket:\[' "$tmp/cs.out"; then
			ok "java 25 opens an AF_COM socket (family $fam) in namespace $where"
		else
			notok "java 25 opens an AF_COM socket (family $fam) in namespace $where"
			sed 's/^/#   /' "$tmp/cs.out"
		fi
	done
fi

kill "$pid1" "$pid2" 2>/dev/null
wait

# ---- results back to the host --------------------------------------------

if [ -n "${COMSOCK_E2E_OUT:-}" ] && [ -d "$COMSOCK_E2E_OUT" ]; then
	f=$COMSOCK_E2E_OUT/java-smoke.txt
	{
		echo "java-smoke: written in the guest"
		uname -r
	} >"$f" 2>/dev/null
	check "a file written to \$COMSOCK_E2E_OUT reads back" \
		grep -q '^java-smoke: written in the guest$' "$f"
else
	notok "COMSOCK_E2E_OUT is a directory"
fi

rm -rf "$tmp"
