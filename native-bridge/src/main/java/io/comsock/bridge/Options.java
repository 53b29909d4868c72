package io.comsock.bridge;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.StandardSocketOptions;
import java.util.Set;

/**
 * The socket options of a com-socket implementation (user-space or kernel): kept, checked and
 * reported back like the JDK's. Options that tune TCP change nothing here: com-socket never
 * delays a write, and buffer sizes are the transport's.
 */
public final class Options {
    /**
     * How long a connect without a timeout waits for room in a full backlog before it gives up
     * with {@code ConnectException: Connection timed out}: as long as Linux TCP retries an
     * unanswered SYN by default (six retries, 127 s).
     */
    public static final long CONNECT_GIVE_UP_NANOS = 127_000_000_000L;

    /** SO_TIMEOUT in milliseconds, 0 for none. */
    public int timeout;
    /** SO_LINGER seconds, -1 when off; 0 makes close a reset. */
    public int linger = -1;
    private boolean noDelay;
    private boolean keepAlive;
    private boolean reuseAddress;
    private boolean oobInline;
    private int sendBuffer;
    private int receiveBuffer;
    private int trafficClass;

    public Options(int bufferSize) {
        this.sendBuffer = bufferSize;
        this.receiveBuffer = bufferSize;
    }

    public void set(int optID, Object value) throws SocketException {
        switch (optID) {
            case SocketOptions.SO_TIMEOUT:
                timeout = nonNegative("SO_TIMEOUT", value);
                break;
            case SocketOptions.SO_LINGER:
                linger = value instanceof Boolean ? -1 : nonNegative("SO_LINGER", value);
                break;
            case SocketOptions.TCP_NODELAY:
                noDelay = bool("TCP_NODELAY", value);
                break;
            case SocketOptions.SO_KEEPALIVE:
                keepAlive = bool("SO_KEEPALIVE", value);
                break;
            case SocketOptions.SO_REUSEADDR:
                reuseAddress = bool("SO_REUSEADDR", value);
                break;
            case SocketOptions.SO_OOBINLINE:
                oobInline = bool("SO_OOBINLINE", value);
                break;
            case SocketOptions.SO_SNDBUF:
                sendBuffer = positive("SO_SNDBUF", value);
                break;
            case SocketOptions.SO_RCVBUF:
                receiveBuffer = positive("SO_RCVBUF", value);
                break;
            case SocketOptions.IP_TOS:
                trafficClass = nonNegative("IP_TOS", value);
                break;
            default:
                throw new SocketException("Option " + optID + " is not supported by com-socket");
        }
    }

    /** The value of an option; SO_BINDADDR is {@code bound}. */
    public Object get(int optID, InetAddress bound) throws SocketException {
        switch (optID) {
            case SocketOptions.SO_TIMEOUT:
                return timeout;
            case SocketOptions.SO_LINGER:
                return linger;
            case SocketOptions.TCP_NODELAY:
                return noDelay;
            case SocketOptions.SO_KEEPALIVE:
                return keepAlive;
            case SocketOptions.SO_REUSEADDR:
                return reuseAddress;
            case SocketOptions.SO_OOBINLINE:
                return oobInline;
            case SocketOptions.SO_SNDBUF:
                return sendBuffer;
            case SocketOptions.SO_RCVBUF:
                return receiveBuffer;
            case SocketOptions.IP_TOS:
                return trafficClass;
            case SocketOptions.SO_BINDADDR:
                return bound;
            default:
                throw new SocketException("Option " + optID + " is not supported by com-socket");
        }
    }

    public static final Set<SocketOption<?>> SUPPORTED = Set.of(StandardSocketOptions.SO_KEEPALIVE,
            StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR,
            StandardSocketOptions.SO_LINGER, StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.IP_TOS);

    /** The same through the {@link SocketOption} API. */
    public <T> void set(SocketOption<T> name, T value) throws IOException {
        int id = optionId(name);
        set(id, id == SocketOptions.SO_LINGER && value instanceof Integer && (Integer) value < 0 ? Boolean.FALSE : value);
    }

    public Object get(SocketOption<?> name, InetAddress bound) throws IOException {
        return get(optionId(name), bound);
    }

    private static int optionId(SocketOption<?> name) {
        if (name == StandardSocketOptions.SO_KEEPALIVE) {
            return SocketOptions.SO_KEEPALIVE;
        } else if (name == StandardSocketOptions.SO_SNDBUF) {
            return SocketOptions.SO_SNDBUF;
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            return SocketOptions.SO_RCVBUF;
        } else if (name == StandardSocketOptions.SO_REUSEADDR) {
            return SocketOptions.SO_REUSEADDR;
        } else if (name == StandardSocketOptions.SO_LINGER) {
            return SocketOptions.SO_LINGER;
        } else if (name == StandardSocketOptions.TCP_NODELAY) {
            return SocketOptions.TCP_NODELAY;
        } else if (name == StandardSocketOptions.IP_TOS) {
            return SocketOptions.IP_TOS;
        }
        throw new UnsupportedOperationException("'" + name + "' is not supported by com-socket");
    }

    private static int nonNegative(String name, Object v) throws SocketException {
        if (!(v instanceof Integer) || (Integer) v < 0) {
            throw new SocketException(name + "=" + v + " is invalid (expected an integer >= 0)");
        }
        return (Integer) v;
    }

    private static int positive(String name, Object v) throws SocketException {
        if (!(v instanceof Integer) || (Integer) v <= 0) {
            throw new SocketException(name + "=" + v + " is invalid (expected an integer > 0)");
        }
        return (Integer) v;
    }

    private static boolean bool(String name, Object v) throws SocketException {
        if (!(v instanceof Boolean)) {
            throw new SocketException(name + "=" + v + " is invalid (expected a boolean)");
        }
        return (Boolean) v;
    }
}
