#!/bin/sh
# Unmodified Java programs over the AF_COM kernel module. Runs inside the test guest
# (make -C kernel-module java-check E2E=$PWD/agent/src/test/e2e/kernel-e2e.sh), chrooted into
# the host's root, after the module is loaded. Each JVM runs in a network namespace of its own
# whose domain id is set with net.com.domain_id: in each test an odd domain serves and the next
# one connects. The namespaces have no interface but loopback: nothing can use TCP.
# Every test uses domain ids of its own: the id of a namespace that ended is not always free again
# at once. Prints "ok - ..." / "not ok - ..." lines.
set -u
repo=$(cd "$(dirname "$0")/../../../.." && pwd)
agent=$repo/agent/target/comsock-agent.jar
apps=$repo/agent/target/test-classes
demo=$repo/demo-apps/target/comsock-demo.jar
out=${COMSOCK_E2E_OUT:-/tmp}
work=$(mktemp -d)

check() { # name, command...: ok if the command succeeds
	name=$1
	shift
	if "$@"; then
		echo "ok - $name"
	else
		echo "not ok - $name"
	fi
}

# in_domain ID COMMAND...: become COMMAND in a new network namespace that is domain ID (exec: call
# it in a subshell or in the background, and $! is then COMMAND itself, so that a kill reaches the
# JVM and not a shell in front of it). The id of a namespace that just ended is freed a moment
# later (namespaces are torn down asynchronously): try for up to 30 s.
in_domain() {
	id=$1
	shift
	exec unshare -n sh -c 'i=0; until echo "$0" 2>/dev/null > /proc/sys/net/com/domain_id; do
		i=$((i + 1)); [ $i -le 150 ] || { echo "domain id $0 stays taken" >&2; exit 1; }; sleep 0.2; done
		exec "$@"' "$id" "$@"
}

# await FILE TEXT: wait up to 120 s for TEXT to appear in FILE
await() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 600 ] || return 1
		sleep 0.2
	done
}

# serve NAME DOMAIN COMMAND...: start a server in its domain, wait until it listens
serve() {
	sname=$1
	sid=$2
	shift 2
	in_domain "$sid" "$@" >"$work/$sname" 2>&1 &
	spid=$!
	if ! await "$work/$sname" LISTENING; then
		echo "not ok - java $v: $sname did not start"
		sed 's/^/#   /' "$work/$sname" | tail -n 20
	fi
}

# stop: end the last server started, and keep its log
stop() {
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	cp "$work/$sname" "$out/java$v-$sname.log" 2>/dev/null
}

# client NAME DOMAIN COMMAND...: run a client to its end (at most 300 s), keep its log
client() {
	cname=$1
	cid=$2
	shift 2
	(in_domain "$cid" timeout 300 "$@") >"$work/$cname" 2>&1
	cp "$work/$cname" "$out/java$v-$cname.log" 2>/dev/null
}

base=0
for home in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64; do
	java=$home/bin/java
	[ -x "$java" ] || continue
	v=$("$java" -version 2>&1 | head -n 1 | sed 's/.*version "\([^"]*\)".*/\1/')
	ag="-javaagent:$agent=provider=kernel,log=info"

	# echo, with the kernel provider chosen and the addresses reported
	d=$((base + 1))
	serve echo-server $d "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoServer 7000 1
	client echo-client $((d + 1)) "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoClient 192.168.0.$((d + 2)) 7000 hello
	check "java $v: echo over AF_COM" grep -q "^REPLY echo hello" "$work/echo-client"
	check "java $v: addresses are the domains'" grep -q "^CONNECTED 192.168.0.$((d + 3)) TO 192.168.0.$((d + 2)):7000" "$work/echo-client"
	check "java $v: the agent chose the kernel provider" grep -q "on provider kernel" "$work/echo-client"
	stop

	# 64 MB with SHA-256
	d=$((base + 3))
	serve file-server $d "$java" "$ag" -cp "$demo" io.comsock.demo.FileServer 7001 64
	client file-client $((d + 1)) "$java" "$ag" -cp "$demo" io.comsock.demo.FileClient 192.168.0.$((d + 2)) 7001 1
	check "java $v: 64 MB transfer, SHA-256 verified" grep -q "bytes=67108864 .*verified=true" "$work/file-client"
	check "java $v: no TCP segment in the client's namespace" grep -q "tcpSegments=0" "$work/file-client"
	stop

	# TLS through SSLSocket
	keytool=$home/bin/keytool
	rm -f "$work/server.p12" "$work/trust.p12" "$work/server.crt"
	# keytool runs interpreted: a short job, and emulated CPUs have miscompiled its JIT code
	"$keytool" -J-Xint -genkeypair -alias s -keyalg EC -groupname secp256r1 -dname CN=comsock -validity 2 \
		-storetype PKCS12 -keystore "$work/server.p12" -storepass changeit -keypass changeit >"$work/keytool" 2>&1
	"$keytool" -J-Xint -exportcert -alias s -keystore "$work/server.p12" -storepass changeit -file "$work/server.crt" >>"$work/keytool" 2>&1
	"$keytool" -J-Xint -importcert -noprompt -alias s -file "$work/server.crt" -storetype PKCS12 \
		-keystore "$work/trust.p12" -storepass changeit >>"$work/keytool" 2>&1
	cp "$work/keytool" "$out/java$v-keytool.log" 2>/dev/null
	d=$((base + 5))
	serve tls-server $d "$java" "$ag" -Djavax.net.ssl.keyStore="$work/server.p12" -Djavax.net.ssl.keyStorePassword=changeit \
		-cp "$apps" io.comsock.agent.apps.TlsServer 7002
	client tls-client $((d + 1)) "$java" "$ag" -Djavax.net.ssl.trustStore="$work/trust.p12" \
		-Djavax.net.ssl.trustStorePassword=changeit -cp "$apps" io.comsock.agent.apps.TlsClient 192.168.0.$((d + 2)) 7002 secret
	check "java $v: TLS over AF_COM" grep -q "^REPLY tls echo secret over TLSv1" "$work/tls-client"
	stop

	# refusal and no route
	d=$((base + 7))
	serve idle-server $d "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoServer 7003 1
	client refused $((d + 1)) "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoClient 192.168.0.$((d + 2)) 7999 x
	check "java $v: no listener gives Connection refused" grep -q "^ERROR java.net.ConnectException: Connection refused" "$work/refused"
	client noroute $((d + 1)) "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoClient 192.168.0.100 7000 x
	check "java $v: an absent domain gives NoRouteToHostException" grep -q "^ERROR java.net.NoRouteToHostException" "$work/noroute"
	stop

	# the behaviour checks that BehaviourIT runs on the host on TCP and on the user-space
	# transport, here with the kernel provider; the server also checks its wildcard socket over
	# TCP on its own loopback, so it brings loopback up first
	d=$((base + 9))
	serve behaviour-server $d sh -c 'ip link set lo up && exec "$@"' sh "$java" "$ag" -cp "$apps" \
		io.comsock.agent.behaviour.BehaviourServer 7100 192.168.0.$((d + 2)) 127.0.0.1
	client behaviour-client $((d + 1)) "$java" "$ag" -cp "$apps" io.comsock.agent.behaviour.BehaviourClient \
		192.168.0.$((d + 2)) 7100 192.168.0.200 192.168.0.$((d + 3))
	for side in server client; do
		sed -n "s/^\(\(not \)\{0,1\}ok - \)$side: /\1java $v: kernel provider, $side: /p" "$work/behaviour-$side"
		check "java $v: every behaviour check of the $side ran" grep -q "^CHECKS $side " "$work/behaviour-$side"
	done
	stop
	base=$((base + 10))
done
rm -rf "$work"
