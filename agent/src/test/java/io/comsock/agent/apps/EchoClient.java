package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Socket;

/** A plain java.net client: sends one line, prints the answer. Args: host port message. */
public final class EchoClient {
    public static void main(String[] args) throws Exception {
        try (Socket s = new Socket(args[0], Integer.parseInt(args[1]))) {
            System.out.println("CONNECTED " + s.getLocalAddress().getHostAddress() + " TO "
                    + s.getInetAddress().getHostAddress() + ":" + s.getPort());
            PrintWriter out = new PrintWriter(s.getOutputStream(), true);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
            out.println(args[2]);
            System.out.println("REPLY " + in.readLine());
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }
}
