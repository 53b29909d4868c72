package io.comsock.bench;

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
 * the 64-byte round trip and connect+accept latency. Writes a Markdown report and a PNG chart.
 *
 * <p>Usage: {@code Fig4Bench --agent PATH [--runs N] [--scale F] [--out DIR]}. It asserts
 * nothing; the report says which targets were met.
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

    private Fig4Bench(String agent, Path dir, int runs, double scale, boolean isolate) {
        this.agent = agent;
        this.dir = dir;
        this.runs = runs;
        this.scale = scale;
        this.isolate = isolate;
    }

    /** What one transport measured. */
    static final class Result {
        final double[][] secondsPerGb = new double[SIZES.length][];
        double[] pingMedian;
        double[] pingP99;
        double[] connect;
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
        Fig4Bench b = new Fig4Bench(agent, Files.createTempDirectory("comsock-fig4"), runs, scale, Jvms.canIsolate());
        Map<String, Result> results = new LinkedHashMap<>();
        results.put("com-socket", b.remote("com-socket"));
        results.put("TCP loopback", b.remote("TCP loopback"));
        results.put("UNIX socket", b.remote("UNIX socket"));
        results.put("memcpy", b.memcpy());
        Files.createDirectories(out);
        String report = Fig4Report.markdown(results, runs, scale, b.isolate);
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
            Process client = start(com ? "3" : null, args.toArray(new String[0]));
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
            if (!client.waitFor(600, TimeUnit.SECONDS) || client.exitValue() != 0 || r.connect == null) {
                throw new IOException(transport + " client failed: " + new String(client.getErrorStream().readAllBytes()));
            }
            return r;
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
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
