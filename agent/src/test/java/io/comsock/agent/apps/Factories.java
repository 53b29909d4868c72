package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.ServerSocketFactory;
import javax.net.SocketFactory;

/**
 * Sockets made the other ways an application makes them: the default factories, and subclasses
 * of its own.
 *
 * <pre>
 * server PORT N        a server socket from ServerSocketFactory.getDefault(); echoes N connections
 * subserver PORT N     the same from a subclass of ServerSocket
 * client HOST PORT     one line through SocketFactory.getDefault(), one through a Socket subclass
 * </pre>
 */
public final class Factories {
    /** An application's own kind of socket. */
    static final class TaggedSocket extends Socket {
        final String tag;

        TaggedSocket(String tag) {
            this.tag = tag;
        }
    }

    /** An application's own kind of server socket. */
    static final class TaggedServerSocket extends ServerSocket {
        TaggedServerSocket(int port) throws java.io.IOException {
            super(port);
        }
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "server":
            case "subserver": {
                int n = Integer.parseInt(args[2]);
                try (ServerSocket ss = args[0].equals("server")
                        ? ServerSocketFactory.getDefault().createServerSocket(Integer.parseInt(args[1]))
                        : new TaggedServerSocket(Integer.parseInt(args[1]))) {
                    System.out.println("LISTENING " + ss.getClass().getSimpleName());
                    System.out.flush();
                    for (int i = 0; i < n; i++) {
                        try (Socket s = ss.accept()) {
                            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
                            new PrintWriter(s.getOutputStream(), true).println("echo " + in.readLine() + " from "
                                    + s.getInetAddress().getHostAddress());
                        }
                    }
                }
                break;
            }
            default: {
                String host = args[1];
                int port = Integer.parseInt(args[2]);
                try (Socket a = SocketFactory.getDefault().createSocket(host, port)) {
                    System.out.println("FACTORY " + exchange(a, "factory"));
                }
                try (TaggedSocket b = new TaggedSocket("sub")) {
                    b.connect(new InetSocketAddress(host, port), 5000);
                    System.out.println("SUBCLASS " + exchange(b, b.tag));
                }
            }
        }
        System.out.flush();
    }

    private static String exchange(Socket s, String line) throws java.io.IOException {
        new PrintWriter(s.getOutputStream(), true).println(line);
        return new BufferedReader(new InputStreamReader(s.getInputStream())).readLine() + " at "
                + s.getLocalAddress().getHostAddress();
    }
}
