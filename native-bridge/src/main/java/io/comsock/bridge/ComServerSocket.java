package io.comsock.bridge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/** A {@link ServerSocket} that accepts com-socket connections in a given local domain. */
public class ComServerSocket extends ServerSocket {
    private final ComDomain domain;

    /** An unbound server socket. */
    public ComServerSocket(ComDomain domain) throws IOException {
        super(new ComSocketImpl(domain));
        this.domain = domain;
    }

    /** A server socket listening on {@code port} (0: ephemeral) of the domain. */
    public ComServerSocket(ComDomain domain, int port, int backlog) throws IOException {
        this(domain);
        try {
            bind(new InetSocketAddress(port), backlog);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public Socket accept() throws IOException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        if (!isBound()) {
            throw new SocketException("Socket is not bound yet");
        }
        ComSocket s = new ComSocket(domain);
        implAccept(s);
        return s;
    }
}
