package io.comsock.bench;

import io.comsock.bridge.ComConfig;
import io.comsock.bridge.ComDomain;
import io.comsock.bridge.ComServerSocket;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Paths;

/**
 * The far side of the transport benchmark, in its own process: one com-socket listener and one
 * TCP listener on 127.0.0.1, both serving the same two modes, chosen by the first byte:
 * {@code P} echoes 64-byte messages (ping-pong), {@code S} reads to end of stream and answers
 * with the byte count (streaming).
 */
public final class BenchServer {
    private BenchServer() {
    }

    public static void main(String[] args) throws Exception {
        ComDomain domain = ComDomain.open(ComConfig.builder(Integer.parseInt(args[1])).dir(Paths.get(args[0])).build());
        ServerSocket com = new ComServerSocket(domain, Integer.parseInt(args[3]), 50);
        ServerSocket tcp = new ServerSocket(Integer.parseInt(args[2]), 50, InetAddress.getLoopbackAddress());
        serve(com);
        serve(tcp);
        System.out.println("READY");
        System.out.flush();
        // exit when the benchmark closes our stdin
        while (System.in.read() >= 0) {
            // nothing to do
        }
        System.exit(0);
    }

    private static void serve(ServerSocket ss) {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Socket s = ss.accept();
                    Thread h = new Thread(() -> handle(s));
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static void handle(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            int mode = in.read();
            if (mode == 'P') {
                byte[] msg = new byte[TransportBench.PING_SIZE];
                while (readFully(in, msg)) {
                    out.write(msg, 0, msg.length);
                }
            } else if (mode == 'S') {
                byte[] buf = new byte[1 << 20];
                long total = 0;
                int n;
                while ((n = in.read(buf, 0, buf.length)) > 0) {
                    total += n;
                }
                new DataOutputStream(out).writeLong(total);
            }
        } catch (IOException e) {
            System.err.println("bench server: " + e);
        }
    }

    static boolean readFully(InputStream in, byte[] b) throws IOException {
        int got = 0;
        while (got < b.length) {
            int n = in.read(b, got, b.length - got);
            if (n < 0) {
                return false;
            }
            got += n;
        }
        return true;
    }
}
