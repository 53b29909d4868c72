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
 * figures side by side: operations per second, throughput, latency percentiles, the data check,
 * and com-socket against TCP as "faster" or "slower". On the com-socket side each JVM runs in a
 * network namespace of its own, whose only interface is a loopback that is down: the client's TCP
 * segment count of 0 shows that nothing went over TCP. The shared-memory regions live in a fresh
 * directory on {@code /dev/shm} (see {@link RegionDir}), removed at the end.
 *
 * <p>Usage: {@code ABDemo --agent PATH [--quick]}.
 */
public final class ABDemo {
    private static final String SERVER_DOMAIN = "2";
    private static final String CLIENT_DOMAIN = "3";
    private static final String SERVER_ADDRESS = "192.168.0.4";
    /** A client that runs longer than this is killed and its run fails: the demo never hangs. */
    private static final int CLIENT_LIMIT_SECONDS = 300;

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

    /** One row of a table: a key of the clients' results, its label, and which way is better. */
    private record Row(String key, String label, boolean higherIsBetter) {
    }

    private static Row more(String key, String label) {
        return new Row(key, label, true);
    }

    private static Row less(String key, String label) {
        return new Row(key, label, false);
    }

    /** One application: its server, its client, and how to read the client's figures. */
    private static final class App {
        final String title;
        final String server;
        final String[] serverArgs;
        final String client;
        final String[] clientArgs;
        final Row[] rows;

        App(String title, String server, String[] serverArgs, String client, String[] clientArgs, Row... rows) {
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
        int fileMb = 256 / scale;
        List<App> apps = List.of(
                new App("echo: 4 connections, 64-byte requests one at a time", EchoServer.class.getName(),
                        new String[] {"7101"}, EchoClient.class.getName(), new String[] {"7101", "4", "" + 50000 / scale},
                        more("ops", "requests/s"), more("MBps", "throughput (MB/s both ways)"),
                        less("p50us", "p50 round trip (µs)"), less("p99us", "p99 round trip (µs)"),
                        less("p999us", "p99.9 round trip (µs)")),
                new App("key-value store: text protocol, SET then GET, pipelines of 32", KvServer.class.getName(),
                        new String[] {"7102"}, KvClient.class.getName(), new String[] {"7102", "" + 200000 / scale, "32"},
                        more("ops", "requests/s"), more("MBps", "throughput (MB/s both ways)"),
                        less("p50us", "p50 per pipeline (µs)"), less("p99us", "p99 per pipeline (µs)")),
                new App("file transfer: a " + fileMb + " MB file, 8 downloads, SHA-256 checked", FileServer.class.getName(),
                        new String[] {"7103", "" + fileMb}, FileClient.class.getName(), new String[] {"7103", "8"},
                        more("ops", "downloads/s"), more("MBps", "throughput (MB/s)"),
                        less("p50us", "p50 per download (µs)"), less("p99us", "p99 per download (µs)")),
                new App("chat room: 8 members, 5000 lines each, fanned out to the others", ChatServer.class.getName(),
                        new String[] {"7104"}, ChatClient.class.getName(), new String[] {"7104", "8", "" + 5000 / scale},
                        more("ops", "lines delivered/s"), more("MBps", "throughput (MB/s delivered)"),
                        less("p50us", "p50 say-to-hear (µs)"), less("p99us", "p99 say-to-hear (µs)"),
                        less("p999us", "p99.9 say-to-hear (µs)")));
        List<String> isolate = Processes.isolation();
        boolean allVerified = true;
        try (RegionDir dir = RegionDir.create("comsock-ab")) {
            ABDemo demo = new ABDemo(agent, dir.path(), isolate, apps.size() * 2);
            System.out.println("comsock A/B demo: the same application jars on TCP (127.0.0.1) and, with -javaagent, on "
                    + "com-socket (" + SERVER_ADDRESS + "); Java " + System.getProperty("java.version"));
            System.out.println(!isolate.isEmpty() ? "Each com-socket JVM runs in a network namespace of its own, whose only "
                    + "interface is a loopback that is down: it cannot send a byte over TCP."
                    : "No network namespace could be made here: the com-socket side relies on the agent failing closed.");
            System.out.println(dir.describe());
            for (App app : apps) {
                Map<String, String> tcp = demo.run(app, false);
                Map<String, String> com = demo.run(app, true);
                allVerified &= "true".equals(tcp.get("verified")) && "true".equals(com.get("verified"));
                demo.table(app, tcp, com);
            }
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
            Processes.limit(client, CLIENT_LIMIT_SECONDS);
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
            if (!client.waitFor(10, TimeUnit.SECONDS) || client.exitValue() != 0 || result.isEmpty()) {
                throw new IOException(app.client + (com ? " on com-socket" : " on TCP") + " failed: "
                        + new String(client.getErrorStream().readAllBytes()));
            }
            return result;
        } finally {
            Processes.stop(server);
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
        System.out.printf(Locale.ROOT, "  %-30s %14s %22s   %s%n", "", "TCP 127.0.0.1", "com-socket " + SERVER_ADDRESS,
                "com-socket vs TCP");
        for (Row row : app.rows) {
            String a = tcp.get(row.key());
            String b = com.get(row.key());
            if (a == null || b == null) {
                System.out.printf(Locale.ROOT, "  %-30s %14s %22s   too few samples (%s)%n", row.label(), "-", "-",
                        tcp.get("samples"));
                continue;
            }
            System.out.printf(Locale.ROOT, "  %-30s %14s %22s   %s%n", row.label(), fmt(Double.parseDouble(a)),
                    fmt(Double.parseDouble(b)), versus(row, Double.parseDouble(a), Double.parseDouble(b)));
        }
        System.out.printf(Locale.ROOT, "  %-30s %14s %22s%n", "data check", word(tcp.get("verified")), word(com.get("verified")));
        System.out.printf(Locale.ROOT, "  %-30s %14s %22s%n", isolate.isEmpty() ? "host TCP segments meanwhile"
                : "TCP segments, client's netns", tcp.get("tcpSegments"), com.get("tcpSegments"));
    }

    /** com-socket against TCP: how many times faster or slower, whichever way the row is better. */
    private static String versus(Row row, double tcp, double com) {
        if (tcp <= 0 || com <= 0) {
            return "-";
        }
        double gain = row.higherIsBetter() ? com / tcp : tcp / com;
        return gain >= 1 ? String.format(Locale.ROOT, "%.2fx faster", gain)
                : String.format(Locale.ROOT, "%.2fx slower", 1 / gain);
    }

    private static String fmt(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String word(String verified) {
        return "true".equals(verified) ? "verified" : "FAILED";
    }
}
