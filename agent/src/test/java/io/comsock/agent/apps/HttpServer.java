package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A tiny HTTP/1.1 server over ServerSocket. Args: port requests. */
public final class HttpServer {
    public static void main(String[] args) throws Exception {
        try (ServerSocket ss = new ServerSocket(Integer.parseInt(args[0]))) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                try (Socket s = ss.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    String request = in.readLine();
                    for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
                        // headers are not needed
                    }
                    byte[] body = ("you asked " + request + " from " + s.getInetAddress().getHostAddress() + "\n")
                            .getBytes(StandardCharsets.UTF_8);
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                }
            }
        }
    }
}
