package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/** A TLS client (trust store from javax.net.ssl.* properties). Args: host port message. */
public final class TlsClient {
    public static void main(String[] args) throws Exception {
        SSLSocketFactory f = (SSLSocketFactory) SSLSocketFactory.getDefault();
        try (SSLSocket s = (SSLSocket) f.createSocket(args[0], Integer.parseInt(args[1]))) {
            PrintWriter out = new PrintWriter(s.getOutputStream(), true);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
            out.println(args[2]);
            System.out.println("REPLY " + in.readLine());
        } catch (Exception e) {
            System.out.println("ERROR " + e);
        }
    }
}
