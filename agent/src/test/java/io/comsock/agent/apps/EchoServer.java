package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.Socket;

/** A plain java.net echo server: knows nothing of comsock. Args: port connections [bindAddress]. */
public final class EchoServer {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        try (ServerSocket ss = args.length > 2 ? new ServerSocket(port, 50, java.net.InetAddress.getByName(args[2]))
                : new ServerSocket(port)) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            for (int i = 0; i < count; i++) {
                try (Socket s = ss.accept()) {
                    System.out.println("ACCEPTED " + s.getInetAddress().getHostAddress() + " LOCAL "
                            + s.getLocalAddress().getHostAddress() + ":" + s.getLocalPort());
                    System.out.flush();
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
                    PrintWriter out = new PrintWriter(s.getOutputStream(), true);
                    for (String line; (line = in.readLine()) != null; ) {
                        out.println("echo " + line);
                    }
                }
            }
        }
        System.out.println("DONE");
    }
}
