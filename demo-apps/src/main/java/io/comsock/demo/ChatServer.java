package io.comsock.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A chat room: every line a member sends goes to every other member. Args: port. */
public final class ChatServer {
    private static final List<Member> MEMBERS = new CopyOnWriteArrayList<>();

    private ChatServer() {
    }

    private static final class Member {
        final Socket socket;
        final OutputStream out;

        Member(Socket s) throws IOException {
            this.socket = s;
            this.out = s.getOutputStream();
        }

        synchronized void send(byte[] line) {
            try {
                out.write(line);
            } catch (IOException e) {
                MEMBERS.remove(this);
            }
        }
    }

    public static void main(String[] args) throws IOException {
        try (ServerSocket ss = new ServerSocket(Integer.parseInt(args[0]))) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            while (true) {
                Socket s = ss.accept();
                s.setTcpNoDelay(true);
                Member m = new Member(s);
                MEMBERS.add(m);
                m.send("WELCOME\n".getBytes(StandardCharsets.UTF_8));
                Thread t = new Thread(() -> relay(m));
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void relay(Member from) {
        try (Socket s = from.socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
                for (Member m : MEMBERS) {
                    if (m != from) {
                        m.send(bytes);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("chat: " + e);
        } finally {
            MEMBERS.remove(from);
        }
    }
}
