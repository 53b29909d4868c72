package io.comsock.agent.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSocket;

/** A TLS echo server (key store from javax.net.ssl.* properties). Args: port. */
public final class TlsServer {
    public static void main(String[] args) throws Exception {
        SSLServerSocketFactory f = (SSLServerSocketFactory) SSLServerSocketFactory.getDefault();
        try (SSLServerSocket ss = (SSLServerSocket) f.createServerSocket(Integer.parseInt(args[0]))) {
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            try (SSLSocket s = (SSLSocket) ss.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream()));
                PrintWriter out = new PrintWriter(s.getOutputStream(), true);
                String line = in.readLine();
                out.println("tls echo " + line + " over " + s.getSession().getProtocol());
            }
        }
    }
}
