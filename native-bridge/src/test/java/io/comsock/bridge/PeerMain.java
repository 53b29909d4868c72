package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The second process of the two-process tests: one domain that plays a role the test picks.
 * It prints {@code READY} once it listens, and results as {@code key=value} lines.
 */
public final class PeerMain {
    private PeerMain() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Paths.get(args[1]);
        int domain = Integer.parseInt(args[2]);
        int port = Integer.parseInt(args[3]);
        PrintStream out = System.out;
        ComDomain d = ComDomain.open(ComConfig.builder(domain).dir(dir).build());
        switch (mode) {
            case "sink": {
                ComListener l = d.listen(port, 200);
                out.println("READY");
                out.flush();
                while (true) {
                    ComConnection c = l.accept(0);
                    Thread t = new Thread(() -> sink(c));
                    t.start();
                }
            }
            case "echo": {
                ComListener l = d.listen(port, 200);
                out.println("READY");
                out.flush();
                while (true) {
                    ComConnection c = l.accept(0);
                    Thread t = new Thread(() -> echo(c));
                    t.start();
                }
            }
            case "last-words": {
                // writes, closes and exits at once, without shutdown hooks: the peer must still
                // read every byte and then an orderly end of stream, not a reset
                ComListener l = d.listen(port, 10);
                out.println("READY");
                out.flush();
                ComConnection c = l.accept(0);
                byte[] buf = new byte[100_000];
                new Data(7).fill(buf, buf.length);
                c.write(buf, 0, buf.length);
                c.close();
                Runtime.getRuntime().halt(0);
                break;
            }
            case "source": {
                ComListener l = d.listen(port, 10);
                out.println("READY");
                out.flush();
                ComConnection c = l.accept(0);
                byte[] buf = new byte[65536];
                Data gen = new Data(42);
                while (true) {
                    gen.fill(buf, buf.length);
                    c.write(buf, 0, buf.length);
                }
            }
            case "duplex": {
                long bytes = Long.parseLong(args[4]);
                ComListener l = d.listen(port, 10);
                out.println("READY");
                out.flush();
                ComConnection c = l.accept(0);
                Thread w = new Thread(() -> {
                    try {
                        out.println("sent=" + send(c, bytes, 1000, 99));
                        c.shutdownOutput();
                    } catch (Exception e) {
                        out.println("error=" + e);
                    }
                });
                w.start();
                out.println("received=" + digest(c));
                w.join();
                c.close();
                out.flush();
                break;
            }
            case "deaf": {
                // listens with a backlog of one and never accepts
                d.listen(port, 1);
                out.println("READY");
                out.flush();
                while (System.in.read() >= 0) {
                    // until the test ends us
                }
                break;
            }
            case "slow": {
                ComListener l = d.listen(port, 10);
                out.println("READY");
                out.flush();
                ComConnection stalled = l.accept(0);
                ComConnection other = l.accept(0);
                sink(other);
                out.println("stalledAvailable=" + stalled.available());
                out.flush();
                // hold the stalled connection open until the test ends us
                while (System.in.read() >= 0) {
                    // nothing
                }
                break;
            }
            case "corrupt": {
                int target = Integer.parseInt(args[4]);
                ComConnection victim = d.connect(target, port, 0, 5000);
                ComConnection bystander = d.connect(target, port, 0, 5000);
                byte[] hello = "before".getBytes();
                victim.write(hello, 0, hello.length);
                Peer p = victim.peer;
                int ports = victim.localPort << 16 | victim.remotePort;
                // a run outside the region, a run nobody claimed, an unknown type, a FIN past the data
                p.post(T_DATA, ports, victim.id, victim.remoteId, 1 << 30, 1, 6);
                p.post(T_DATA, ports, victim.id, victim.remoteId, 5, 3, 6);
                p.post(77, ports, victim.id, victim.remoteId, 0, 0, 0);
                p.post(T_FIN, ports, victim.id, victim.remoteId, 0, 0, 1L << 40);
                byte[] data = new byte[1 << 20];
                new Data(5).fill(data, data.length);
                bystander.write(data, 0, data.length);
                bystander.shutdownOutput();
                out.println("READY");
                out.flush();
                byte[] b = new byte[16];
                while (bystander.read(b, 0, b.length, 10_000) >= 0) {
                    // wait for the other side to finish
                }
                break;
            }
            default:
                throw new IllegalArgumentException("mode=" + mode);
        }
        d.close();
    }

    private static void sink(ComConnection c) {
        try (c) {
            String hex = digest(c);
            byte[] reply = (hex + "\n").getBytes();
            c.write(reply, 0, reply.length);
        } catch (IOException e) {
            System.out.println("error=" + e);
        }
    }

    private static void echo(ComConnection c) {
        try (c) {
            byte[] buf = new byte[16384];
            int n;
            while ((n = c.read(buf, 0, buf.length, 0)) > 0) {
                c.write(buf, 0, n);
            }
        } catch (IOException e) {
            System.out.println("error=" + e);
        }
    }

    /** Reads to end of stream; returns "bytes:sha256hex". */
    static String digest(ComConnection c) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[131072];
        long total = 0;
        int n;
        while ((n = c.read(buf, 0, buf.length, 0)) > 0) {
            md.update(buf, 0, n);
            total += n;
        }
        return total + ":" + HexFormat.of().formatHex(md.digest());
    }

    /** Writes {@code bytes} of seeded data in writes of {@code size}; returns "bytes:sha256hex". */
    static String send(ComConnection c, long bytes, int size, long seed) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[size];
        Data gen = new Data(seed);
        long left = bytes;
        while (left > 0) {
            int n = (int) Math.min(size, left);
            gen.fill(buf, n);
            md.update(buf, 0, n);
            c.write(buf, 0, n);
            left -= n;
        }
        return bytes + ":" + HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** A fast deterministic byte stream (xorshift). */
    static final class Data {
        private long s;

        Data(long seed) {
            s = seed * 0x9E3779B97F4A7C15L + 1;
        }

        void fill(byte[] b, int n) {
            int i = 0;
            while (i < n) {
                s ^= s << 13;
                s ^= s >>> 7;
                s ^= s << 17;
                long v = s;
                for (int k = 0; k < 8 && i < n; k++, i++) {
                    b[i] = (byte) v;
                    v >>>= 8;
                }
            }
        }
    }
}
