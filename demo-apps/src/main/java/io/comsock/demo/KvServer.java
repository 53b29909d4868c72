package io.comsock.demo;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A key-value store with a line protocol: {@code SET key value} answers {@code OK},
 * {@code GET key} answers {@code VALUE value} or {@code NIL}. Requests may be pipelined: replies
 * are flushed when no further request is already buffered. Args: port.
 */
public final class KvServer {
    private static final ConcurrentHashMap<String, String> STORE = new ConcurrentHashMap<>();

    private KvServer() {
    }

    public static void main(String[] args) throws IOException {
        try (ServerSocket ss = new ServerSocket(Integer.parseInt(args[0]))) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            while (true) {
                Socket s = ss.accept();
                Thread t = new Thread(() -> serve(s));
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            BufferedInputStream in = new BufferedInputStream(s.getInputStream(), 65536);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 65536);
            for (String line; (line = readLine(in)) != null; ) {
                if (line.startsWith("SET ")) {
                    int sp = line.indexOf(' ', 4);
                    STORE.put(line.substring(4, sp), line.substring(sp + 1));
                    out.write("OK\n".getBytes(StandardCharsets.US_ASCII));
                } else if (line.startsWith("GET ")) {
                    String v = STORE.get(line.substring(4));
                    out.write((v == null ? "NIL\n" : "VALUE " + v + "\n").getBytes(StandardCharsets.UTF_8));
                } else {
                    out.write("ERROR unknown command\n".getBytes(StandardCharsets.US_ASCII));
                }
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            System.err.println("kv: " + e);
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int b; (b = in.read()) >= 0; ) {
            if (b == '\n') {
                return sb.toString();
            }
            sb.append((char) b);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
