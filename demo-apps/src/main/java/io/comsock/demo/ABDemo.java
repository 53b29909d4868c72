package io.comsock.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The A/B trial: each demo application runs twice with the same jar, once on TCP at 127.0.0.1
 * and once with the agent on com-socket at 192.168.0.x, and a table per application puts the
 * figures side by side. On the com-socket side each JVM runs in a network namespace of its own,
 * with no interface at all: the client's TCP segment count of 0 shows that nothing went over TCP.
 *
 * <p>Usage: {@code ABDemo --agent PATH [--quick]}.
 */
public final class ABDemo {
    private static final String SERVER_DOMAIN = "2";
    private static final String CLIENT_DOMAIN = "3";
    private static final String SERVER_ADDRESS = "192.168.0.4";

    private final String agent;
    private final Path dir;
    private final List<String> isolate;
    private int step;
    private final int steps;

    private ABDemo(String agent, Path dir, List<String> isolate, int steps) {
        this.agent = agent;
        this.dir = dir;
        this.isolate = isolate;
        this.steps = steps;
    }

    /** One application: its server, its client, and how to read the client's figures. */
    private static final class App {
        final String title;
        final String server;
        final String[] serverArgs;
        final String client;
        final String[] clientArgs;
        final String[][] rows;

        App(String title, String server, String[] serverArgs, String client, String[] clientArgs, String[][] rows) {
            this.title = title;
            this.server = server;
            this.serverArgs = serverArgs;
            this.client = client;
            this.clientArgs = clientArgs;
            this.rows = rows;
        }
    }

    public static void main(String[] args) throws Exception {
        String agent = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--agent")) {
                agent = args[++i];
            } else if (args[i].equals("--quick")) {
                quick = true;
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i] + " (expected --agent PATH, --quick)");
            }
        }
        if (agent == null || !Files.isRegularFile(Path.of(agent))) {
            throw new IllegalArgumentException("--agent must name the agent jar (got " + agent + ")");
        }
        int scale = quick ? 10 : 1;
        List<App> apps = List.of(
                new App("echo: 4 connections, 64-byte requests one at a time", EchoServer.class.getName(),
                        new String[] {"7101"}, EchoClient.class.getName(), new String[] {"7101", "4", "" + 50000 / scale},
                        new String[][] {{"ops", "requests/s"}, {"MBps", "MB/s both ways"}, {"p50us", "p50 round trip (µs)"},
                            {"p99us", "p99 round trip (µs)"}, {"p999us", "p99.9 round trip (µs)"}}),
                new App("key-value store: text protocol, SET then GET, pipelines of 32", KvServer.class.getName(),
                        new String[] {"7102"}, KvClient.class.getName(), new String[] {"7102", "" + 200000 / scale, "32"},
                        new String[][] {{"ops", "requests/s"}, {"p50us", "p50 per pipeline (µs)"},
                            {"p99us", "p99 per pipeline (µs)"}}),
                new App("file transfer: a 256 MB file, 8 downloads, SHA-256 checked", FileServer.class.getName(),
                        new String[] {"7103", "" + 256 / scale}, FileClient.class.getName(), new String[] {"7103", "8"},
                        new String[][] {{"MBps", "throughput (MB/s)"}, {"p50us", "p50 per download (µs)"}}),
                new App("chat room: 8 members, 5000 lines each, fanned out to the others", ChatServer.class.getName(),
                        new String[] {"7104"}, ChatClient.class.getName(), new String[] {"7104", "8", "" + 5000 / scale},
                        new String[][] {{"ops", "lines delivered/s"}, {"p50us", "p50 say-to-hear (µs)"},
                            {"p99us", "p99 say-to-hear (µs)"}}));
        List<String> isolate = isolation();
        Path dir = Files.createTempDirectory("comsock-ab");
        ABDemo demo = new ABDemo(agent, dir, isolate, apps.size() * 2);
        System.out.println("comsock A/B demo: the same application jars on TCP (127.0.0.1) and, with -javaagent, on "
                + "com-socket (" + SERVER_ADDRESS + "); Java " + System.getProperty("java.version"));
        System.out.println(!isolate.isEmpty() ? "Each com-socket JVM runs in a network namespace of its own with no interface: "
                + "it cannot send a byte over TCP."
                : "No network namespace could be made here: the com-socket side relies on the agent failing closed.");
        boolean allVerified = true;
        for (App app : apps) {
            Map<String, String> tcp = demo.run(app, false);
            Map<String, String> com = demo.run(app, true);
            allVerified &= "true".equals(tcp.get("verified")) && "true".equals(com.get("verified"));
            demo.table(app, tcp, com);
        }
        System.out.println();
        System.out.println(allVerified ? "Every run verified its data." : "SOME RUNS FAILED THEIR DATA CHECK.");
        if (!allVerified) {
            System.exit(1);
        }
    }

    private Map<String, String> run(App app, boolean com) throws IOException, InterruptedException {
        step++;
        System.err.printf(Locale.ROOT, "[%d/%d] %s on %s ...%n", step, steps, app.title.split(":")[0],
                com ? "com-socket" : "TCP");
        Process server = start(com ? SERVER_DOMAIN : null, app.server, app.serverArgs);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream()));
            String ready = out.readLine();
            if (ready == null || !ready.startsWith("LISTENING")) {
                throw new IOException(app.server + " did not start: " + ready);
            }
            String[] clientArgs = new String[app.clientArgs.length + 1];
            clientArgs[0] = com ? SERVER_ADDRESS : "127.0.0.1";
            System.arraycopy(app.clientArgs, 0, clientArgs, 1, app.clientArgs.length);
            Process client = start(com ? CLIENT_DOMAIN : null, app.client, clientArgs);
            BufferedReader r = new BufferedReader(new InputStreamReader(client.getInputStream()));
            Map<String, String> result = new LinkedHashMap<>();
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    for (String kv : line.substring(7).split(" ")) {
                        int eq = kv.indexOf('=');
                        result.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
            }
            if (!client.waitFor(120, TimeUnit.SECONDS) || client.exitValue() != 0 || result.isEmpty()) {
                throw new IOException(app.client + (com ? " on com-socket" : " on TCP") + " failed: "
                        + new String(client.getErrorStream().readAllBytes()));
            }
            return result;
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process start(String domain, String main, String[] args) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        if (domain != null) {
            cmd.addAll(isolate);
        }
        cmd.add(java);
        cmd.add("-Xmx2g");
        if (domain != null) {
            cmd.add("-javaagent:" + agent + "=domain=" + domain + ",dir=" + dir);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private void table(App app, Map<String, String> tcp, Map<String, String> com) {
        System.out.println();
        System.out.println(app.title);
        System.out.printf(Locale.ROOT, "  %-26s %16s %22s %10s%n", "", "TCP 127.0.0.1", "com-socket " + SERVER_ADDRESS, "com/TCP");
        for (String[] row : app.rows) {
            double a = Double.parseDouble(tcp.get(row[0]));
            double b = Double.parseDouble(com.get(row[0]));
            System.out.printf(Locale.ROOT, "  %-26s %16s %22s %9.2fx%n", row[1], fmt(a), fmt(b), b / a);
        }
        System.out.printf(Locale.ROOT, "  %-26s %16s %22s%n", "data check", word(tcp.get("verified")), word(com.get("verified")));
        System.out.printf(Locale.ROOT, "  %-26s %16s %22s%n", "client TCP segments", tcp.get("tcpSegments"), com.get("tcpSegments"));
    }

    private static String fmt(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String word(String verified) {
        return "true".equals(verified) ? "verified" : "FAILED";
    }

    /** The command prefix that gives a JVM an empty network namespace, or none if none can be made. */
    private static List<String> isolation() {
        for (List<String> prefix : List.of(List.of("unshare", "-n", "--"), List.of("unshare", "-r", "-n", "--"))) {
            try {
                List<String> probe = new ArrayList<>(prefix);
                probe.add("true");
                Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) {
                    return prefix;
                }
            } catch (IOException | InterruptedException e) {
                // try the next way
            }
        }
        return List.of();
    }
}
