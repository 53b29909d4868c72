package io.comsock.agent.behaviour;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The connecting half of the behaviour checks: a plain java.net program, run unchanged on plain
 * TCP (the reference), through the agent on the user-space transport, and through the agent on
 * the kernel module. Every check has one expected outcome, the one TCP gives, so passing on all
 * three means the transports behave alike. Args: {@code host port absentHost ownHost}, where
 * {@code host:port} runs {@link BehaviourServer}, {@code absentHost} has no route and
 * {@code ownHost} is this program's own address. Exits 1 if any check failed.
 */
public final class BehaviourClient {
    private static final int MB = 1 << 20;

    private BehaviourClient() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress host = InetAddress.getByName(args[0]);
        int port = Integer.parseInt(args[1]);
        InetAddress absent = InetAddress.getByName(args[2]);
        InetAddress own = InetAddress.getByName(args[3]);
        Checks c = new Checks("client");

        c.run("the connection reports both ends as each side sees them", () -> {
            try (Socket s = new Socket(host, port)) {
                Checks.expect(s.getInetAddress().equals(host) && s.getPort() == port,
                        "remote " + s.getRemoteSocketAddress());
                Checks.expect(s.getLocalPort() > 0 && s.getLocalPort() != port, "local port " + s.getLocalPort());
                String who = BehaviourServer.command(s, "WHO");
                String expected = s.getLocalAddress().getHostAddress() + " " + host.getHostAddress() + ":" + port;
                Checks.expect(who.equals(expected), "the server saw '" + who + "', expected '" + expected + "'");
            }
        });
        c.run("a server bound to its own address takes clients there", () -> {
            try (Socket s = new Socket(host, port + 1)) {
                String who = BehaviourServer.command(s, "WHO");
                Checks.expect(who.endsWith(" " + host.getHostAddress() + ":" + (port + 1)), "the server saw " + who);
            }
        });
        c.run("echo, 100 lines in a row", () -> {
            try (Socket s = new Socket(host, port)) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                out.write("ECHO\n".getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < 100; i++) {
                    out.write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    String r = Checks.readLine(in);
                    Checks.expect(("echo line " + i).equals(r), "reply " + i + " was " + r);
                }
            }
        });
        c.run("4 MB at mixed write sizes, then shutdownOutput; the reply still arrives", () -> {
            try (Socket s = new Socket(host, port)) {
                OutputStream out = s.getOutputStream();
                out.write("SINK\n".getBytes(StandardCharsets.US_ASCII));
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                Pattern p = new Pattern(3);
                int[] sizes = {1, 100, 1000, 8192, 65536, 300_000};
                byte[] buf = new byte[300_000];
                long total = 0;
                for (int i = 0; total < 4 * MB; i++) {
                    int n = (int) Math.min(sizes[i % sizes.length], 4 * MB - total);
                    p.fill(buf, n);
                    out.write(buf, 0, n);
                    md.update(buf, 0, n);
                    total += n;
                }
                s.shutdownOutput();
                Checks.expect(s.isOutputShutdown() && !s.isInputShutdown(), "shutdown state");
                String reply = Checks.readLine(s.getInputStream());
                Checks.expect((total + " " + Checks.hex(md.digest())).equals(reply), "the server counted " + reply);
                Checks.expect(s.getInputStream().read() == -1, "more after the reply");
            }
        });
        c.run("4 MB from the server, intact, then end of stream for good", () -> {
            try (Socket s = new Socket(host, port)) {
                s.getOutputStream().write(("SOURCE " + 4 * MB + "\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                Pattern p = new Pattern(4 * MB);
                byte[] got = new byte[65536];
                byte[] want = new byte[65536];
                long total = 0;
                for (int n; (n = in.read(got)) > 0; ) {
                    p.fill(want, n);
                    Checks.expect(Arrays.equals(got, 0, n, want, 0, n), "bytes differ after offset " + total);
                    total += n;
                }
                Checks.expect(total == 4 * MB, "got " + total + " bytes");
                Checks.expect(in.read() == -1 && in.read(got) == -1, "end of stream did not last");
            }
        });
        c.run("available() counts bytes that have arrived", () -> {
            try (Socket s = new Socket(host, port)) {
                s.getOutputStream().write("ECHO\nx\n".getBytes(StandardCharsets.US_ASCII));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (s.getInputStream().available() < 7 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                Checks.expect(s.getInputStream().available() == 7, "available " + s.getInputStream().available());
            }
        });
        c.run("read with SO_TIMEOUT throws SocketTimeoutException and the socket stays usable", () -> {
            try (Socket s = new Socket(host, port)) {
                s.setSoTimeout(300);
                s.getOutputStream().write("ECHO\n".getBytes(StandardCharsets.US_ASCII));
                long t0 = System.nanoTime();
                Checks.expectThrows(SocketTimeoutException.class, "Read timed out", () -> s.getInputStream().read());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                Checks.expect(ms >= 250, "timed out after " + ms + " ms, not 300");
                Checks.expect(!s.isClosed(), "closed by the timeout");
                s.setSoTimeout(0);
                s.getOutputStream().write("after\n".getBytes(StandardCharsets.US_ASCII));
                String r = Checks.readLine(s.getInputStream());
                Checks.expect("echo after".equals(r), "after the timeout: " + r);
            }
        });
        c.run("options set before connect are kept", () -> {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.setKeepAlive(true);
                s.setSoTimeout(250);
                s.connect(new InetSocketAddress(host, port));
                Checks.expect(s.getTcpNoDelay() && s.getKeepAlive() && s.getSoTimeout() == 250,
                        "nodelay " + s.getTcpNoDelay() + " keepalive " + s.getKeepAlive() + " timeout " + s.getSoTimeout());
                s.getOutputStream().write("SILENT\n".getBytes(StandardCharsets.US_ASCII));
                Checks.expectThrows(SocketTimeoutException.class, "Read timed out", () -> s.getInputStream().read());
            }
        });
        c.run("an orderly close by the server reads as end of stream", () -> {
            try (Socket s = new Socket(host, port)) {
                s.getOutputStream().write("CLOSE\n".getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(20_000);
                Checks.expect(s.getInputStream().read() == -1, "read data");
            }
        });
        c.run("writing on after the server closed fails with an IOException", () -> {
            try (Socket s = new Socket(host, port)) {
                s.getOutputStream().write("CLOSE\n".getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(20_000);
                Checks.expect(s.getInputStream().read() == -1, "read data");
                byte[] buf = new byte[65536];
                Checks.expectThrows(IOException.class, null, () -> {
                    for (int i = 0; i < 2000; i++) {
                        s.getOutputStream().write(buf);
                        Thread.sleep(1);
                    }
                });
            }
        });
        c.run("a server that resets gives SocketException: Connection reset", () -> {
            try (Socket s = new Socket(host, port)) {
                s.getOutputStream().write("RESET\n".getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(20_000);
                Checks.expectThrows(SocketException.class, "Connection reset", () -> {
                    while (s.getInputStream().read() >= 0) {
                        // nothing is sent before the reset
                    }
                });
            }
        });
        c.run("a connect to a full backlog waits: with a timeout it times out, without one it gets in once the server accepts", () -> {
            InetSocketAddress small = new InetSocketAddress(host, port + 2);
            List<Socket> queued = new ArrayList<>();
            ExecutorService bg = Executors.newSingleThreadExecutor();
            try (Socket cmd = new Socket(host, port)) {
                SocketTimeoutException timedOut = null;
                while (timedOut == null && queued.size() < 8) {
                    Socket s = new Socket();
                    try {
                        s.connect(small, 1500);
                        queued.add(s);
                    } catch (SocketTimeoutException e) {
                        timedOut = e;
                        s.close();
                    }
                }
                Checks.expect(timedOut != null, queued.size() + " connects to a backlog of one went through");
                Checks.expect("Connect timed out".equals(timedOut.getMessage()), "timed out with " + timedOut);
                Socket waiting = new Socket();
                Future<?> connect = bg.submit(() -> {
                    waiting.connect(small);
                    return null;
                });
                Thread.sleep(500);
                Checks.expect(!connect.isDone(), "the connect did not wait for room: " + connect);
                // the server accepts those queued; the waiting connect gets in, then is accepted too
                for (int i = 0; i < queued.size(); i++) {
                    cmd.getOutputStream().write("TAKE\n".getBytes(StandardCharsets.US_ASCII));
                    String r = Checks.readLine(cmd.getInputStream());
                    Checks.expect("OK".equals(r), "accept " + i + ": " + r);
                }
                connect.get(60, TimeUnit.SECONDS);
                queued.add(waiting);
                cmd.getOutputStream().write("TAKE\n".getBytes(StandardCharsets.US_ASCII));
                String r = Checks.readLine(cmd.getInputStream());
                Checks.expect("OK".equals(r), "the last accept: " + r);
                for (Socket s : queued) {
                    s.setSoTimeout(20_000);
                    String got = Checks.readLine(s.getInputStream());
                    Checks.expect("taken".equals(got), "a queued connection read " + got);
                }
            } finally {
                bg.shutdownNow();
                for (Socket s : queued) {
                    s.close();
                }
            }
        });
        c.run("a port nobody listens on gives ConnectException: Connection refused", () -> {
            Checks.expectThrows(ConnectException.class, "Connection refused", () -> new Socket(host, port + 9).close());
        });
        c.run("an address with no route fails at once, timeout or not", () -> {
            noRoute(() -> new Socket(absent, port).close());
            long t0 = System.nanoTime();
            noRoute(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(absent, port), 60_000);
                }
            });
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Checks.expect(ms < 30_000, "took " + ms + " ms");
        });
        c.run("a server of its own on its own address: ephemeral port, a client from the same program", () -> {
            try (ServerSocket ss = new ServerSocket(0, 50, own)) {
                Checks.expect(ss.getLocalPort() > 0 && ss.getInetAddress().equals(own), "bound to " + ss.getLocalSocketAddress());
                try (Socket a = new Socket(own, ss.getLocalPort()); Socket b = ss.accept()) {
                    a.getOutputStream().write(42);
                    Checks.expect(b.getInputStream().read() == 42, "byte lost");
                    Checks.expect(b.getInetAddress().equals(own) && b.getPort() == a.getLocalPort(),
                            "accepted from " + b.getRemoteSocketAddress() + ", connected from " + a.getLocalSocketAddress());
                }
                Checks.expectThrows(BindException.class, "Address already in use",
                        () -> new ServerSocket(ss.getLocalPort(), 50, own).close());
            }
        });
        c.run("32 connections at once, each echoing 20 lines", () -> {
            ExecutorService pool = Executors.newFixedThreadPool(32);
            try {
                List<Future<String>> all = new ArrayList<>();
                for (int k = 0; k < 32; k++) {
                    int id = k;
                    all.add(pool.submit(() -> {
                        try (Socket s = new Socket(host, port)) {
                            OutputStream out = s.getOutputStream();
                            out.write("ECHO\n".getBytes(StandardCharsets.US_ASCII));
                            for (int i = 0; i < 20; i++) {
                                out.write((id + "/" + i + "\n").getBytes(StandardCharsets.US_ASCII));
                                String r = Checks.readLine(s.getInputStream());
                                if (!("echo " + id + "/" + i).equals(r)) {
                                    return "connection " + id + " line " + i + ": " + r;
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<String> f : all) {
                    String problem = f.get(120, TimeUnit.SECONDS);
                    Checks.expect(problem == null, String.valueOf(problem));
                }
            } finally {
                pool.shutdownNow();
            }
        });
        Method ofVirtual = virtualThreads();
        if (ofVirtual == null) {
            c.skip("an interrupted virtual thread in a read closes the socket", "no virtual threads before Java 21");
        } else {
            c.run("an interrupted virtual thread in a read closes the socket", () -> {
                try (Socket s = new Socket(host, port)) {
                    s.getOutputStream().write("SILENT\n".getBytes(StandardCharsets.US_ASCII));
                    Throwable[] thrown = new Throwable[1];
                    Object builder = ofVirtual.invoke(null);
                    Thread t = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                            .invoke(builder, (Runnable) () -> {
                                try {
                                    s.getInputStream().read();
                                } catch (Throwable e) {
                                    thrown[0] = e;
                                }
                            });
                    t.start();
                    // until the read parks (or ends early, which the checks below report), 20 s at most
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    for (Thread.State st; (st = t.getState()) != Thread.State.WAITING && st != Thread.State.TIMED_WAITING
                            && st != Thread.State.TERMINATED && System.nanoTime() < deadline; ) {
                        Thread.sleep(1);
                    }
                    t.interrupt();
                    t.join(20_000);
                    Checks.expect(thrown[0] instanceof SocketException && "Closed by interrupt".equals(thrown[0].getMessage()),
                            "the read ended with " + thrown[0]);
                    Checks.expect(s.isClosed(), "the socket is still open");
                }
            });
        }
        System.exit(c.done() == 0 ? 0 : 1);
    }

    /**
     * The JDK reports a host without a route as {@code NoRouteToHostException} (EHOSTUNREACH, what
     * com-socket gives for a domain that is not there) and a network without a route as
     * {@code SocketException: Network is unreachable} (ENETUNREACH, what TCP gives in a namespace
     * with nothing but loopback): both are the answer "no route".
     */
    private static void noRoute(Checks.Body connect) {
        Throwable t = Checks.expectThrows(SocketException.class, null, connect);
        Checks.expect(t instanceof NoRouteToHostException || "Network is unreachable".equals(t.getMessage()),
                "expected NoRouteToHostException or Network is unreachable, got " + t);
    }

    private static Method virtualThreads() {
        try {
            return Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException java17) {
            return null;
        }
    }
}
