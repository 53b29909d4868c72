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
 * {@code main}, and TCP loopback connections (connect + accept, 64-byte round trips) made by a
 * JVM that runs the agent, each beside the same without it.
 *
 * <p>Usage: {@code AgentOverheadBench --agent PATH [--runs N]}. Child JVMs print
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
        int runs = 15;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--agent")) {
                agent = args[++i];
            } else if (args[i].equals("--runs")) {
                runs = Integer.parseInt(args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i] + " (expected --agent PATH, --runs N)");
            }
        }
        if (agent == null || !Files.isRegularFile(Path.of(agent))) {
            throw new IllegalArgumentException("--agent must name the agent jar (got " + agent + ")");
        }
        try (RegionDir dir = RegionDir.create("comsock-overhead")) {
            measure(agent, runs, dir.path());
        }
    }

    private static void measure(String agent, int runs, Path dir) throws IOException, InterruptedException {
        String agentArg = "-javaagent:" + agent + "=domain=%d,dir=" + dir;
        double[] plain = new double[runs];
        double[] with = new double[runs];
        for (int r = 0; r < runs; r++) {
            plain[r] = timeToMain(null);
            with[r] = timeToMain(String.format(Locale.ROOT, agentArg, 10 + r % 100));
        }
        System.out.printf(Locale.ROOT, "agent overhead where nothing is routed, %d runs each, medians (min-max)%n%n", runs);
        System.out.printf(Locale.ROOT, "%-34s %22s %22s %10s%n", "", "without agent", "with agent", "difference");
        row("JVM start to main (ms)", plain, with);

        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> serve(server));
            t.setDaemon(true);
            t.start();
            String port = Integer.toString(server.getLocalPort());
            double[][] a = tcpClient(null, port, runs);
            double[][] b = tcpClient(String.format(Locale.ROOT, agentArg, 120), port, runs);
            row("TCP connect + accept (µs)", a[0], b[0]);
            row("TCP 64 B round trip (µs)", a[1], b[1]);
        }
    }

    private static void row(String name, double[] a, double[] b) {
        double ma = median(a);
        double mb = median(b);
        System.out.printf(Locale.ROOT, "%-34s %9.1f (%5.1f-%5.1f) %9.1f (%5.1f-%5.1f) %+10.1f%n", name, ma, min(a), max(a),
                mb, min(b), max(b), mb - ma);
    }

    private static double timeToMain(String agentArg) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = start(agentArg, "start");
        String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        if (p.waitFor() != 0 || line == null) {
            throw new IOException("child failed: " + new String(p.getErrorStream().readAllBytes()));
        }
        return (Long.parseLong(line.trim()) - t0) / 1e6;
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

    private static void child(String[] args) throws IOException {
        if (args[1].equals("start")) {
            System.out.println(System.nanoTime());
            return;
        }
        int port = Integer.parseInt(args[2]);
        int runs = Integer.parseInt(args[3]);
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
                System.out.println(connect[connect.length / 2] / 1000.0 + " " + rtt[rtt.length / 2] / 1000.0);
            }
        }
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
