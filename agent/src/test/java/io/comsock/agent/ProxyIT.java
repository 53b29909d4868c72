package io.comsock.agent;

import static org.junit.jupiter.api.Assertions.*;

import io.comsock.agent.apps.EchoServer;
import io.comsock.agent.apps.HttpServer;
import io.comsock.agent.apps.ProxiedClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxies never carry a connection to a com address: unmodified programs with the agent, whose
 * proxies (system properties, a default selector of their own, explicit {@code Proxy} objects)
 * point at a loopback listener of the test's ({@link FakeProxy}). To a com address they reach the
 * com server over com-socket directly, or fail closed where the agent does not route
 * ({@code java.net.http}), and the listener sees nothing; to any other address they still go to
 * the proxy. As in {@link AgentIT}, every JVM runs in one fresh network namespace.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@org.junit.jupiter.api.extension.ExtendWith(Jvm.SharingLoopback.class) // every test here needs TCP beside com-socket
class ProxyIT {
    private static final String NO_ROUTE = "java.net.NoRouteToHostException: No route to host: 192.168.0.7 is on"
            + " com-socket's network";

    @TempDir
    Path dir;

    private String agent(int domain) {
        return "domain=" + domain + ",dir=" + dir + ",log=debug";
    }

    private static List<String> properties(FakeProxy proxy) {
        String port = Integer.toString(proxy.port());
        return List.of("-DsocksProxyHost=127.0.0.1", "-DsocksProxyPort=" + port, "-Dhttp.proxyHost=127.0.0.1",
                "-Dhttp.proxyPort=" + port, "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=" + port);
    }

    /**
     * Runs the client (domain 4) against 192.168.0.5; its answer for each {@code how}, and under
     * {@code "log"} what the agent said.
     */
    private Map<String, String> comClient(FakeProxy proxy, List<String> jvmArgs, String... how) throws Exception {
        List<String> args = new ArrayList<>(List.of("192.168.0.5:7030", "192.168.0.7:7031", Integer.toString(proxy.port())));
        args.addAll(List.of(how));
        try (Jvm client = Jvm.start(agent(4), jvmArgs, Map.of(), ProxiedClient.class.getName(), args.toArray(new String[0]))) {
            Map<String, String> answers = new java.util.HashMap<>();
            for (String h : how) {
                answers.put(h, client.await(h + " "));
            }
            assertEquals(0, client.exit(), client.err().toString());
            answers.put("log", String.join("\n", client.err()));
            return answers;
        }
    }

    /**
     * An echo server in domain 3 (192.168.0.5) and an HTTP server in domain 5 (192.168.0.7), each
     * for {@code connections}.
     */
    private void withComServers(int connections, ThrowingRunnable body) throws Exception {
        try (Jvm echo = Jvm.start(agent(3), EchoServer.class.getName(), "7030", Integer.toString(connections));
                Jvm http = Jvm.start(agent(5), HttpServer.class.getName(), "7031", Integer.toString(connections))) {
            echo.await("LISTENING");
            http.await("LISTENING");
            body.run();
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static final String DIRECT_PAGE = "you asked GET / HTTP/1.1 from 192.168.0.6";

    @Test
    void proxiesFromSystemPropertiesAreNotUsedForComAddresses() throws Exception {
        try (FakeProxy proxy = new FakeProxy()) {
            withComServers(1, () -> {
                Map<String, String> a = comClient(proxy, properties(proxy), "socket", "url", "httpclient");
                assertEquals("REPLY echo hi", a.get("socket"));
                assertTrue(a.get("log").contains("connect to 192.168.0.5:7030: routed to com-socket"), a.get("log"));
                // a request line without scheme and host: it came straight, not from a proxy
                assertEquals("STATUS 200 BODY " + DIRECT_PAGE, a.get("url"));
                // java.net.http is not routed: direct, so refused, never to the proxy
                assertTrue(a.get("httpclient").startsWith("ERROR ") && a.get("httpclient").contains(NO_ROUTE), a.toString());
            });
            assertEquals(List.of(), proxy.seen());
        }
    }

    @Test
    void explicitProxiesAndAnApplicationsSelectorAreNotUsedForComAddresses() throws Exception {
        try (FakeProxy proxy = new FakeProxy()) {
            withComServers(3, () -> {
                Map<String, String> a = comClient(proxy, List.of("-XX:+UnlockDiagnosticVMOptions",
                        "-XX:+BytecodeVerificationLocal"), "socks", "tunnel", "url-http", "url-socks", "https-http:7039",
                        "httpclient-proxy", "socks-unresolved");
                assertEquals("REPLY echo hi", a.get("socks"));
                // not given to the proxy to resolve: connected directly, which needs a resolved address
                assertEquals("ERROR java.net.UnknownHostException: 192.168.0.5", a.get("socks-unresolved"));
                assertEquals("REPLY echo hi", a.get("tunnel"));
                assertEquals("STATUS 200 BODY " + DIRECT_PAGE, a.get("url-http"));
                assertEquals("STATUS 200 BODY " + DIRECT_PAGE, a.get("url-socks"));
                // straight to the com server, where nothing listens on that port: com-socket refuses it
                assertEquals("ERROR java.net.ConnectException: Connection refused", a.get("https-http:7039"));
                assertTrue(a.get("log").contains("connect to 192.168.0.7:7039: com-socket failed"), a.get("log"));
                assertTrue(a.get("httpclient-proxy").contains(NO_ROUTE), a.toString());
                Map<String, String> own = comClient(proxy, List.of("-Dapp.selector=true"), "socket", "url", "httpclient");
                assertEquals("REPLY echo hi", own.get("socket"));
                assertEquals("STATUS 200 BODY " + DIRECT_PAGE, own.get("url"));
                assertTrue(own.get("httpclient").contains(NO_ROUTE), own.toString());
            });
            assertEquals(List.of(), proxy.seen());
        }
    }

    @Test
    void otherDestinationsStillGoThroughTheProxy() throws Exception {
        try (FakeProxy proxy = new FakeProxy()) {
            String port = Integer.toString(proxy.port());
            // loopback is on the JDK's default list of hosts never proxied: empty lists take it off
            List<String> jvmArgs = new ArrayList<>(properties(proxy));
            jvmArgs.addAll(List.of("-Dhttp.nonProxyHosts=", "-DsocksNonProxyHosts="));
            try (Jvm client = Jvm.start(agent(4), jvmArgs, Map.of(), ProxiedClient.class.getName(), "127.0.0.1:7040",
                    "127.0.0.1:7041", port, "socket", "url", "socks", "url-http", "httpclient-proxy")) {
                assertTrue(client.await("socket ").startsWith("ERROR "), client.out().toString());
                assertEquals("STATUS 200 BODY " + FakeProxy.PAGE, client.await("url "));
                assertTrue(client.await("socks ").startsWith("ERROR "), client.out().toString());
                assertEquals("STATUS 200 BODY " + FakeProxy.PAGE, client.await("url-http "));
                assertEquals("STATUS 200 BODY " + FakeProxy.PAGE, client.await("httpclient-proxy "));
                assertEquals(0, client.exit(), client.err().toString());
            }
            try (Jvm client = Jvm.start(agent(4), List.of("-Dapp.selector=true"), Map.of(), ProxiedClient.class.getName(),
                    "127.0.0.1:7040", "127.0.0.1:7041", port, "socket", "url", "httpclient")) {
                assertTrue(client.await("socket ").startsWith("ERROR "), client.out().toString());
                assertEquals("STATUS 200 BODY " + FakeProxy.PAGE, client.await("url "));
                assertEquals("STATUS 200 BODY " + FakeProxy.PAGE, client.await("httpclient "));
                assertEquals(0, client.exit(), client.err().toString());
            }
            String get = "GET http://127.0.0.1:7041/ HTTP/1.1";
            assertEquals(List.of("SOCKS5", get, "SOCKS5", get, get, "SOCKS5", get, get), proxy.seen());
        }
    }
}
