package io.comsock.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.UnknownHostException;
import java.util.Set;

/**
 * A {@link SocketImpl} over com-socket: the piece that gives {@link ComSocket} and
 * {@link ComServerSocket} the semantics of {@code java.net} sockets (streams, {@code SO_TIMEOUT},
 * half-close, the JDK's exception types and messages).
 *
 * <p>Only stream sockets exist here. Options that tune TCP ({@code TCP_NODELAY}, buffer sizes,
 * keep-alive, {@code IP_TOS}) are accepted and reported back, and change nothing: com-socket never
 * delays a write and its window is the domain's. {@code SO_LINGER} 0 makes {@code close} a reset,
 * as with TCP.
 */
public class ComSocketImpl extends SocketImpl {
    private final ComDomain domain;
    private volatile ComConnection conn;
    private volatile ComListener listener;
    private int reservedPort;
    private final Options options;
    private volatile boolean closed;

    public ComSocketImpl(ComDomain domain) {
        this.domain = domain;
        this.options = new Options(domain.config.window);
    }

    /** The connection, once connected or accepted; null before. */
    public ComConnection connection() {
        return conn;
    }

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) {
            throw new SocketException("com-socket offers stream sockets only through java.net.Socket");
        }
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        connect(new InetSocketAddress(InetAddress.getByName(host), port), 0);
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    @Override
    protected void connect(SocketAddress remote, int timeoutMillis) throws IOException {
        if (!(remote instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("address=" + remote + " is not an InetSocketAddress");
        }
        InetSocketAddress isa = (InetSocketAddress) remote;
        if (isa.isUnresolved()) {
            throw new UnknownHostException(isa.getHostName());
        }
        checkOpen();
        if (conn != null) {
            throw new SocketException("Already connected");
        }
        int target;
        try {
            target = ComAddress.domainOf(isa.getAddress());
        } catch (IllegalArgumentException notADomain) {
            throw new NoRouteToHostException(notADomain.getMessage());
        }
        int lp = reservedPort;
        reservedPort = 0;
        ComConnection c = domain.connect(target, isa.getPort(), lp, timeoutMillis);
        conn = c;
        address = isa.getAddress();
        port = isa.getPort();
        localport = c.localPort;
        if (closed) {
            c.close();
        }
    }

    @Override
    protected void bind(InetAddress host, int lport) throws IOException {
        checkOpen();
        if (host != null && !host.isAnyLocalAddress() && !host.equals(domain.address())) {
            throw new BindException("Cannot assign requested address: " + host.getHostAddress()
                    + " (this is domain " + domain.id() + ", " + domain.address().getHostAddress() + ")");
        }
        if (reservedPort != 0 || conn != null) {
            throw new SocketException("Already bound");
        }
        reservedPort = domain.reservePort(lport);
        localport = reservedPort;
        // as the JDK's own impl: a server socket reports the address it was bound to
        address = host;
    }

    @Override
    protected void listen(int backlog) throws IOException {
        checkOpen();
        if (reservedPort == 0) {
            bind(null, 0);
        }
        listener = domain.listenReserved(reservedPort, backlog);
        reservedPort = 0;
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        if (!(s instanceof ComSocketImpl)) {
            throw new SocketException("a com-socket listener accepts into a ComSocketImpl, not " + s.getClass().getName());
        }
        ComListener l = listener;
        if (l == null) {
            throw new SocketException("Socket is not listening");
        }
        ((ComSocketImpl) s).attach(l.accept(options.timeout));
    }

    /** The listener of this implementation once it listens, else null. */
    public ComListener listener() {
        return listener;
    }

    /** A new implementation holding {@code c}, a connection accepted by this one's listener. */
    public ComSocketImpl accepted(ComConnection c) {
        ComSocketImpl t = new ComSocketImpl(domain);
        t.attach(c);
        return t;
    }

    private void attach(ComConnection c) {
        conn = c;
        address = ComAddress.addressOf(c.remoteDomain);
        port = c.remotePort;
        localport = c.localPort;
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        ComConnection c = connected();
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = c.read(one, 0, 1, options.timeout);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return c.read(b, off, len, options.timeout);
            }

            @Override
            public int available() throws IOException {
                return c.available();
            }

            @Override
            public void close() throws IOException {
                ComSocketImpl.this.close();
            }
        };
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        ComConnection c = connected();
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                c.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                c.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                ComSocketImpl.this.close();
            }
        };
    }

    @Override
    protected int available() throws IOException {
        return connected().available();
    }

    @Override
    protected void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        ComConnection c = conn;
        if (c != null) {
            if (options.linger == 0) {
                c.abort();
            } else {
                c.close();
            }
        }
        ComListener l = listener;
        if (l != null) {
            l.close();
        }
        if (reservedPort != 0) {
            domain.releasePort(reservedPort);
            reservedPort = 0;
        }
    }

    @Override
    protected void shutdownInput() throws IOException {
        connected().shutdownInput();
    }

    @Override
    protected void shutdownOutput() throws IOException {
        connected().shutdownOutput();
    }

    @Override
    protected boolean supportsUrgentData() {
        return false;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data is not supported by com-socket");
    }

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        checkOpen();
        options.set(optID, value);
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        checkOpen();
        return options.get(optID, domain.address());
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return Options.SUPPORTED;
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        checkOpen();
        options.set(name, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        checkOpen();
        return (T) options.get(name, domain.address());
    }

    private ComConnection connected() throws SocketException {
        checkOpen();
        ComConnection c = conn;
        if (c == null) {
            throw new SocketException("Socket is not connected");
        }
        return c;
    }

    private void checkOpen() throws SocketException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
    }
}
