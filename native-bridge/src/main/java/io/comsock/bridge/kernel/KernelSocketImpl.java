package io.comsock.bridge.kernel;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.comsock.bridge.ComAddress;
import io.comsock.bridge.Options;
import io.comsock.bridge.Threads;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link SocketImpl} over the {@code AF_COM} kernel module: a non-blocking stream socket of
 * family {@code AF_COM}, with the same {@code java.net} semantics as the user-space transport.
 *
 * <p>Every call is non-blocking; a call that would block waits in {@link Poller}, which parks the
 * thread in Java (a virtual thread unmounts) while one platform thread polls the descriptors. An
 * interrupted virtual thread closes the socket ("Closed by interrupt"), as the JDK does.
 */
public class KernelSocketImpl extends SocketImpl {
    private static final int CHUNK = 64 * 1024;

    private final int family = KernelSupport.family();
    private final int domain;
    private final Options options = new Options(256 * 1024);
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile int fd = -1;
    private volatile boolean closed;
    private boolean listening;
    private Memory readBuf;
    private Memory writeBuf;

    /** @param domain this network namespace's domain id (for messages and SO_BINDADDR) */
    public KernelSocketImpl(int domain) {
        this.domain = domain;
    }

    @Override
    protected void create(boolean stream) throws IOException {
        if (!stream) {
            throw new SocketException("com-socket offers stream sockets only through java.net.Socket");
        }
        if (fd >= 0) {
            return;
        }
        try {
            fd = Libc.socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new SocketException("socket(AF_COM=" + family + ") failed: errno " + e.getErrorCode()
                    + (e.getErrorCode() == Errno.EAFNOSUPPORT ? " (is the comsock module loaded?)" : ""));
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
    protected void connect(SocketAddress remote, int millis) throws IOException {
        if (!(remote instanceof InetSocketAddress) || ((InetSocketAddress) remote).isUnresolved()) {
            throw new IllegalArgumentException("address=" + remote + " is not a resolved InetSocketAddress");
        }
        InetSocketAddress isa = (InetSocketAddress) remote;
        try {
            ComAddress.domainOf(isa.getAddress());
        } catch (IllegalArgumentException notADomain) {
            throw new NoRouteToHostException(notADomain.getMessage());
        }
        int s = open();
        byte[] addr = KernelSupport.sockaddr(family, isa.getAddress(), isa.getPort());
        long started = System.nanoTime();
        long deadline = millis > 0 ? started + TimeUnit.MILLISECONDS.toNanos(millis) : 0;
        long backoff = 100_000;
        while (true) {
            try {
                Libc.connect(s, addr, addr.length);
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Errno.EAGAIN) {
                    // the listener's backlog is full: try again until the timeout, as TCP's SYN
                    // would, and without one give up when TCP would
                    long now = System.nanoTime();
                    if (deadline != 0 && now - deadline >= 0) {
                        throw new SocketTimeoutException("Connect timed out");
                    }
                    if (deadline == 0 && now - started >= Options.CONNECT_GIVE_UP_NANOS) {
                        throw new java.net.ConnectException("Connection timed out");
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(backoff);
                    backoff = Math.min(backoff * 2, 10_000_000);
                    checkInterrupt();
                    continue;
                }
                if (e.getErrorCode() == Errno.EINPROGRESS) {
                    awaitConnected(s, deadline);
                    break;
                }
                IOException x = Errno.exception("connect", e);
                if (x instanceof NoRouteToHostException) {
                    x = new NoRouteToHostException("No route to host: domain " + ComAddress.domainOf(isa.getAddress())
                            + " (" + isa.getAddress().getHostAddress() + ") has no AF_COM domain on this kernel");
                }
                throw x;
            }
        }
        address = isa.getAddress();
        port = isa.getPort();
        localport = localPortOf(s);
    }

    private void awaitConnected(int s, long deadline) throws IOException {
        if (!Poller.get().await(s, Libc.POLLOUT, deadline, () -> !closed)) {
            checkClosed();
            checkInterrupt();
            throw new SocketTimeoutException("Connect timed out");
        }
        int[] err = new int[1];
        Libc.getsockopt(s, Libc.SOL_SOCKET, Libc.SO_ERROR, err, new int[] {4});
        if (err[0] != 0) {
            throw Errno.exception("connect", err[0]);
        }
    }

    @Override
    protected void bind(InetAddress host, int lport) throws IOException {
        if (host != null && !host.isAnyLocalAddress() && !host.equals(ComAddress.addressOf(domain))) {
            throw new BindException("Cannot assign requested address: " + host.getHostAddress()
                    + " (this namespace is domain " + domain + ", " + ComAddress.addressOf(domain).getHostAddress() + ")");
        }
        int s = open();
        byte[] addr = KernelSupport.sockaddr(family, null, lport);
        try {
            Libc.bind(s, addr, addr.length);
        } catch (LastErrorException e) {
            throw Errno.exception("bind", e);
        }
        localport = localPortOf(s);
        // as the JDK's own impl: a server socket reports the address it was bound to
        address = host;
    }

    @Override
    protected void listen(int backlog) throws IOException {
        try {
            Libc.listen(open(), backlog <= 0 ? 50 : backlog);
            listening = true;
        } catch (LastErrorException e) {
            throw Errno.exception("listen", e);
        }
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        if (!(s instanceof KernelSocketImpl)) {
            throw new SocketException("an AF_COM listener accepts into a KernelSocketImpl, not " + s.getClass().getName());
        }
        KernelSocketImpl t = (KernelSocketImpl) s;
        int l = open();
        long deadline = options.timeout > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.timeout) : 0;
        byte[] peer = new byte[KernelSupport.SOCKADDR_SIZE];
        while (true) {
            try {
                int c = Libc.accept4(l, peer, new int[] {peer.length}, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                InetSocketAddress from = KernelSupport.decode(peer);
                t.fd = c;
                t.address = from.getAddress();
                t.port = from.getPort();
                t.localport = localport;
                return;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EAGAIN) {
                    throw Errno.exception("accept", e);
                }
            }
            waitFor(l, Libc.POLLIN, deadline, "Accept timed out");
        }
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        checkClosed();
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return KernelSocketImpl.this.read(b, off, len);
            }

            @Override
            public int available() throws IOException {
                return KernelSocketImpl.this.available();
            }

            @Override
            public void close() throws IOException {
                KernelSocketImpl.this.close();
            }
        };
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        checkClosed();
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                KernelSocketImpl.this.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                KernelSocketImpl.this.close();
            }
        };
    }

    private int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        readLock.lock();
        try {
            if (readBuf == null) {
                readBuf = new Memory(CHUNK);
            }
            long deadline = options.timeout > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.timeout) : 0;
            while (true) {
                int s = open();
                try {
                    long n = Libc.read(s, readBuf, Math.min(len, CHUNK));
                    if (n <= 0) {
                        return -1;
                    }
                    readBuf.read(0, b, off, (int) n);
                    return (int) n;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != Errno.EAGAIN) {
                        throw Errno.exception("read", e);
                    }
                }
                waitFor(s, Libc.POLLIN, deadline, "Read timed out");
            }
        } finally {
            readLock.unlock();
        }
    }

    private void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        writeLock.lock();
        try {
            if (writeBuf == null) {
                writeBuf = new Memory(CHUNK);
            }
            while (len > 0) {
                int s = open();
                int chunk = Math.min(len, CHUNK);
                writeBuf.write(0, b, off, chunk);
                try {
                    long n = Libc.write(s, writeBuf, chunk);
                    off += (int) n;
                    len -= (int) n;
                    continue;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != Errno.EAGAIN) {
                        throw Errno.exception("write", e);
                    }
                }
                waitFor(s, Libc.POLLOUT, 0, null);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Parks until {@code s} is ready; throws on close, timeout, or a virtual thread's interrupt. */
    private void waitFor(int s, short events, long deadline, String timeoutMessage) throws IOException {
        boolean ready = Poller.get().await(s, events, deadline, () -> !closed);
        checkClosed();
        checkInterrupt();
        if (!ready && deadline != 0 && System.nanoTime() - deadline >= 0) {
            throw new SocketTimeoutException(timeoutMessage);
        }
    }

    private void checkInterrupt() throws IOException {
        Thread t = Thread.currentThread();
        // only a virtual thread's interrupt ends the call (the poller keeps a platform thread
        // waiting and leaves its interrupt status set, as the JDK's blocking sockets do)
        if (t.isInterrupted() && Threads.isVirtual(t)) {
            close();
            throw new InterruptedIOException("Closed by interrupt");
        }
    }

    @Override
    protected int available() throws IOException {
        int[] n = new int[1];
        try {
            Libc.ioctl(open(), Libc.FIONREAD, n);
            return Math.max(0, n[0]);
        } catch (LastErrorException unsupported) {
            return 0;
        }
    }

    @Override
    protected void close() throws IOException {
        int s;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            s = fd;
            fd = -1;
        }
        if (s >= 0) {
            Poller.get().cancel(s);
            if (options.linger == 0) {
                // SO_LINGER 0: the module makes this close a reset, as TCP does
                try {
                    Libc.setsockopt(s, Libc.SOL_SOCKET, Libc.SO_LINGER, new int[] {1, 0}, 8);
                } catch (LastErrorException e) {
                    // the socket still closes, in order
                }
            }
            try {
                Libc.close(s);
            } catch (LastErrorException e) {
                throw Errno.exception("close", e);
            }
        }
    }

    @Override
    protected void shutdownInput() throws IOException {
        shutdown(Libc.SHUT_RD);
    }

    @Override
    protected void shutdownOutput() throws IOException {
        shutdown(Libc.SHUT_WR);
    }

    private void shutdown(int how) throws IOException {
        try {
            Libc.shutdown(open(), how);
        } catch (LastErrorException e) {
            throw Errno.exception("shutdown", e);
        }
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
        checkClosed();
        options.set(optID, value);
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        checkClosed();
        return options.get(optID, ComAddress.addressOf(domain));
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        return Options.SUPPORTED;
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        checkClosed();
        options.set(name, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        checkClosed();
        return (T) options.get(name, ComAddress.addressOf(domain));
    }

    private int open() throws IOException {
        checkClosed();
        if (fd < 0) {
            create(true);
        }
        return fd;
    }

    private void checkClosed() throws SocketException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
    }

    private static int localPortOf(int s) throws IOException {
        byte[] a = new byte[KernelSupport.SOCKADDR_SIZE];
        try {
            Libc.getsockname(s, a, new int[] {a.length});
        } catch (LastErrorException e) {
            throw Errno.exception("getsockname", e);
        }
        return KernelSupport.decode(a).getPort();
    }

    @Override
    public String toString() {
        return "KernelSocketImpl[fd=" + fd + (listening ? ", listening" : "") + ", " + super.toString() + "]";
    }
}
