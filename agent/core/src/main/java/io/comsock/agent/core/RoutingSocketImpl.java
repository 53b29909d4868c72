package io.comsock.agent.core;

import io.comsock.bridge.ComAddress;
import java.io.FileDescriptor;
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
import java.net.SocketOptions;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import sun.net.PlatformSocketImpl;

/**
 * The socket implementation the agent gives every {@code java.net.Socket} and
 * {@code ServerSocket}: it holds the JDK's own implementation and decides at connect or bind time
 * whether that one or a com-socket implementation serves the socket.
 *
 * <ul>
 * <li>connect: a destination outside 192.168.0.0/24 stays on TCP, untouched; a com address goes
 * over com-socket, to a {@code map} target over TCP, or fails. It never reaches TCP to a com
 * address (fail closed).</li>
 * <li>bind: the wildcard address listens on both transports on the same port; the domain's own
 * address only on com-socket; any other local address only on TCP.</li>
 * </ul>
 * Options set before the decision go to the JDK implementation and are replayed onto com-socket
 * if it wins. It implements {@link PlatformSocketImpl} because {@code ServerSocket.implAccept}
 * accepts only into implementations of the same kind as the platform's.
 */
final class RoutingSocketImpl extends SocketImpl implements PlatformSocketImpl {
    private enum Mode { UNDECIDED, TCP, COM, DUAL }

    private final AgentRuntime rt;
    private final boolean server;
    private SocketImpl tcp;
    private SocketImpl com;
    private volatile SocketImpl active;
    private Mode mode = Mode.UNDECIDED;
    private DualAcceptor dual;
    private int timeout;
    private final Map<Integer, Object> intOptions = new LinkedHashMap<>();
    private final Map<SocketOption<?>, Object> options = new LinkedHashMap<>();
    private InetAddress comBindAddress;
    private volatile boolean closed;

    RoutingSocketImpl(AgentRuntime rt, SocketImpl platform, boolean server) {
        this.rt = rt;
        this.tcp = platform;
        this.server = server;
    }

    private SocketImpl current() {
        SocketImpl a = active;
        return a != null ? a : tcp;
    }

    // ------------------------------------------------------------------ decision points

    @Override
    protected void create(boolean stream) throws IOException {
        Impls.create(tcp, stream);
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        InetAddress a = InetAddress.getByName(host);
        connect(new InetSocketAddress(a, port), 0);
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    @Override
    protected void connect(SocketAddress remote, int millis) throws IOException {
        if (!(remote instanceof InetSocketAddress) || ((InetSocketAddress) remote).isUnresolved()) {
            // not an address we could route: the JDK reports it as it always does
            if (remote instanceof InetSocketAddress) {
                throw new UnknownHostException(((InetSocketAddress) remote).getHostName());
            }
            Impls.connect(tcp, remote, millis);
            return;
        }
        InetSocketAddress isa = (InetSocketAddress) remote;
        Rules.Decision d = rt.config.rules.connect(isa.getAddress(), isa.getPort());
        String what = "connect to " + isa.getAddress().getHostAddress() + ":" + isa.getPort();
        switch (d.route) {
            case TCP:
                if (comBindAddress != null) {
                    throw new SocketException("a socket bound to " + comBindAddress.getHostAddress()
                            + " cannot connect outside com-socket to " + isa);
                }
                Impls.connect(tcp, isa, millis);
                decide(Mode.TCP, tcp);
                rt.stats.leftOnTcp.increment();
                Log.debug(what + ": left on TCP (" + d.why + ")");
                return;
            case MAP:
                Impls.connect(tcp, d.target, millis);
                decide(Mode.TCP, tcp);
                rt.stats.mapped.increment();
                Log.debug(what + ": " + d.why);
                return;
            case DENY:
                rt.stats.errors.increment();
                Log.debug(what + ": refused, not sent anywhere (" + d.why + ")");
                throw new NoRouteToHostException("No route to host: " + d.why);
            case COM:
            default:
                Impls.closeQuietly(tcp);
                SocketImpl c = com != null ? com : newCom();
                try {
                    Impls.connect(c, isa, millis);
                } catch (IOException | RuntimeException e) {
                    rt.stats.errors.increment();
                    Log.debug(what + ": com-socket failed (" + e + "); not retried over TCP");
                    throw e;
                }
                com = c;
                decide(Mode.COM, c);
                rt.stats.routedOne();
                Log.debug(what + ": routed to com-socket (" + d.why + ")");
        }
    }

    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        boolean wildcard = host == null || host.isAnyLocalAddress();
        if (host != null && ComAddress.isComNetwork(host)) {
            if (!host.equals(rt.domainAddress())) {
                throw new BindException("Cannot assign requested address: " + host.getHostAddress()
                        + " (this JVM is domain " + rt.provider.domain() + ", " + rt.domainAddress().getHostAddress() + ")");
            }
            Impls.closeQuietly(tcp);
            com = newCom();
            Impls.bind(com, host, port);
            comBindAddress = host;
            if (server) {
                mode = Mode.COM;
                active = com;
                Log.debug("bind " + host.getHostAddress() + ":" + Impls.localPort(com) + ": com-socket only (the domain's own address)");
            }
            return;
        }
        Impls.bind(tcp, host, port);
        if (!server) {
            return;
        }
        int p = Impls.localPort(tcp);
        if (wildcard && rt.config.rules.wildcardBindsCom(p)) {
            SocketImpl c = newCom();
            try {
                Impls.bind(c, null, p);
            } catch (IOException e) {
                Impls.closeQuietly(c);
                throw new BindException("Address already in use: port " + p + " is taken on com-socket in domain "
                        + rt.provider.domain() + " (" + e.getMessage() + ")");
            }
            com = c;
            mode = Mode.DUAL;
            Log.debug("bind *:" + p + ": com-socket and TCP (wildcard address)");
        } else {
            mode = Mode.TCP;
            active = tcp;
            Log.debug("bind " + (host == null ? "*" : host.getHostAddress()) + ":" + p + ": TCP only"
                    + (wildcard ? " (no bind rule covers it)" : " (not the wildcard or a com address)"));
        }
    }

    @Override
    protected void listen(int backlog) throws IOException {
        switch (mode) {
            case COM:
                Impls.listen(com, backlog);
                break;
            case DUAL:
                Impls.listen(tcp, backlog);
                Impls.listen(com, backlog);
                dual = new DualAcceptor(tcp, com, backlog, Impls.localPort(tcp));
                break;
            default:
                Impls.listen(tcp, backlog);
                mode = Mode.TCP;
                active = tcp;
        }
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        if (!(s instanceof RoutingSocketImpl)) {
            Impls.accept(current(), s);
            return;
        }
        RoutingSocketImpl t = (RoutingSocketImpl) s;
        switch (mode) {
            case COM: {
                SocketImpl c = newCom();
                Impls.accept(com, c);
                t.acceptedCom(c, "the server is bound to this domain's own address");
                break;
            }
            case DUAL: {
                SocketImpl got = dual.take(timeout);
                if (got == null) {
                    throw new java.net.SocketTimeoutException("Accept timed out");
                }
                if (dual.isCom(got)) {
                    t.acceptedCom(got, "a com-socket connection to a wildcard server, which listens on both");
                } else {
                    t.acceptedTcp(got, "a TCP connection to a wildcard server, which listens on both");
                }
                break;
            }
            default:
                Impls.accept(tcp, t.tcp);
                t.acceptedTcp(t.tcp, "the server is bound to an address that is not this domain's");
        }
    }

    private void acceptedCom(SocketImpl c, String why) {
        com = c;
        decide(Mode.COM, c);
        rt.stats.routedOne();
        if (Log.debug()) {
            Log.debug("accepted " + Impls.address(c).getHostAddress() + ":" + Impls.port(c) + ": routed to com-socket ("
                    + why + ")");
        }
    }

    private void acceptedTcp(SocketImpl c, String why) {
        tcp = c;
        decide(Mode.TCP, c);
        rt.stats.leftOnTcp.increment();
        if (Log.debug()) {
            Log.debug("accepted " + Impls.address(c).getHostAddress() + ":" + Impls.port(c) + ": left on TCP (" + why + ")");
        }
    }

    private SocketImpl newCom() throws IOException {
        SocketImpl c = rt.provider.newSocketImpl();
        Impls.create(c, true);
        for (Map.Entry<Integer, Object> e : intOptions.entrySet()) {
            try {
                c.setOption(e.getKey(), e.getValue());
            } catch (SocketException unsupported) {
                Log.debug("option " + e.getKey() + " not carried over to com-socket: " + unsupported.getMessage());
            }
        }
        for (Map.Entry<SocketOption<?>, Object> e : options.entrySet()) {
            try {
                Impls.setOption(c, e.getKey(), e.getValue());
            } catch (IOException | UnsupportedOperationException unsupported) {
                Log.debug("option " + e.getKey() + " not carried over to com-socket: " + unsupported.getMessage());
            }
        }
        return c;
    }

    private void decide(Mode m, SocketImpl impl) {
        mode = m;
        active = impl;
    }

    // ------------------------------------------------------------------ I/O, delegated

    @Override
    protected InputStream getInputStream() throws IOException {
        SocketImpl a = current();
        InputStream in = Impls.input(a);
        return a == com ? new Counting.In(in, rt.stats) : in;
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        SocketImpl a = current();
        OutputStream out = Impls.output(a);
        return a == com ? new Counting.Out(out, rt.stats) : out;
    }

    @Override
    protected int available() throws IOException {
        return Impls.available(current());
    }

    @Override
    protected void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (dual != null) {
            dual.close();
        }
        SocketImpl a = active;
        IOException first = closeCollecting(tcp, null);
        if (com != null && com != tcp) {
            first = closeCollecting(com, first);
        }
        if (a != null && a != tcp && a != com) {
            first = closeCollecting(a, first);
        }
        if (first != null) {
            throw first;
        }
    }

    private static IOException closeCollecting(SocketImpl s, IOException first) {
        try {
            Impls.close(s);
            return first;
        } catch (IOException e) {
            return first != null ? first : e;
        }
    }

    @Override
    protected void shutdownInput() throws IOException {
        Impls.shutdownInput(current());
    }

    @Override
    protected void shutdownOutput() throws IOException {
        Impls.shutdownOutput(current());
    }

    @Override
    protected boolean supportsUrgentData() {
        return current() == tcp;
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        Impls.sendUrgentData(current(), data);
    }

    @Override
    protected FileDescriptor getFileDescriptor() {
        return Impls.fd(current());
    }

    @Override
    protected InetAddress getInetAddress() {
        return Impls.address(current());
    }

    @Override
    protected int getPort() {
        return Impls.port(current());
    }

    @Override
    protected int getLocalPort() {
        SocketImpl a = active;
        if (a == null && com != null && comBindAddress != null) {
            return Impls.localPort(com);
        }
        return Impls.localPort(a != null ? a : tcp);
    }

    // ------------------------------------------------------------------ options

    @Override
    public void setOption(int id, Object value) throws SocketException {
        if (id == SocketOptions.SO_TIMEOUT && value instanceof Integer) {
            timeout = (Integer) value;
        }
        SocketImpl a = active;
        if (a != null && mode != Mode.DUAL) {
            a.setOption(id, value);
            return;
        }
        intOptions.put(id, value);
        tcp.setOption(id, value);
        if (com != null) {
            try {
                com.setOption(id, value);
            } catch (SocketException unsupported) {
                Log.debug("option " + id + " not set on com-socket: " + unsupported.getMessage());
            }
        }
    }

    @Override
    public Object getOption(int id) throws SocketException {
        if (id == SocketOptions.SO_BINDADDR && active == null && comBindAddress != null) {
            return comBindAddress;
        }
        return current().getOption(id);
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        SocketImpl a = active;
        if (a != null && mode != Mode.DUAL) {
            Impls.setOption(a, name, value);
            return;
        }
        options.put(name, value);
        Impls.setOption(tcp, name, value);
        if (com != null) {
            try {
                Impls.setOption(com, name, value);
            } catch (IOException | UnsupportedOperationException unsupported) {
                Log.debug("option " + name + " not set on com-socket: " + unsupported.getMessage());
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        return (T) Impls.getOption(current(), name);
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return Impls.supportedOptions(current());
    }

    @Override
    public String toString() {
        return "RoutingSocketImpl[" + mode + (active != null ? ", " + active : "") + "]";
    }
}
