package io.comsock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A loopback listener that stands in for a proxy: it takes one connection at a time, notes what
 * it sent first ({@code SOCKS5}, {@code SOCKS4} or the first line of an HTTP request), answers an
 * HTTP {@code GET} with a page of its own, and closes it. It connects nowhere.
 */
final class FakeProxy implements AutoCloseable {
    static final String PAGE = "from the proxy";
    private static final String MARK = "MARK";

    private final ServerSocket server;
    private final List<String> seen = new ArrayList<>();
    private final Thread acceptor;

    FakeProxy() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::serve, "fake-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5000);
                String first = firstWords(s);
                if (first.startsWith("GET ")) {
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + PAGE.length()
                            + "\r\nConnection: close\r\n\r\n" + PAGE).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                synchronized (seen) {
                    seen.add(first);
                    seen.notifyAll();
                }
            } catch (IOException e) {
                if (!server.isClosed()) {
                    synchronized (seen) {
                        seen.add("IO " + e);
                    }
                }
            }
        }
    }

    private static String firstWords(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] b = new byte[1024];
        int n = 0;
        try {
            for (int r; n < b.length && (r = in.read(b, n, b.length - n)) > 0; ) {
                n += r;
                String text = new String(b, 0, n, StandardCharsets.ISO_8859_1);
                if (b[0] == 5 || b[0] == 4 || text.startsWith(MARK) || text.contains("\r\n")) {
                    break;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            // what came so far is what it sent
        }
        if (n == 0) {
            return "nothing";
        }
        if (b[0] == 5 || b[0] == 4) {
            return "SOCKS" + b[0];
        }
        String text = new String(b, 0, n, StandardCharsets.ISO_8859_1);
        int eol = text.indexOf("\r\n");
        return eol < 0 ? text : text.substring(0, eol);
    }

    /**
     * What each connection so far sent first. A connection of its own is made and waited for:
     * connections are taken in the order they came, so every earlier one has been seen by then.
     */
    List<String> seen() throws IOException, InterruptedException {
        try (Socket mark = new Socket(InetAddress.getLoopbackAddress(), port())) {
            mark.getOutputStream().write(MARK.getBytes(StandardCharsets.ISO_8859_1));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            synchronized (seen) {
                while (!seen.contains(MARK)) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new AssertionError("the fake proxy did not take its own connection; seen " + seen);
                    }
                    seen.wait(left);
                }
                List<String> before = new ArrayList<>(seen.subList(0, seen.indexOf(MARK)));
                seen.remove(MARK);
                return before;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
