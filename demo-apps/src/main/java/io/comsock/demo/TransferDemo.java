package io.comsock.demo;

import io.comsock.bridge.ComAddress;
import io.comsock.bridge.ComConfig;
import io.comsock.bridge.ComDomain;
import io.comsock.bridge.ComServerSocket;
import io.comsock.bridge.ComSocket;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Moves data from one process to another twice, over com-socket and over TCP loopback, with the
 * same {@code java.net.Socket} code, and checks each transfer end to end with CRC-32C (cheap
 * enough not to hide the transports' difference).
 *
 * <p>Usage: {@code TransferDemo [megabytes]} (default 1024). The receiving process is this class
 * started again with {@code receive}.
 */
public final class TransferDemo {
    private static final int WRITE = 65536;

    private TransferDemo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("receive")) {
            receive(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        long mb = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        if (mb < 1) {
            throw new IllegalArgumentException("megabytes=" + mb + " must be at least 1");
        }
        Path dir = Files.createTempDirectory("comsock-demo");
        int tcpPort = 30000 + (int) (ProcessHandle.current().pid() % 10000);
        Process receiver = startReceiver(dir, 2, tcpPort);
        try (ComDomain domain = ComDomain.open(ComConfig.builder(1).dir(dir).build())) {
            System.out.printf(Locale.ROOT, "comsock demo: %d MB from process %d (domain 1, %s) to process %d "
                    + "(domain 2, %s), in %d KB writes%n%n", mb, ProcessHandle.current().pid(),
                    domain.address().getHostAddress(), receiver.pid(), ComAddress.addressOf(2).getHostAddress(),
                    WRITE / 1024);
            System.out.printf(Locale.ROOT, "%-14s %10s %10s %14s  %s%n", "transport", "moved", "time", "throughput", "CRC-32C");
            byte[] pattern = new byte[16 << 20];
            new Random(mb).nextBytes(pattern);
            long expected = expectedCrc(pattern, mb << 20);
            // one untimed round each first, so that both are measured with warm JIT-compiled code
            run(null, new ComSocket(domain), new InetSocketAddress(ComAddress.addressOf(2), 9000), 128, pattern,
                    expectedCrc(pattern, 128L << 20));
            run(null, new Socket(), new InetSocketAddress(InetAddress.getLoopbackAddress(), tcpPort), 128, pattern,
                    expectedCrc(pattern, 128L << 20));
            double com = run("com-socket", new ComSocket(domain), new InetSocketAddress(ComAddress.addressOf(2), 9000),
                    mb, pattern, expected);
            double tcp = run("TCP loopback", new Socket(), new InetSocketAddress(InetAddress.getLoopbackAddress(), tcpPort),
                    mb, pattern, expected);
            System.out.printf(Locale.ROOT, "%ncom-socket moved the same bytes %.1fx as fast as TCP loopback.%n", tcp / com);
        } finally {
            receiver.getOutputStream().close();
            receiver.waitFor();
        }
    }

    /** Sends {@code mb} megabytes and returns the seconds it took; prints one table row. */
    private static double run(String name, Socket s, InetSocketAddress to, long mb, byte[] pattern, long expected)
            throws IOException {
        long total = mb << 20;
        long t0;
        long theirs;
        try (s) {
            s.connect(to, 5000);
            OutputStream out = s.getOutputStream();
            t0 = System.nanoTime();
            for (long sent = 0; sent < total; sent += WRITE) {
                out.write(pattern, (int) (sent % pattern.length), WRITE);
            }
            s.shutdownOutput();
            theirs = new DataInputStream(s.getInputStream()).readLong();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        boolean ok = theirs == expected;
        if (name == null) {
            if (!ok) {
                throw new IOException("warm-up transfer: the receiver's CRC-32C differs from the sender's");
            }
            return secs;
        }
        System.out.printf(Locale.ROOT, "%-14s %7d MB %8.2f s %9.0f MB/s  %s%n", name, mb, secs, mb / secs,
                ok ? String.format(Locale.ROOT, "verified %08x", expected)
                        : String.format(Locale.ROOT, "MISMATCH: sent %08x, received %08x", expected, theirs));
        if (!ok) {
            throw new IOException(name + ": the receiver's CRC-32C differs from the sender's");
        }
        return secs;
    }

    /** CRC-32C of the stream that {@link #run} sends: the pattern repeated to {@code total} bytes. */
    private static long expectedCrc(byte[] pattern, long total) {
        CRC32C crc = new CRC32C();
        for (long sent = 0; sent < total; sent += pattern.length) {
            crc.update(pattern, 0, (int) Math.min(pattern.length, total - sent));
        }
        return crc.getValue();
    }

    private static void receive(Path dir, int domainId, int tcpPort) throws Exception {
        ComDomain domain = ComDomain.open(ComConfig.builder(domainId).dir(dir).build());
        ServerSocket com = new ComServerSocket(domain, 9000, 10);
        ServerSocket tcp = new ServerSocket(tcpPort, 10, InetAddress.getLoopbackAddress());
        for (ServerSocket ss : List.of(com, tcp)) {
            Thread t = new Thread(() -> serve(ss));
            t.setDaemon(true);
            t.start();
        }
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until the sender closes our standard input
        }
        domain.close();
    }

    private static void serve(ServerSocket ss) {
        byte[] buf = new byte[1 << 20];
        while (true) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException closed) {
                return;
            }
            try (s) {
                CRC32C crc = new CRC32C();
                InputStream in = s.getInputStream();
                int n;
                while ((n = in.read(buf)) > 0) {
                    crc.update(buf, 0, n);
                }
                new DataOutputStream(s.getOutputStream()).writeLong(crc.getValue());
            } catch (IOException e) {
                System.err.println("receiver: " + e);
            }
        }
    }

    private static Process startReceiver(Path dir, int domain, int tcpPort) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), TransferDemo.class.getName(),
                "receive", dir.toString(), Integer.toString(domain), Integer.toString(tcpPort))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        if (!"READY".equals(line)) {
            p.destroyForcibly();
            throw new IOException("the receiving process did not start (it said: " + line + ")");
        }
        return p;
    }

}
