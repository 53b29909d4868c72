package io.comsock.agent;

import static org.junit.jupiter.api.Assertions.*;

import io.comsock.agent.apps.EchoClient;
import io.comsock.agent.apps.EchoServer;
import io.comsock.agent.apps.Factories;
import io.comsock.agent.apps.Hello;
import io.comsock.agent.apps.HttpGet;
import io.comsock.agent.apps.HttpServer;
import io.comsock.agent.apps.JmxProbe;
import io.comsock.agent.apps.NioClient;
import io.comsock.agent.apps.OwnJna;
import io.comsock.agent.apps.TlsClient;
import io.comsock.agent.apps.TlsServer;
import io.comsock.agent.apps.Waiter;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unmodified programs in separate JVMs started with {@code -javaagent}. The test JVM runs in a
 * fresh network namespace (only loopback, up), and each JVM it starts in a fresh one of its own
 * with loopback down, but for the tests that need TCP (see {@link Jvm}): a com address that
 * leaked to TCP would fail with "Network is unreachable" instead of leaving the machine.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentIT {
    @TempDir
    Path dir;

    private String agent(int domain, String... more) {
        StringBuilder sb = new StringBuilder("domain=" + domain + ",dir=" + dir);
        for (String m : more) {
            sb.append(',').append(m);
        }
        return sb.toString();
    }

    @Test
    void echoBetweenTwoUnmodifiedProgramsGoesOverComSocket() throws Exception {
        try (Jvm server = Jvm.start(agent(3, "log=debug"), EchoServer.class.getName(), "7000", "1")) {
            server.await("LISTENING");
            try (Jvm client = Jvm.start(agent(4, "log=debug"), EchoClient.class.getName(), "192.168.0.5", "7000", "hi")) {
                assertEquals("echo hi", client.await("REPLY "));
                assertEquals("192.168.0.6 TO 192.168.0.5:7000", client.await("CONNECTED "));
                assertEquals(0, client.exit());
                assertTrue(client.err().stream().anyMatch(l -> l.contains("routed to com-socket")), client.err().toString());
                // the JVM's own warnings (restricted methods, agents) never reach the application
                assertFalse(client.err().stream().anyMatch(l -> l.startsWith("WARNING")), client.err().toString());
            }
            assertEquals("192.168.0.6 LOCAL 192.168.0.5:7000", server.await("ACCEPTED "));
            assertTrue(server.err().stream().anyMatch(l -> l.matches("comsock: accepted 192\\.168\\.0\\.6:[0-9]+: routed to "
                    + "com-socket \\(a com-socket connection to a wildcard server, which listens on both\\)")), server.err().toString());
        }
    }

    @Test
    void aWildcardServerTakesComAndTcpClientsAtOnce() throws Exception {
        Jvm.sharingLoopback(() -> { // TCP beside com-socket
            try (Jvm server = Jvm.start(agent(3), EchoServer.class.getName(), "7001", "2")) {
                server.await("LISTENING");
                try (Jvm com = Jvm.start(agent(4), EchoClient.class.getName(), "192.168.0.5", "7001", "via-com");
                        Jvm tcp = Jvm.start(null, EchoClient.class.getName(), "127.0.0.1", "7001", "via-tcp")) {
                    assertEquals("echo via-com", com.await("REPLY "));
                    assertEquals("echo via-tcp", tcp.await("REPLY "));
                }
                server.await("DONE");
                List<String> accepted = new ArrayList<>();
                for (String l : server.out()) {
                    if (l.startsWith("ACCEPTED ")) {
                        accepted.add(l);
                    }
                }
                assertTrue(accepted.contains("ACCEPTED 192.168.0.6 LOCAL 192.168.0.5:7001"), accepted.toString());
                assertTrue(accepted.contains("ACCEPTED 127.0.0.1 LOCAL 127.0.0.1:7001"), accepted.toString());
            }
        });
    }

    @Test
    void nioChannelsAndDatagramsToComAddressesFailClosedAndLoopbackStillWorks() throws Exception {
        Jvm.sharingLoopback(() -> { // TCP beside com-socket
            // the JDK's own classes are not verified by default: verify the patched ones here
            try (Jvm c = Jvm.start(agent(4), List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+BytecodeVerificationLocal"), Map.of(),
                    NioClient.class.getName(), "192.168.0.5", "7003")) {
                assertEquals(0, c.exit(), c.err().toString());
                for (String kind : new String[] {"SOCKETCHANNEL ", "ASYNC ", "DATAGRAM ", "DATAGRAM-SEND ", "DATAGRAMSOCKET "}) {
                    String got = c.await(kind);
                    assertTrue(got.startsWith("java.net.NoRouteToHostException: No route to host: 192.168.0.5 is on com-socket's network"),
                            kind + got);
                }
                assertEquals("ok", c.await("LOOPBACK "));
                assertEquals("ok", c.await("UDP-LOOPBACK "));
            }
        });
    }

    @Test
    void otherConnectionsAreLeftOnTcp() throws Exception {
        Jvm.sharingLoopback(() -> { // TCP beside com-socket
            try (Jvm server = Jvm.start(null, EchoServer.class.getName(), "7002", "1", "127.0.0.1")) {
                server.await("LISTENING");
                try (Jvm client = Jvm.start(agent(4, "log=debug"), EchoClient.class.getName(), "127.0.0.1", "7002", "plain")) {
                    assertEquals("echo plain", client.await("REPLY "));
                    assertEquals(0, client.exit());
                    assertTrue(client.err().stream().anyMatch(l -> l.contains("left on TCP (127.0.0.1 is outside 192.168.0.0/24)")),
                            client.err().toString());
                }
            }
        });
    }

    @Test
    void aServerBoundToOneAddressServesOnlyThatTransport() throws Exception {
        Jvm.sharingLoopback(() -> { // TCP beside com-socket
            try (Jvm comOnly = Jvm.start(agent(3), EchoServer.class.getName(), "7010", "1", "192.168.0.5");
                    Jvm tcpOnly = Jvm.start(agent(5), EchoServer.class.getName(), "7011", "1", "127.0.0.1")) {
                comOnly.await("LISTENING");
                tcpOnly.await("LISTENING");
                try (Jvm c = Jvm.start(agent(4), EchoClient.class.getName(), "192.168.0.5", "7010", "own-address")) {
                    assertEquals("echo own-address", c.await("REPLY "));
                }
                try (Jvm c = Jvm.start(null, EchoClient.class.getName(), "127.0.0.1", "7010", "x")) {
                    assertEquals("java.net.ConnectException: Connection refused", c.await("ERROR "));
                }
                try (Jvm c = Jvm.start(agent(4), EchoClient.class.getName(), "192.168.0.7", "7011", "x")) {
                    assertEquals("java.net.ConnectException: Connection refused", c.await("ERROR "));
                }
                try (Jvm c = Jvm.start(null, EchoClient.class.getName(), "127.0.0.1", "7011", "loopback")) {
                    assertEquals("echo loopback", c.await("REPLY "));
                }
            }
        });
    }

    @Test
    void aVirtualThreadBlockedOnComSocketIsClosedByInterrupt() throws Exception {
        try (Jvm server = Jvm.start(agent(3), EchoServer.class.getName(), "7012", "1")) {
            server.await("LISTENING");
            try (Jvm c = Jvm.start(agent(4), io.comsock.agent.apps.VirtualReader.class.getName(), "192.168.0.5", "7012")) {
                assertEquals(0, c.exit(), c.err().toString());
                if (c.out().stream().anyMatch(l -> l.startsWith("SKIPPED"))) {
                    org.junit.jupiter.api.Assumptions.abort("virtual threads need Java 21+");
                }
                assertEquals("java.net.SocketException: Closed by interrupt", c.await("OUTCOME "));
                assertEquals("true", c.await("CLOSED "));
            }
        }
        // an accept on com-socket alone (bound to the domain's own address), and on both (wildcard)
        for (String bind : List.of("192.168.0.6", "0.0.0.0")) {
            try (Jvm c = Jvm.start(agent(4), io.comsock.agent.apps.VirtualReader.class.getName(), "accept", bind, "7015")) {
                assertEquals(0, c.exit(), c.err().toString());
                assertEquals("java.net.SocketException: Closed by interrupt", c.await("OUTCOME "), bind);
                assertEquals("true", c.await("CLOSED "), bind);
            }
        }
    }

    @Test
    void httpUrlConnectionToAServerSocketServer() throws Exception {
        try (Jvm server = Jvm.start(agent(3), HttpServer.class.getName(), "7003", "1")) {
            server.await("LISTENING");
            try (Jvm client = Jvm.start(agent(4), HttpGet.class.getName(), "http://192.168.0.5:7003/hello")) {
                assertEquals("200", client.await("STATUS "));
                assertEquals("you asked GET /hello HTTP/1.1 from 192.168.0.6", client.await("BODY "));
            }
        }
    }

    @Test
    void tlsRunsOverComSocketUnchanged() throws Exception {
        Path keys = dir.resolve("server.p12");
        Path trust = dir.resolve("trust.p12");
        Path cert = dir.resolve("server.crt");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=comsock-test", "-validity", "2", "-storetype", "PKCS12", "-keystore", keys.toString(),
                "-storepass", "changeit", "-keypass", "changeit");
        run(keytool, "-exportcert", "-alias", "server", "-keystore", keys.toString(), "-storepass", "changeit",
                "-file", cert.toString());
        run(keytool, "-importcert", "-noprompt", "-alias", "server", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", trust.toString(), "-storepass", "changeit");
        try (Jvm server = Jvm.start(agent(3), List.of("-Djavax.net.ssl.keyStore=" + keys,
                "-Djavax.net.ssl.keyStorePassword=changeit"), Map.of(), TlsServer.class.getName(), "7004")) {
            server.await("LISTENING");
            try (Jvm client = Jvm.start(agent(4), List.of("-Djavax.net.ssl.trustStore=" + trust,
                    "-Djavax.net.ssl.trustStorePassword=changeit"), Map.of(), TlsClient.class.getName(),
                    "192.168.0.5", "7004", "secret")) {
                assertTrue(client.await("REPLY ").startsWith("tls echo secret over TLSv1."), client.out().toString());
            }
        }
    }

    @Test
    void refusedAndNoRouteFailClosed() throws Exception {
        try (Jvm noDomain = Jvm.start(agent(4), EchoClient.class.getName(), "192.168.0.5", "7005", "x")) {
            String e = noDomain.await("ERROR ");
            assertTrue(e.startsWith("java.net.NoRouteToHostException: No route to host: domain 3 (192.168.0.5)"), e);
        }
        try (Jvm server = Jvm.start(agent(3), EchoServer.class.getName(), "7006", "1")) {
            server.await("LISTENING");
            try (Jvm refused = Jvm.start(agent(4), EchoClient.class.getName(), "192.168.0.5", "7999", "x")) {
                assertEquals("java.net.ConnectException: Connection refused", refused.await("ERROR "));
            }
            try (Jvm invalid = Jvm.start(agent(4), EchoClient.class.getName(), "192.168.0.1", "7006", "x")) {
                assertTrue(invalid.await("ERROR ").startsWith("java.net.NoRouteToHostException"), invalid.out().toString());
            }
        }
        // without the agent the same connect proves the namespace: nothing can leave
        try (Jvm plain = Jvm.start(null, EchoClient.class.getName(), "192.168.0.5", "7006", "x")) {
            assertTrue(plain.await("ERROR ").contains("Network is unreachable"), plain.out().toString());
        }
        if (Jvm.OWN_NAMESPACES) {
            // and a JVM of a test that needs no TCP has no loopback either
            try (Jvm plain = Jvm.start(null, EchoClient.class.getName(), "127.0.0.1", "7006", "x")) {
                assertTrue(plain.await("ERROR ").contains("Network is unreachable"), plain.out().toString());
            }
        }
    }

    @Test
    void rulesMapADomainElsewhereAndDenyWhatTheyDoNotCover() throws Exception {
        Jvm.sharingLoopback(() -> { // TCP beside com-socket
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            Path rules = dir.resolve("comsock.rules");
            Files.writeString(rules, "# test rules\nconnect 192.168.0.5 *\nmap 192.168.0.9 127.0.0.1:" + port + "\n");
            try (Jvm far = Jvm.start(null, EchoServer.class.getName(), Integer.toString(port), "1", "127.0.0.1")) {
                far.await("LISTENING");
                try (Jvm client = Jvm.start(agent(4, "rules=" + rules, "log=debug"), EchoClient.class.getName(),
                        "192.168.0.9", "80", "mapped")) {
                    assertEquals("echo mapped", client.await("REPLY "));
                    assertEquals(0, client.exit());
                    assertTrue(client.err().stream().anyMatch(l -> l.contains("mapped to TCP 127.0.0.1:" + port)), client.err().toString());
                }
            }
            try (Jvm denied = Jvm.start(agent(4, "rules=" + rules), EchoClient.class.getName(), "192.168.0.7", "80", "x")) {
                String e = denied.await("ERROR ");
                assertTrue(e.contains("no connect rule") && e.contains("192.168.0.7:80"), e);
            }
        });
    }

    @Test
    void badConfigurationStopsTheJvmBeforeMainWithOneLine() throws Exception {
        Path badRules = dir.resolve("bad.rules");
        Files.writeString(badRules, "connect 192.168.0.0/24 *\nconect 192.168.0.5 80\n");
        String[][] cases = {
            {"domain=300", "comsock: domain=300 is invalid (expected an integer 0..252)"},
            {"domian=3", "comsock: unknown key 'domian' (value '3') in the agent arguments"},
            {"domain=3,provider=tcp", "comsock: provider=tcp is invalid (expected shm, kernel or auto)"},
            {"domain=3,rules=" + dir.resolve("missing.rules"), "comsock: rules=" + dir.resolve("missing.rules") + " cannot be read"},
            {"domain=3,rules=" + badRules, "comsock: rules file " + badRules + " line 2: 'conect 192.168.0.5 80' is invalid"},
            {"log=loud,domain=3", "comsock: log=loud is invalid (expected off, info or debug)"},
            {"", "comsock: domain is not set"},
        };
        for (String[] c : cases) {
            try (Jvm j = Jvm.start(c[0] + (c[0].isEmpty() ? "" : ",") + "dir=" + dir, Hello.class.getName())) {
                assertEquals(1, j.exit(), c[0] + ": " + j.out() + " " + j.err());
                assertFalse(j.out().contains("MAIN RAN"), "main ran for " + c[0]);
                List<String> lines = j.err();
                assertEquals(1, lines.size(), c[0] + ": " + lines);
                assertTrue(lines.get(0).startsWith(c[1]), c[0] + ": " + lines.get(0));
            }
        }
        try (Jvm owner = Jvm.start(agent(3), EchoServer.class.getName(), "7007", "1")) {
            owner.await("LISTENING");
            Jvm second = Jvm.start(agent(3), Hello.class.getName());
            assertEquals(1, second.exit());
            assertFalse(second.out().contains("MAIN RAN"));
            assertTrue(second.err().get(0).startsWith("comsock: domain=3 is already owned by live process pid="
                    + owner.process.pid()), second.err().toString());
        }
        try (Jvm off = Jvm.start("enabled=false", Hello.class.getName())) {
            assertEquals(0, off.exit());
            assertTrue(off.out().contains("MAIN RAN"));
        }
        // off entirely: nothing of the agent loads, so not even its settings are read
        try (Jvm off = Jvm.start("enabled=false,rules=" + dir.resolve("missing.rules"), List.of("-Dcomsock.bogus=1"),
                Map.of(), Hello.class.getName())) {
            assertEquals(0, off.exit(), off.err().toString());
            assertTrue(off.out().contains("MAIN RAN"));
            assertEquals(List.of(), off.err());
        }
    }

    @Test
    void settingsComeFromArgumentsThenPropertiesThenEnvironmentThenFile() throws Exception {
        Path rules = dir.resolve("settings.rules");
        Files.writeString(rules, "domain=7\nlog=info\n");
        String base = "dir=" + dir + ",rules=" + rules;
        assertEquals("7", domainOf(Jvm.start(base, List.of(), Map.of(), Hello.class.getName())));
        assertEquals("6", domainOf(Jvm.start(base, List.of(), Map.of("COMSOCK_DOMAIN", "6"), Hello.class.getName())));
        assertEquals("5", domainOf(Jvm.start(base, List.of("-Dcomsock.domain=5"), Map.of("COMSOCK_DOMAIN", "6"),
                Hello.class.getName())));
        assertEquals("4", domainOf(Jvm.start(base + ",domain=4", List.of("-Dcomsock.domain=5"),
                Map.of("COMSOCK_DOMAIN", "6"), Hello.class.getName())));
    }

    private static String domainOf(Jvm j) throws InterruptedException {
        try (j) {
            assertEquals(0, j.exit(), j.err().toString());
            for (String l : j.err()) {
                if (l.startsWith("comsock: domain ")) {
                    return l.substring("comsock: domain ".length()).split(" ")[0];
                }
            }
            throw new AssertionError("no start line: " + j.err());
        }
    }

    @Test
    void statusListsLiveDomainsAndJmxCounts() throws Exception {
        try (Jvm server = Jvm.start(agent(3), EchoServer.class.getName(), "7008", "2")) {
            server.await("LISTENING");
            try (Jvm status = Jvm.agentJar("status", dir.toString())) {
                assertEquals(0, status.exit(), status.err().toString());
                assertTrue(status.out().stream().anyMatch(l -> l.matches("3\\s+192\\.168\\.0\\.5\\s+" + server.process.pid()
                        + "\\s+live\\s+\\d+\\s+.*")), status.out().toString());
            }
            try (Jvm probe = Jvm.start(agent(4), JmxProbe.class.getName(), "192.168.0.5", "7008")) {
                assertEquals("1", probe.await("JMX ConnectionsRouted="));
                assertEquals("4", probe.await("JMX BytesSent="));
                assertEquals("9", probe.await("JMX BytesReceived="));
                assertEquals("4", probe.await("JMX Domain="));
            }
        }
    }

    @Test
    void attachingToARunningJvmRoutesItsNewSockets() throws Exception {
        try (Jvm server = Jvm.start(agent(3), EchoServer.class.getName(), "7009", "1");
                Jvm app = Jvm.start(null, List.of("-Djdk.attach.allowAttachSelf=false"), Map.of(), Waiter.class.getName())) {
            server.await("LISTENING");
            String pid = app.await("PID ");
            app.send("192.168.0.5 7009 before");
            assertTrue(app.await("ERROR ").contains("Network is unreachable"), app.out().toString());
            try (Jvm attach = Jvm.agentJar("attach", pid, agent(4))) {
                assertEquals(0, attach.exit(), attach.out() + " " + attach.err());
            }
            app.send("192.168.0.5 7009 after");
            assertEquals("echo after", app.await("REPLY "));
        }
    }

    /**
     * JNA's classes cannot be relocated, so the agent's copy is kept apart by class loader; its
     * native stub must be kept apart too. This application brings another JNA version and points
     * JNA's JVM-wide properties at that version's stub, as an application that ships its stub
     * does: each JNA must load its own stub, and the application must find its properties as it
     * set them.
     */
    @Test
    void anApplicationWithItsOwnJnaKeepsItAndTheAgentKeepsItsOwn(@TempDir Path stub) throws Exception {
        Path otherJna = Path.of(System.getProperty("comsock.other.jna.jar"));
        String otherVersion = System.getProperty("comsock.other.jna.version");
        try (JarFile jar = new JarFile(otherJna.toFile());
                InputStream in = jar.getInputStream(jar.getJarEntry("com/sun/jna/linux-x86-64/libjnidispatch.so"))) {
            Files.copy(in, stub.resolve("libjnidispatch.so"));
        }
        // first on the class path: the test's own class path holds the project's JNA too
        List<String> classPath = new ArrayList<>(List.of(otherJna.toString()));
        classPath.add(System.getProperty("java.class.path"));
        try (Jvm server = Jvm.start(agent(3), EchoServer.class.getName(), "7013", "1")) {
            server.await("LISTENING");
            try (Jvm app = Jvm.startWithClassPath(agent(4), List.of("-Djna.boot.library.path=" + stub, "-Djna.nosys=false"), Map.of(),
                    String.join(java.io.File.pathSeparator, classPath), OwnJna.class.getName(), "192.168.0.5", "7013",
                    "own")) {
                String jna = app.await("JNA ");
                assertTrue(jna.startsWith(otherVersion) && jna.contains(" FROM file:" + otherJna + " "), jna);
                assertTrue(jna.matches(".* GETPID [0-9]+ .*"), jna);
                assertTrue(jna.endsWith(" BOOTPATH " + stub + " NOSYS false TMPDIR null"), jna);
                assertEquals("echo own", app.await("REPLY "));
                assertEquals(0, app.exit());
                // the agent's transport got its futex binding: it did not load the other version's stub
                assertTrue(app.err().stream().noneMatch(l -> l.contains("futex") || l.contains("JNA")), app.err().toString());
            }
        }
    }

    @Test
    void socketsFromTheDefaultFactoriesAndFromSubclassesAreRoutedToo() throws Exception {
        for (String kind : List.of("server", "subserver")) {
            try (Jvm server = Jvm.start(agent(3, "log=debug"), Factories.class.getName(), kind, "7014", "2")) {
                server.await("LISTENING ");
                try (Jvm client = Jvm.start(agent(4, "log=debug"), Factories.class.getName(), "client", "192.168.0.5",
                        "7014")) {
                    assertEquals("echo factory from 192.168.0.6 at 192.168.0.6", client.await("FACTORY "), kind);
                    assertEquals("echo sub from 192.168.0.6 at 192.168.0.6", client.await("SUBCLASS "), kind);
                    assertEquals(0, client.exit());
                    assertEquals(2, client.err().stream().filter(l -> l.contains("routed to com-socket")).count(),
                            client.err().toString());
                }
                assertEquals(0, server.exit());
                assertEquals(2, server.err().stream().filter(l -> l.contains("routed to com-socket")).count(),
                        server.err().toString());
            }
        }
    }

    @Test
    void theAgentJarHoldsOnlyItsOwnPackages() throws Exception {
        List<String> outer = new ArrayList<>();
        List<String> nested = new ArrayList<>();
        try (JarFile jar = new JarFile(Jvm.AGENT)) {
            assertEquals("io.comsock.agent.Agent", jar.getManifest().getMainAttributes().getValue("Premain-Class"));
            assertEquals("io.comsock.agent.Agent", jar.getManifest().getMainAttributes().getValue("Agent-Class"));
            assertEquals("true", jar.getManifest().getMainAttributes().getValue("Can-Retransform-Classes"));
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                outer.add(e.nextElement().getName());
            }
            try (InputStream in = jar.getInputStream(jar.getJarEntry("io/comsock/agent/comsock-agent-core.jar"));
                    JarInputStream core = new JarInputStream(in)) {
                for (JarEntry e; (e = core.getNextJarEntry()) != null; ) {
                    nested.add(e.getName());
                }
            }
        }
        for (String name : outer) {
            assertTrue(name.startsWith("META-INF/") || name.startsWith("io/comsock/agent/") || name.equals("io/")
                    || name.equals("io/comsock/"), "outer jar holds " + name);
        }
        assertTrue(nested.stream().anyMatch(n -> n.startsWith("io/comsock/agent/shaded/bytebuddy/jar/asm/")));
        for (String name : nested) {
            // JNA stays under its own names (its native stub binds to them); only the agent's loader reads it
            assertTrue(name.startsWith("META-INF/") || name.startsWith("io/comsock/") || name.equals("io/")
                    || name.startsWith("com/sun/jna/") || name.equals("com/") || name.equals("com/sun/"),
                    "nested jar holds " + name);
            assertFalse(name.startsWith("net/bytebuddy/"), name);
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }
}
