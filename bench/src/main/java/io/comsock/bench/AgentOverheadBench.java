package io.comsock.bench;

import io.comsock.demo.RegionDir;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the agent costs where it does not route: the time from starting a JVM to its
 * {@code main} (and, beside it, to its first connection answered, over TCP without the agent and
 * over com-socket with it), and TCP loopback connections (connect + accept, 64-byte round trips) made by a
 * JVM that runs the agent and served by one (a wildcard server socket, which the agent makes
 * listen on com-socket too), each beside the same without it.
 *
 * <p>Usage: {@code AgentOverheadBench --agent PATH [--runs N] [--report FILE]}; the report is
 * appended to, as a Markdown section naming the JDK. Child JVMs print
 * {@code System.nanoTime()}, which is {@code CLOCK_MONOTONIC} and so comparable across processes.
 */
public final class AgentOverheadBench {
    private AgentOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args);
            return;
        }
        String agent = null;
        String report = null;
        int runs = 15;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--agent")) {
                agent = args[++i];
            } else if (args[i].equals("--runs")) {
                runs = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--report")) {
                report = args[++i];
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --agent PATH, --runs N, --report FILE)");
            }
        }
        if (agent == null || !Files.isRegularFile(Path.of(agent))) {
            throw new IllegalArgumentException("--agent must name the agent jar (got " + agent + ")");
        }
        try (RegionDir dir = RegionDir.create("comsock-overhead")) {
            measure(agent, runs, report, dir.path());
        }
    }

    private static void measure(String agent, int runs, String report, Path dir) throws IOException, InterruptedException {
        String agentArg = "-javaagent:" + agent + "=domain=%d,dir=" + dir;
        List<String> rows = new ArrayList<>();
        String emptyArg = "-javaagent:" + EmptyAgent.jar(dir);
        double[] plain = new double[runs];
        double[] empty = new double[runs];
        double[] with = new double[runs];
        for (int r = 0; r < runs; r++) {
            plain[r] = timeToMain(null);
            empty[r] = timeToMain(emptyArg);
            with[r] = timeToMain(String.format(Locale.ROOT, agentArg, 10 + r % 100));
        }
        rows.add(row("JVM start to main (ms)", plain, with));
        rows.add(row("JVM start to main, an agent that does nothing (ms)", plain, empty));
        rows.add(row("JVM start to main, comsock beyond that (ms)", empty, with));
        rows.add(firstConnection(agentArg, runs));

        // the agent on the client: its sockets to 127.0.0.1 are left on TCP
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> serve(server));
            t.setDaemon(true);
            t.start();
            String port = Integer.toString(server.getLocalPort());
            double[][] a = tcpClient(null, port, runs);
            double[][] b = tcpClient(String.format(Locale.ROOT, agentArg, 120), port, runs);
            rows.add(row("TCP connect + accept, agent on the client (µs)", a[0], b[0]));
            rows.add(row("TCP 64 B round trip, agent on the client (µs)", a[1], b[1]));
        }
        // the agent on the server: a wildcard server socket also listens on com-socket, and hands
        // the TCP connections it accepts over from a thread of its own
        double[][] c = tcpServer(null, runs);
        double[][] d = tcpServer(String.format(Locale.ROOT, agentArg, 121), runs);
        rows.add(row("TCP connect + accept, agent on a wildcard server (µs)", c[0], d[0]));
        rows.add(row("TCP 64 B round trip, agent on a wildcard server (µs)", c[1], d[1]));

        String title = String.format(Locale.ROOT, "agent overhead where nothing is routed, %d runs each, medians (min-max)", runs);
        String header = String.format(Locale.ROOT, "%-52s %22s %22s %10s", "", "without agent", "with agent", "difference");
        System.out.println(title);
        System.out.println();
        System.out.println(header);
        for (String r : rows) {
            String[] f = r.split("\\|");
            System.out.println(String.format(Locale.ROOT, "%-52s %22s %22s %10s", f[0], f[1], f[2], f[3]));
        }
        if (report != null) {
            writeReport(Path.of(report), runs, rows);
        }
    }

    /** Appends this run to a Markdown report (one section per run, so both JDKs can go in one file). */
    private static void writeReport(Path file, int runs, List<String> rows) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "## Java %s, %s%n%n", System.getProperty("java.version"), java.time.LocalDate.now()));
        md.append(String.format(Locale.ROOT, "%d runs each; medians, with min-max; %d CPUs; load average %.2f when it ended.%n%n",
                runs, Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        md.append("| measure | without agent | with agent | difference |\n| --- | ---: | ---: | ---: |\n");
        for (String r : rows) {
            md.append("| ").append(r.replace("|", " | ")).append(" |\n");
        }
        md.append('\n');
        Files.writeString(file, md.toString(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        System.out.println("appended to " + file);
    }

    /** One row: its cells separated by '|'. */
    private static String row(String name, double[] a, double[] b) {
        double ma = median(a);
        double mb = median(b);
        return String.format(Locale.ROOT, "%s|%.1f (%.1f-%.1f)|%.1f (%.1f-%.1f)|%+.1f", name, ma, min(a), max(a), mb, min(b),
                max(b), mb - ma);
    }

    private static double timeToMain(String agentArg) throws IOException, InterruptedException {
        return timeTo(agentArg, "start");
    }

    /** From starting a child JVM to the time it prints (ms). */
    private static double timeTo(String agentArg, String... args) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = start(agentArg, args);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        if (p.waitFor() != 0 || line == null) {
            throw new IOException("child failed: " + new String(p.getErrorStream().readAllBytes()));
        }
        return (Long.parseLong(line.trim()) - t0) / 1e6;
    }

    /**
     * What an application waits for its first connection, from JVM start to the first byte
     * answered: over TCP to loopback without the agent, and over com-socket with it (the agent opens
     * its transport after {@code main} has started, so the first com connection may wait for it).
     */
    private static String firstConnection(String agentArg, int runs) throws IOException, InterruptedException {
        double[] tcp = new double[runs];
        double[] com = new double[runs];
        try (ServerSocket local = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> serve(local));
            t.setDaemon(true);
            t.start();
            Process server = start(String.format(Locale.ROOT, agentArg, 122), "serve");
            try {
                String comPort = Integer.toString(portOf(server));
                for (int r = 0; r < runs; r++) {
                    tcp[r] = timeTo(null, "first", "127.0.0.1", Integer.toString(local.getLocalPort()));
                    com[r] = timeTo(String.format(Locale.ROOT, agentArg, 10 + r % 100), "first", "192.168.0.124", comPort);
                }
            } finally {
                stop(server);
            }
        }
        return row("JVM start to its first connection answered: TCP without the agent, com-socket with it (ms)", tcp, com);
    }

    /** One child JVM making {@code runs} rounds of 200 connects and 2000 round trips; medians per round. */
    private static double[][] tcpClient(String agentArg, String port, int runs) throws IOException, InterruptedException {
        Process p = start(agentArg, "tcp", port, Integer.toString(runs));
        List<double[]> rows = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        for (String line; (line = r.readLine()) != null; ) {
            String[] f = line.trim().split(" ");
            rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])});
        }
        if (p.waitFor() != 0 || rows.size() != runs) {
            throw new IOException("tcp child failed: " + new String(p.getErrorStream().readAllBytes()));
        }
        double[][] out = new double[2][runs];
        for (int i = 0; i < runs; i++) {
            out[0][i] = rows.get(i)[0];
            out[1][i] = rows.get(i)[1];
        }
        return out;
    }

    private static Process start(String agentArg, String... args) throws IOException {
        String[] all = new String[args.length + 1];
        all[0] = "child";
        System.arraycopy(args, 0, all, 1, args.length);
        return Jvms.start(false, agentArg, AgentOverheadBench.class, all);
    }

    /**
     * A child JVM serving on a wildcard server socket, and this process as its client: medians
     * per round of connect+accept and 64-byte round trips.
     */
    private static double[][] tcpServer(String agentArg, int runs) throws IOException, InterruptedException {
        Process p = start(agentArg, "serve");
        try {
            List<double[]> rows = rounds(portOf(p), runs);
            double[][] out = new double[2][runs];
            for (int i = 0; i < runs; i++) {
                out[0][i] = rows.get(i)[0];
                out[1][i] = rows.get(i)[1];
            }
            return out;
        } finally {
            stop(p);
        }
    }

    /** The port a server child ("serve") listens on, once it says so. */
    private static int portOf(Process server) throws IOException {
        String line = new BufferedReader(new InputStreamReader(server.getInputStream())).readLine();
        if (line == null || !line.startsWith("PORT ")) {
            throw new IOException("server child failed: " + new String(server.getErrorStream().readAllBytes()));
        }
        return Integer.parseInt(line.substring(5).trim());
    }

    /** Ends a server child: it ends with its input. */
    private static void stop(Process server) throws IOException, InterruptedException {
        server.getOutputStream().close();
        if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor();
        }
    }

    private static void child(String[] args) throws IOException {
        if (args[1].equals("start")) {
            System.out.println(System.nanoTime());
            return;
        }
        if (args[1].equals("first")) {
            try (Socket s = new Socket(args[2], Integer.parseInt(args[3]))) {
                s.getOutputStream().write('C');
                if (s.getInputStream().read() != 'C') {
                    throw new IOException("no answer from " + args[2]);
                }
            }
            System.out.println(System.nanoTime());
            return;
        }
        if (args[1].equals("serve")) {
            // the wildcard address: with the agent, this server listens on com-socket too
            ServerSocket server = new ServerSocket(0, 50);
            Thread t = new Thread(() -> serve(server));
            t.setDaemon(true);
            t.start();
            System.out.println("PORT " + server.getLocalPort());
            System.out.flush();
            System.in.read();
            server.close();
            return;
        }
        for (double[] r : rounds(Integer.parseInt(args[2]), Integer.parseInt(args[3]))) {
            System.out.println(r[0] + " " + r[1]);
        }
    }

    /** {@code runs} rounds (after one to warm up) of 200 connects and 2000 round trips; medians per round, µs. */
    private static List<double[]> rounds(int port, int runs) throws IOException {
        List<double[]> rows = new ArrayList<>();
        byte[] msg = new byte[64];
        for (int r = 0; r < runs + 1; r++) {
            long[] connect = new long[200];
            for (int i = 0; i < connect.length; i++) {
                long t = System.nanoTime();
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.getOutputStream().write('C');
                    if (s.getInputStream().read() != 'C') {
                        throw new IOException("no accept answer");
                    }
                }
                connect[i] = System.nanoTime() - t;
            }
            long[] rtt = new long[2000];
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write('P');
                for (int i = 0; i < rtt.length; i++) {
                    long t = System.nanoTime();
                    out.write(msg);
                    BenchServer.readFully(in, msg);
                    rtt[i] = System.nanoTime() - t;
                }
            }
            if (r > 0) { // the first round warms up
                Arrays.sort(connect);
                Arrays.sort(rtt);
                rows.add(new double[] {connect[connect.length / 2] / 1000.0, rtt[rtt.length / 2] / 1000.0});
            }
        }
        return rows;
    }

    private static void serve(ServerSocket server) {
        while (true) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                Thread h = new Thread(() -> {
                    try (s) {
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        int mode = in.read();
                        if (mode == 'C') {
                            out.write('C');
                        } else if (mode == 'P') {
                            byte[] msg = new byte[64];
                            while (BenchServer.readFully(in, msg)) {
                                out.write(msg);
                            }
                        }
                    } catch (IOException e) {
                        // the client went away
                    }
                });
                h.setDaemon(true);
                h.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
