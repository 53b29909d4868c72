#!/bin/sh
# Unmodified Java programs over the AF_COM kernel module. Runs inside the test guest
# (make -C kernel-module java-check E2E=$PWD/agent/src/test/e2e/kernel-e2e.sh), chrooted into
# the host's root, after the module is loaded. Each JVM runs in a network namespace of its own
# whose domain id is set with net.com.domain_id: domain 1 (192.168.0.3) serves, domain 2
# (192.168.0.4) connects. The namespaces have no interface but loopback: nothing can use TCP.
# Prints "ok - ..." / "not ok - ..." lines.
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

# in_domain ID COMMAND...: run COMMAND in a new network namespace that is domain ID
in_domain() {
	id=$1
	shift
	unshare -n sh -c 'echo "$0" > /proc/sys/net/com/domain_id && exec "$@"' "$id" "$@"
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

for home in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64; do
	java=$home/bin/java
	[ -x "$java" ] || continue
	v=$("$java" -version 2>&1 | head -n 1 | sed 's/.*version "\([^"]*\)".*/\1/')
	ag="-javaagent:$agent=provider=kernel,log=info"

	# echo, with the kernel provider chosen and the addresses reported
	in_domain 1 "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoServer 7000 1 >"$work/echo-server" 2>&1 &
	await "$work/echo-server" LISTENING
	in_domain 2 "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoClient 192.168.0.3 7000 hello >"$work/echo-client" 2>&1
	check "java $v: echo over AF_COM" grep -q "^REPLY echo hello" "$work/echo-client"
	check "java $v: addresses are the domains'" grep -q "^CONNECTED 192.168.0.4 TO 192.168.0.3:7000" "$work/echo-client"
	check "java $v: the agent chose the kernel provider" grep -q "on provider kernel" "$work/echo-client"
	wait

	# 64 MB with SHA-256
	in_domain 1 "$java" "$ag" -cp "$demo" io.comsock.demo.FileServer 7001 64 >"$work/file-server" 2>&1 &
	fs=$!
	await "$work/file-server" LISTENING
	in_domain 2 "$java" "$ag" -cp "$demo" io.comsock.demo.FileClient 192.168.0.3 7001 1 >"$work/file-client" 2>&1
	check "java $v: 64 MB transfer, SHA-256 verified" grep -q "bytes=67108864 .*verified=true" "$work/file-client"
	check "java $v: no TCP segment in the client's namespace" grep -q "tcpSegments=0" "$work/file-client"
	kill $fs 2>/dev/null
	wait

	# TLS through SSLSocket
	keytool=$home/bin/keytool
	rm -f "$work/server.p12" "$work/trust.p12" "$work/server.crt"
	"$keytool" -genkeypair -alias s -keyalg EC -groupname secp256r1 -dname CN=comsock -validity 2 \
		-storetype PKCS12 -keystore "$work/server.p12" -storepass changeit -keypass changeit >/dev/null 2>&1
	"$keytool" -exportcert -alias s -keystore "$work/server.p12" -storepass changeit -file "$work/server.crt" >/dev/null 2>&1
	"$keytool" -importcert -noprompt -alias s -file "$work/server.crt" -storetype PKCS12 \
		-keystore "$work/trust.p12" -storepass changeit >/dev/null 2>&1
	in_domain 1 "$java" "$ag" -Djavax.net.ssl.keyStore="$work/server.p12" -Djavax.net.ssl.keyStorePassword=changeit \
		-cp "$apps" io.comsock.agent.apps.TlsServer 7002 >"$work/tls-server" 2>&1 &
	await "$work/tls-server" LISTENING
	in_domain 2 "$java" "$ag" -Djavax.net.ssl.trustStore="$work/trust.p12" -Djavax.net.ssl.trustStorePassword=changeit \
		-cp "$apps" io.comsock.agent.apps.TlsClient 192.168.0.3 7002 secret >"$work/tls-client" 2>&1
	check "java $v: TLS over AF_COM" grep -q "^REPLY tls echo secret over TLSv1" "$work/tls-client"
	wait

	# refusal and no route
	in_domain 1 "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoServer 7003 1 >"$work/idle-server" 2>&1 &
	is=$!
	await "$work/idle-server" LISTENING
	in_domain 2 "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoClient 192.168.0.3 7999 x >"$work/refused" 2>&1
	check "java $v: no listener gives Connection refused" grep -q "^ERROR java.net.ConnectException: Connection refused" "$work/refused"
	in_domain 2 "$java" "$ag" -cp "$apps" io.comsock.agent.apps.EchoClient 192.168.0.9 7000 x >"$work/noroute" 2>&1
	check "java $v: an absent domain gives NoRouteToHostException" grep -q "^ERROR java.net.NoRouteToHostException" "$work/noroute"
	kill $is 2>/dev/null
	wait

	for f in "$work"/*-client "$work"/refused "$work"/noroute; do
		cp "$f" "$out/java$v-$(basename "$f").log" 2>/dev/null
	done
done
rm -rf "$work"
