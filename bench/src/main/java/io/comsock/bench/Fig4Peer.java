package io.comsock.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The program the figure-4 benchmark runs, in both roles: plain {@code java.net.Socket} code for
 * TCP (and, started with the agent at a com address, for com-socket: the same bytes), and
 * {@code SocketChannel} with {@code UnixDomainSocketAddress} for UNIX domain sockets. It knows
 * nothing of comsock.
 *
 * <pre>
 * server inet PORT | server unix PATH
 * client inet HOST:PORT TESTS... | client unix PATH TESTS...
 *   TESTS: stream:SIZE:BYTES:RUNS  ping:COUNT:RUNS  connect:COUNT:RUNS
 * </pre>
 * Each test prints {@code RESULT test value value ...}: seconds per run for streams, median and
 * p99 microseconds per run for ping-pong, median microseconds per run for a connect + accept with
 * a 1-byte answer and the close.
 */
public final class Fig4Peer {
    private Fig4Peer() {
    }

    /** One stream connection, whatever the family. */
    private interface Conn extends AutoCloseable {
        InputStream in();

        void write(byte[] b, int off, int len) throws IOException;

        void shutdownOutput() throws IOException;

        @Override
        void close() throws IOException;
    }

    private interface Dialer {
        Conn dial() throws IOException;
    }

    public static void main(String[] args) throws Exception {
        boolean unix = args[1].equals("unix");
        if (args[0].equals("server")) {
            serve(unix, args[2]);
            return;
        }
        Dialer dialer = unix ? unixDialer(Path.of(args[2])) : inetDialer(args[2]);
        for (int i = 3; i < args.length; i++) {
            String[] t = args[i].split(":");
            switch (t[0]) {
                case "stream":
                    stream(dialer, Integer.parseInt(t[1]), Long.parseLong(t[2]), Integer.parseInt(t[3]));
                    break;
                case "ping":
                    ping(dialer, Integer.parseInt(t[1]), Integer.parseInt(t[2]));
                    break;
                case "connect":
                    connect(dialer, Integer.parseInt(t[1]), Integer.parseInt(t[2]));
                    break;
                default:
                    throw new IllegalArgumentException("test=" + t[0] + " (expected stream, ping or connect)");
            }
        }
    }

    private static void stream(Dialer d, int size, long bytes, int runs) throws IOException {
        StringBuilder sb = new StringBuilder("RESULT stream:" + size);
        byte[] buf = new byte[size];
        Arrays.fill(buf, (byte) 'x');
        for (int r = -1; r < runs; r++) {
            long amount = r < 0 ? Math.max(size, bytes / 4) : bytes; // run -1 warms the code up
            long t0 = System.nanoTime();
            try (Conn c = d.dial()) {
                c.write(new byte[] {'S'}, 0, 1);
                for (long left = amount; left > 0; left -= size) {
                    c.write(buf, 0, (int) Math.min(size, left));
                }
                c.shutdownOutput();
                long got = new DataInputStream(c.in()).readLong();
                if (got != amount) {
                    throw new IOException("the receiver counted " + got + " bytes of " + amount);
                }
            }
            if (r >= 0) {
                sb.append(' ').append(String.format(Locale.ROOT, "%.6f", (System.nanoTime() - t0) / 1e9));
            }
        }
        System.out.println(sb);
        System.out.flush();
    }

    private static void ping(Dialer d, int count, int runs) throws IOException {
        StringBuilder sb = new StringBuilder("RESULT ping");
        byte[] msg = new byte[64];
        for (int r = -1; r < runs; r++) {
            long[] rtt = new long[count];
            try (Conn c = d.dial()) {
                c.write(new byte[] {'P'}, 0, 1);
                InputStream in = c.in();
                for (int i = 0; i < count; i++) {
                    long t = System.nanoTime();
                    c.write(msg, 0, 64);
                    readFully(in, msg);
                    rtt[i] = System.nanoTime() - t;
                }
            }
            if (r >= 0) {
                Arrays.sort(rtt);
                sb.append(String.format(Locale.ROOT, " %.2f/%.2f", rtt[count / 2] / 1e3, rtt[(int) (count * 0.99)] / 1e3));
            }
        }
        System.out.println(sb);
        System.out.flush();
    }

    private static void connect(Dialer d, int count, int runs) throws IOException {
        StringBuilder sb = new StringBuilder("RESULT connect");
        for (int r = -1; r < runs; r++) {
            long[] t = new long[count];
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                try (Conn c = d.dial()) {
                    c.write(new byte[] {'C'}, 0, 1);
                    if (c.in().read() != 'C') {
                        throw new IOException("the server did not answer the connect test");
                    }
                }
                t[i] = System.nanoTime() - t0;
            }
            if (r >= 0) {
                Arrays.sort(t);
                sb.append(String.format(Locale.ROOT, " %.2f", t[count / 2] / 1e3));
            }
        }
        System.out.println(sb);
        System.out.flush();
    }

    private static void serve(boolean unix, String where) throws IOException {
        if (unix) {
            Path path = Path.of(where);
            Files.deleteIfExists(path);
            ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ss.bind(UnixDomainSocketAddress.of(path));
            System.out.println("LISTENING");
            System.out.flush();
            while (true) {
                SocketChannel ch = ss.accept();
                handle(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch);
            }
        }
        ServerSocket ss = new ServerSocket(Integer.parseInt(where), 200);
        System.out.println("LISTENING");
        System.out.flush();
        while (true) {
            Socket s = ss.accept();
            s.setTcpNoDelay(true);
            handle(s.getInputStream(), s.getOutputStream(), s);
        }
    }

    private static void handle(InputStream in, OutputStream out, AutoCloseable conn) {
        Thread t = new Thread(() -> {
            try (conn) {
                int mode = in.read();
                if (mode == 'S') {
                    byte[] buf = new byte[1 << 20];
                    long total = 0;
                    for (int n; (n = in.read(buf, 0, buf.length)) > 0; ) {
                        total += n;
                    }
                    DataOutputStream d = new DataOutputStream(out);
                    d.writeLong(total);
                    d.flush();
                } else if (mode == 'P') {
                    byte[] msg = new byte[64];
                    while (readFully(in, msg)) {
                        out.write(msg, 0, 64);
                    }
                } else if (mode == 'C') {
                    out.write('C');
                }
            } catch (Exception e) {
                System.err.println("peer: " + e);
            }
        });
        t.setDaemon(true);
        t.start();
    }

    static boolean readFully(InputStream in, byte[] b) throws IOException {
        for (int got = 0; got < b.length; ) {
            int n = in.read(b, got, b.length - got);
            if (n < 0) {
                return false;
            }
            got += n;
        }
        return true;
    }

    private static Dialer inetDialer(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        InetSocketAddress to = new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        return () -> {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(to);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            return new Conn() {
                @Override
                public InputStream in() {
                    return in;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void shutdownOutput() throws IOException {
                    s.shutdownOutput();
                }

                @Override
                public void close() throws IOException {
                    s.close();
                }
            };
        };
    }

    private static Dialer unixDialer(Path path) {
        UnixDomainSocketAddress to = UnixDomainSocketAddress.of(path);
        return () -> {
            SocketChannel ch = SocketChannel.open(to);
            InputStream in = Channels.newInputStream(ch);
            return new Conn() {
                @Override
                public InputStream in() {
                    return in;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    ByteBuffer bb = ByteBuffer.wrap(b, off, len);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                }

                @Override
                public void shutdownOutput() throws IOException {
                    ch.shutdownOutput();
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        };
    }
}
