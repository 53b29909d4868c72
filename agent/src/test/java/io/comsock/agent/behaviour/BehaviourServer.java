package io.comsock.agent.behaviour;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The serving half of the behaviour checks: a plain java.net program that knows nothing of
 * comsock. Args: {@code port ownHost otherHost}. It listens on the wildcard address at
 * {@code port} and on {@code ownHost} at {@code port + 1}; every connection starts with a command
 * line (see {@link #serve}). On {@code ownHost} at {@code port + 2} it listens with a backlog of
 * one and accepts only when a client says {@code TAKE}. Before it prints {@code LISTENING} it
 * checks what only a server can see, printing {@code ok - ...} / {@code not ok - ...} lines like
 * {@link BehaviourClient}:
 * <ul>
 * <li>its wildcard server also takes a TCP client on {@code 127.0.0.1};
 * <li>the server bound to {@code ownHost} takes nothing on {@code otherHost} (for com-socket
 * {@code ownHost} is the domain's {@code 192.168.0.x} and {@code otherHost} loopback; for the TCP
 * reference they are two loopback addresses);
 * <li>a second bind of {@code ownHost:port+1} fails with "Address already in use";
 * <li>an accept with {@code SO_TIMEOUT} times out.
 * </ul>
 */
public final class BehaviourServer {
    private static ServerSocket full;

    private BehaviourServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        InetAddress own = InetAddress.getByName(args[1]);
        InetAddress other = InetAddress.getByName(args[2]);
        Checks checks = new Checks("server");
        ServerSocket wildcard = new ServerSocket(port, 200);
        ServerSocket bound = new ServerSocket(port + 1, 200, own);
        full = new ServerSocket(port + 2, 1, own);
        full.setSoTimeout(30_000);
        acceptLoop(wildcard);
        acceptLoop(bound);

        checks.run("a wildcard server also takes TCP clients on loopback", () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                String who = command(s, "WHO");
                Checks.expect(who.startsWith("127.0.0.1 "), "the server saw " + who);
            }
        });
        checks.run("a server bound to one address takes nothing on another", () -> {
            Checks.expectThrows(java.net.ConnectException.class, "Connection refused",
                    () -> new Socket(other, port + 1).close());
        });
        checks.run("a second bind to the same address and port fails: Address already in use", () -> {
            Checks.expectThrows(java.net.BindException.class, "Address already in use",
                    () -> new ServerSocket(port + 1, 50, own).close());
        });
        checks.run("accept with SO_TIMEOUT throws SocketTimeoutException", () -> {
            try (ServerSocket ss = new ServerSocket(0, 50, own)) {
                ss.setSoTimeout(300);
                long t0 = System.nanoTime();
                Checks.expectThrows(java.net.SocketTimeoutException.class, "Accept timed out", ss::accept);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                Checks.expect(ms >= 250, "timed out after " + ms + " ms, not 300");
                Checks.expect(!ss.isClosed(), "the server socket was closed by the timeout");
            }
        });
        checks.done();
        System.out.println("LISTENING " + port);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void acceptLoop(ServerSocket ss) {
        Thread t = new Thread(() -> {
            while (true) {
                Socket s;
                try {
                    s = ss.accept();
                } catch (IOException e) {
                    System.out.println("ACCEPT FAILED " + e);
                    return;
                }
                Thread h = new Thread(() -> serve(s));
                h.setDaemon(true);
                h.start();
            }
        }, "accept " + ss.getLocalSocketAddress());
        t.setDaemon(true);
        t.start();
    }

    /** Sends one command line and returns the one-line answer. */
    static String command(Socket s, String cmd) throws IOException {
        s.getOutputStream().write((cmd + "\n").getBytes(StandardCharsets.US_ASCII));
        return Checks.readLine(s.getInputStream());
    }

    /**
     * One connection. Commands: {@code WHO} (answers "peerAddress localAddress:localPort"),
     * {@code ECHO} (echoes lines), {@code SINK} (reads to the end, answers "bytes sha256"),
     * {@code SOURCE n} (writes n pattern bytes, then closes), {@code SILENT} (reads to the end,
     * says nothing), {@code CLOSE} (closes at once), {@code RESET} (closes with a reset).
     */
    private static void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            String cmd = Checks.readLine(in);
            if (cmd == null) {
                return;
            }
            String[] w = cmd.split(" ");
            switch (w[0]) {
                case "WHO":
                    out.write((s.getInetAddress().getHostAddress() + " " + s.getLocalAddress().getHostAddress() + ":"
                            + s.getLocalPort() + "\n").getBytes(StandardCharsets.US_ASCII));
                    break;
                case "ECHO": {
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                    PrintWriter p = new PrintWriter(out, true);
                    for (String line; (line = r.readLine()) != null; ) {
                        p.println("echo " + line);
                    }
                    break;
                }
                case "SINK": {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[65536];
                    long total = 0;
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                        total += n;
                    }
                    out.write((total + " " + Checks.hex(md.digest()) + "\n").getBytes(StandardCharsets.US_ASCII));
                    break;
                }
                case "SOURCE": {
                    long n = Long.parseLong(w[1]);
                    Pattern p = new Pattern(n);
                    byte[] buf = new byte[40_000];
                    for (long left = n; left > 0; ) {
                        int k = (int) Math.min(buf.length, left);
                        p.fill(buf, k);
                        out.write(buf, 0, k);
                        left -= k;
                    }
                    break;
                }
                case "SILENT":
                    while (in.read() >= 0) {
                        // say nothing until the client is done
                    }
                    break;
                case "CLOSE":
                    break;
                case "TAKE": {
                    // one accept on the port with the small backlog per line; answers OK or the error
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                    for (String line = "TAKE"; line != null; line = r.readLine()) {
                        String answer = "OK";
                        try (Socket t = full.accept()) {
                            t.getOutputStream().write("taken\n".getBytes(StandardCharsets.US_ASCII));
                        } catch (IOException e) {
                            answer = "ERR " + e;
                        }
                        out.write((answer + "\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    break;
                }
                case "RESET":
                    s.setSoLinger(true, 0);
                    break;
                default:
                    out.write(("unknown command " + cmd + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        } catch (Exception e) {
            // the client may reset on purpose; what matters is checked on its side
        }
    }
}
