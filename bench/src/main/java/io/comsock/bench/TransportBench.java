package io.comsock.bench;

import io.comsock.bridge.ComAddress;
import io.comsock.bridge.ComConfig;
import io.comsock.bridge.ComDomain;
import io.comsock.bridge.ComSocket;
import io.comsock.demo.RegionDir;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Two-process transport benchmark: the same {@code java.net.Socket} code over com-socket and over
 * TCP loopback, side by side in one run. A 64-byte ping-pong (median and p99 round trip) and
 * streaming at write sizes from 1 B to 512 KB (MB/s, median of repeated runs). The far side is a
 * {@link BenchServer} in another JVM.
 *
 * <p>Usage: {@code TransportBench [--runs N] [--scale F]}. Prints a table; it asserts nothing.
 */
public final class TransportBench {
    static final int PING_SIZE = 64;
    static final int[] SIZES = {1, 64, 1024, 8192, 65536, 524288};
    /** Bytes moved per run at each size (scaled down for the tiny writes, where TCP is slow). */
    static final long[] AMOUNTS = {2L << 20, 64L << 20, 512L << 20, 1L << 30, 1L << 30, 1L << 30};

    private TransportBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = 3;
        double scale = 1.0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs":
                    runs = Integer.parseInt(args[++i]);
                    break;
                case "--scale":
                    scale = Double.parseDouble(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i] + " (expected --runs N, --scale F)");
            }
        }
        try (RegionDir dir = RegionDir.create("comsock-bench")) {
            System.out.println(dir.describe());
            measure(runs, scale, dir.path());
        }
    }

    private static void measure(int runs, double scale, Path dir) throws IOException, InterruptedException {
        int tcpPort = 20000 + (int) (ProcessHandle.current().pid() % 10000);
        int comPort = 7000;
        Process server = startServer(dir, 2, tcpPort, comPort);
        try (ComDomain domain = ComDomain.open(ComConfig.builder(1).dir(dir).build())) {
            InetSocketAddress comAddr = new InetSocketAddress(ComAddress.addressOf(2), comPort);
            InetSocketAddress tcpAddr = new InetSocketAddress(InetAddress.getLoopbackAddress(), tcpPort);
            System.out.printf(Locale.ROOT, "comsock transport benchmark: two JVM processes, java.net.Socket on both "
                    + "sides, %d runs per figure (median shown), Java %s%n%n", runs, System.getProperty("java.version"));

            double[] comRtt = pingPong(() -> new ComSocket(domain), comAddr, runs, scale);
            double[] tcpRtt = pingPong(Socket::new, tcpAddr, runs, scale);
            System.out.printf(Locale.ROOT, "%-28s %12s %12s %8s%n", "64 B ping-pong round trip", "com-socket", "TCP", "ratio");
            System.out.printf(Locale.ROOT, "%-28s %10.2f µs %9.2f µs %8.2f%n", "  median", comRtt[0], tcpRtt[0], comRtt[0] / tcpRtt[0]);
            System.out.printf(Locale.ROOT, "%-28s %10.2f µs %9.2f µs %8.2f%n%n", "  p99", comRtt[1], tcpRtt[1], comRtt[1] / tcpRtt[1]);

            System.out.printf(Locale.ROOT, "%-10s %10s %14s %14s %8s%n", "write", "moved", "com-socket", "TCP", "com/TCP");
            for (int i = 0; i < SIZES.length; i++) {
                long amount = Math.max(SIZES[i], (long) (AMOUNTS[i] * scale));
                double com = stream(() -> new ComSocket(domain), comAddr, SIZES[i], amount, runs);
                double tcp = stream(Socket::new, tcpAddr, SIZES[i], amount, runs);
                System.out.printf(Locale.ROOT, "%-10s %8d MB %9.1f MB/s %9.1f MB/s %8.2f%n", size(SIZES[i]),
                        amount >> 20, com, tcp, com / tcp);
            }
            System.out.println();
            System.out.println("domain counters: " + domain.stats());
        } finally {
            server.getOutputStream().close();
            server.waitFor();
        }
    }

    interface SocketMaker {
        Socket make() throws IOException;
    }

    /** Returns {median, p99} round trip in microseconds over all runs. */
    static double[] pingPong(SocketMaker maker, InetSocketAddress addr, int runs, double scale) throws IOException {
        int warm = 20_000;
        int measured = Math.max(1000, (int) (50_000 * scale));
        double[] medians = new double[runs];
        double[] p99s = new double[runs];
        for (int r = 0; r < runs; r++) {
            try (Socket s = maker.make()) {
                s.setTcpNoDelay(true);
                s.connect(addr);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                out.write('P');
                byte[] msg = new byte[PING_SIZE];
                long[] rtt = new long[measured];
                for (int i = 0; i < warm + measured; i++) {
                    long t0 = System.nanoTime();
                    out.write(msg, 0, msg.length);
                    if (!BenchServer.readFully(in, msg)) {
                        throw new IOException("echo ended early");
                    }
                    if (i >= warm) {
                        rtt[i - warm] = System.nanoTime() - t0;
                    }
                }
                Arrays.sort(rtt);
                medians[r] = rtt[measured / 2] / 1000.0;
                p99s[r] = rtt[(int) (measured * 0.99)] / 1000.0;
            }
        }
        return new double[] {median(medians), median(p99s)};
    }

    /** Median MB/s of {@code runs} transfers of {@code amount} bytes in writes of {@code size}. */
    static double stream(SocketMaker maker, InetSocketAddress addr, int size, long amount, int runs) throws IOException {
        double[] rates = new double[runs];
        transfer(maker, addr, size, Math.max(size, amount / 8)); // warm-up, not counted
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            transfer(maker, addr, size, amount);
            double secs = (System.nanoTime() - t0) / 1e9;
            rates[r] = amount / secs / (1 << 20);
        }
        return median(rates);
    }

    private static void transfer(SocketMaker maker, InetSocketAddress addr, int size, long amount) throws IOException {
        try (Socket s = maker.make()) {
            s.setTcpNoDelay(true);
            s.connect(addr);
            OutputStream out = s.getOutputStream();
            out.write('S');
            byte[] buf = new byte[size];
            Arrays.fill(buf, (byte) 'x');
            long left = amount;
            while (left > 0) {
                int n = (int) Math.min(size, left);
                out.write(buf, 0, n);
                left -= n;
            }
            s.shutdownOutput();
            long got = new DataInputStream(s.getInputStream()).readLong();
            if (got != amount) {
                throw new IOException("server counted " + got + " bytes, sent " + amount);
            }
        }
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static String size(int bytes) {
        return bytes >= 1024 ? (bytes / 1024) + " KB" : bytes + " B";
    }

    private static Process startServer(Path dir, int domain, int tcpPort, int comPort) throws IOException {
        Process p = Jvms.start(false, null, BenchServer.class, dir.toString(), Integer.toString(domain),
                Integer.toString(tcpPort), Integer.toString(comPort));
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line = r.readLine();
        if (!"READY".equals(line)) {
            p.destroyForcibly();
            throw new IOException("benchmark server did not start (said: " + line + ")");
        }
        return p;
    }
}
