package io.comsock.bridge;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A {@link Socket} whose connections go over com-socket from a given local domain. Connect it to
 * a domain's address ({@code 192.168.0.x}); everything else behaves as {@code java.net.Socket}.
 */
public class ComSocket extends Socket {
    public ComSocket(ComDomain domain) throws IOException {
        super(new ComSocketImpl(domain));
    }

    /** Creates a socket connected to {@code port} of the domain at {@code address}. */
    public ComSocket(ComDomain domain, InetAddress address, int port) throws IOException {
        this(domain);
        try {
            connect(new InetSocketAddress(address, port));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }
}
