package io.comsock.bench;

import io.comsock.demo.Processes;
import io.comsock.demo.RegionDir;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The paper's figure 4, two processes per transport: the time to send 1 GB at message sizes from
 * 1 B to 512 KB over com-socket (an unmodified {@code java.net.Socket} program started with the
 * agent), TCP loopback (the same program without it), UNIX domain sockets ({@code SocketChannel}
 * with {@code UnixDomainSocketAddress}), and an in-process memory copy as the physical limit; plus
 * the 64-byte round trip and the latency of a connect + accept (with a 1-byte answer and the close).
 * Writes a Markdown report and a PNG chart.
 *
 * <p>Usage: {@code Fig4Bench --agent PATH [--runs N] [--scale F] [--out DIR]}. It asserts
 * nothing; the report says which targets were met, by how much the others were missed, and what
 * the run measured that explains it (see {@link RunConditions}). The shared-memory regions live in
 * a fresh directory on {@code /dev/shm} (see {@link RegionDir}), removed at the end. Each
 * transport's peer JVMs have exited before the next transport starts.
 */
public final class Fig4Bench {
    static final int[] SIZES = {1, 64, 1024, 8192, 65536, 524288};
    static final long GB = 1L << 30;
    /** Bytes actually sent per run at each size; the time for 1 GB is scaled from it. */
    static final long[] SENT = {4L << 20, 128L << 20, 512L << 20, GB, GB, GB};
    static final String[] TRANSPORTS = {"com-socket", "TCP loopback", "UNIX socket", "memcpy"};

    private final String agent;
    private final Path dir;
    private final int runs;
    private final double scale;
    private final boolean isolate;
    private final long clientLimitSeconds;

    private Fig4Bench(String agent, Path dir, int runs, double scale, boolean isolate) {
        this.agent = agent;
        this.dir = dir;
        this.runs = runs;
        this.scale = scale;
        this.isolate = isolate;
        this.clientLimitSeconds = (long) Math.max(120, 360 * runs * scale);
    }

    /** What one transport measured. */
    static final class Result {
        final double[][] secondsPerGb = new double[SIZES.length][];
        double[] pingMedian;
        double[] pingP99;
        double[] connect;
    }

    /** How the run was made and what else the machine was doing meanwhile, for the report. */
    static final class Conditions {
        String commit;
        String date;
        int runs;
        double scale;
        boolean isolated;
        String regions;
        double[] loadBefore;
        double[] loadAfter;
        /** CPUs kept busy by other processes, on average, during each transport's part and the whole run. */
        final Map<String, Double> others = new LinkedHashMap<>();
        double othersTotal;
        double steal;
    }

    public static void main(String[] args) throws Exception {
        String agent = null;
        int runs = 5;
        double scale = 1.0;
        Path out = Path.of("docs/bench");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--agent":
                    agent = args[++i];
                    break;
                case "--runs":
                    runs = Integer.parseInt(args[++i]);
                    break;
                case "--scale":
                    scale = Double.parseDouble(args[++i]);
                    break;
                case "--out":
                    out = Path.of(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (expected --agent PATH, --runs N, --scale F, --out DIR)");
            }
        }
        if (agent == null || !Files.isRegularFile(Path.of(agent))) {
            throw new IllegalArgumentException("--agent must name the agent jar (got " + agent + ")");
        }
        if (runs < 1 || scale <= 0) {
            throw new IllegalArgumentException("runs=" + runs + " scale=" + scale + " (expected runs >= 1, scale > 0)");
        }
        Conditions c = new Conditions();
        c.commit = RunConditions.commit();
        c.date = today();
        c.runs = runs;
        c.scale = scale;
        c.isolated = Jvms.canIsolate();
        c.loadBefore = RunConditions.loadAverage();
        RunConditions.Cpu start = RunConditions.Cpu.now();
        Map<String, Result> results = new LinkedHashMap<>();
        try (RegionDir dir = RegionDir.create("comsock-fig4")) {
            c.regions = dir.describe();
            System.err.println("[fig4] " + c.regions);
            Fig4Bench b = new Fig4Bench(agent, dir.path(), runs, scale, c.isolated);
            for (String transport : TRANSPORTS) {
                RunConditions.Cpu t0 = RunConditions.Cpu.now();
                results.put(transport, transport.equals("memcpy") ? b.memcpy() : b.remote(transport));
                c.others.put(transport, RunConditions.Cpu.now().othersSince(t0));
            }
        }
        RunConditions.Cpu end = RunConditions.Cpu.now();
        c.othersTotal = end.othersSince(start);
        c.steal = end.stealSince(start);
        c.loadAfter = RunConditions.loadAverage();
        Files.createDirectories(out);
        String report = Fig4Report.markdown(results, c);
        Files.writeString(out.resolve("fig4.md"), report);
        Fig4Report.chart(results, out.resolve("fig4.png"));
        System.out.println(report);
        System.out.println("written: " + out.resolve("fig4.md") + ", " + out.resolve("fig4.png"));
    }

    private long sent(int i) {
        return Math.max(SIZES[i], (long) (SENT[i] * scale));
    }

    private Result remote(String transport) throws IOException, InterruptedException {
        System.err.println("[fig4] " + transport + " ...");
        boolean com = transport.equals("com-socket");
        boolean unix = transport.equals("UNIX socket");
        String kind = unix ? "unix" : "inet";
        String where = unix ? dir.resolve("fig4.sock").toString() : "7301";
        Process server = start(com ? "2" : null, "server", kind, where);
        Process client = null;
        try {
            BufferedReader sr = new BufferedReader(new InputStreamReader(server.getInputStream()));
            String ready = sr.readLine();
            if (!"LISTENING".equals(ready)) {
                throw new IOException(transport + " server did not start: " + ready);
            }
            List<String> tests = new ArrayList<>();
            for (int i = 0; i < SIZES.length; i++) {
                tests.add("stream:" + SIZES[i] + ":" + sent(i) + ":" + runs);
            }
            tests.add("ping:" + Math.max(1000, (int) (20000 * scale)) + ":" + runs);
            tests.add("connect:" + Math.max(50, (int) (500 * scale)) + ":" + runs);
            List<String> args = new ArrayList<>(List.of("client", kind,
                    unix ? where : (com ? "192.168.0.4:" : "127.0.0.1:") + where));
            args.addAll(tests);
            client = start(com ? "3" : null, args.toArray(new String[0]));
            Processes.limit(client, clientLimitSeconds);
            Result r = new Result();
            BufferedReader cr = new BufferedReader(new InputStreamReader(client.getInputStream()));
            int stream = 0;
            for (String line; (line = cr.readLine()) != null; ) {
                if (!line.startsWith("RESULT ")) {
                    continue;
                }
                String[] f = line.split(" ");
                double[] v = new double[f.length - 2];
                double[] p99 = new double[f.length - 2];
                for (int k = 2; k < f.length; k++) {
                    String[] pair = f[k].split("/");
                    v[k - 2] = Double.parseDouble(pair[0]);
                    p99[k - 2] = pair.length > 1 ? Double.parseDouble(pair[1]) : 0;
                }
                if (f[1].startsWith("stream:")) {
                    double factor = (double) GB / sent(stream);
                    for (int k = 0; k < v.length; k++) {
                        v[k] *= factor;
                    }
                    r.secondsPerGb[stream++] = v;
                } else if (f[1].equals("ping")) {
                    r.pingMedian = v;
                    r.pingP99 = p99;
                } else if (f[1].equals("connect")) {
                    r.connect = v;
                }
            }
            if (!client.waitFor(30, TimeUnit.SECONDS) || client.exitValue() != 0 || r.connect == null) {
                throw new IOException(transport + " client failed: " + new String(client.getErrorStream().readAllBytes()));
            }
            return r;
        } finally {
            // the next transport starts only once this one's peers have exited
            if (client != null) {
                Processes.stop(client);
            }
            Processes.stop(server);
        }
    }

    /** The physical limit: copying the same bytes in memory, in chunks of each size. */
    private Result memcpy() {
        System.err.println("[fig4] memcpy ...");
        Result r = new Result();
        byte[] src = new byte[8 << 20];
        byte[] dst = new byte[8 << 20];
        Arrays.fill(src, (byte) 'x');
        for (int i = 0; i < SIZES.length; i++) {
            int size = SIZES[i];
            long amount = sent(i);
            double[] v = new double[runs];
            for (int run = -1; run < runs; run++) {
                long t0 = System.nanoTime();
                int off = 0;
                for (long left = amount; left > 0; left -= size) {
                    int n = (int) Math.min(size, left);
                    if (off + n > src.length) {
                        off = 0;
                    }
                    System.arraycopy(src, off, dst, off, n);
                    off += n;
                }
                if (run >= 0) {
                    v[run] = (System.nanoTime() - t0) / 1e9 * ((double) GB / amount);
                }
            }
            r.secondsPerGb[i] = v;
        }
        return r;
    }

    private Process start(String domain, String... args) throws IOException {
        return Jvms.start(domain != null && isolate,
                domain == null ? null : "-javaagent:" + agent + "=domain=" + domain + ",dir=" + dir, Fig4Peer.class, args);
    }

    static String sizeName(int bytes) {
        return bytes >= 1024 ? (bytes / 1024) + " KB" : bytes + " B";
    }

    static String today() {
        return LocalDate.now().toString();
    }

    static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
