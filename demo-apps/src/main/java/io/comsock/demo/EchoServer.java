package io.comsock.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;

/** An echo server: every byte a client sends comes back. Args: port. Plain java.net only. */
public final class EchoServer {
    private EchoServer() {
    }

    public static void main(String[] args) throws IOException {
        try (ServerSocket ss = new ServerSocket(Integer.parseInt(args[0]))) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            while (true) {
                Socket s = ss.accept();
                Thread t = new Thread(() -> {
                    try (s) {
                        s.setTcpNoDelay(true);
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        byte[] buf = new byte[16384];
                        for (int n; (n = in.read(buf)) > 0; ) {
                            out.write(buf, 0, n);
                        }
                    } catch (IOException e) {
                        System.err.println("echo: " + e);
                    }
                });
                t.setDaemon(true);
                t.start();
            }
        }
    }
}
