package io.comsock.bridge;

import java.io.Closeable;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A listening port. The receive daemon completes each handshake and queues the connection here,
 * up to the backlog; {@link #accept} takes them in order. A connect that finds the backlog full
 * waits, as with TCP (whose full backlog drops the SYN, so the client retries until its timeout):
 * its SYN is held here, up to {@link #HELD_MAX}, and answered in order as accepts make room.
 * Only beyond that, or when the listener closes, is it refused.
 */
public final class ComListener implements Closeable {
    final ComDomain domain;
    final int port;
    private final int backlog;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final ArrayDeque<ComConnection> queue = new ArrayDeque<>();
    /** SYN descriptors waiting for room: owner, from, ports, src, window. Daemon only. */
    private final ArrayDeque<long[]> held = new ArrayDeque<>();
    private volatile int heldCount;
    private volatile boolean closed;
    private java.util.function.Predicate<ComConnection> sink;
    private java.util.function.BooleanSupplier sinkRoom;

    /** Connects that may wait for room in a full backlog, per listener. */
    static final int HELD_MAX = 1024;

    ComListener(ComDomain domain, int port, int backlog) {
        this.domain = domain;
        this.port = port;
        this.backlog = backlog;
    }

    public int port() {
        return port;
    }

    boolean hasRoom() {
        if (closed) {
            return false;
        }
        lock.lock();
        try {
            return sink != null ? sinkRoom.getAsBoolean() : queue.size() < backlog;
        } finally {
            lock.unlock();
        }
    }

    /** Daemon: keeps a SYN until there is room. False if too many wait already, or closed. */
    boolean hold(long[] syn) {
        if (closed || held.size() >= HELD_MAX) {
            return false;
        }
        held.add(syn);
        heldCount = held.size();
        return true;
    }

    /** Daemon: the oldest held SYN, removed. */
    long[] nextHeld() {
        long[] syn = held.poll();
        heldCount = held.size();
        return syn;
    }

    boolean hasHeld() {
        return heldCount > 0;
    }

    /** Daemon: forgets the held SYN of a connect that gave up (timed out or closed). */
    boolean dropHeld(int from, int src) {
        boolean removed = held.removeIf(syn -> syn[1] == from && syn[3] == src);
        heldCount = held.size();
        return removed;
    }

    /** Daemon: forgets the held SYNs of a domain that died. */
    void dropHeld(int from) {
        held.removeIf(syn -> syn[1] == from);
        heldCount = held.size();
    }

    /**
     * Hands every connection, from now on, to {@code sink} instead of queueing it for
     * {@link #accept}; those already queued go first. The sink runs on the receive daemon's
     * thread and must not block; {@code room} says whether it takes another connection now (when
     * not, connects wait), and whoever consumes from the sink calls {@link #roomFreed} after
     * taking one.
     */
    public void deliverTo(java.util.function.Predicate<ComConnection> sink, java.util.function.BooleanSupplier room) {
        lock.lock();
        try {
            this.sink = sink;
            this.sinkRoom = room;
            for (ComConnection c; (c = queue.poll()) != null; ) {
                if (!sink.test(c)) {
                    c.abort();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Daemon: queues an established connection. False if closed or full. */
    boolean offer(ComConnection c) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (sink != null) {
                return sink.test(c);
            }
            if (queue.size() >= backlog) {
                return false;
            }
            queue.add(c);
            ready.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Daemon: drops queued connections whose peer died before they were accepted. */
    void peerDied(Peer p) {
        dropHeld(p.domain);
        lock.lock();
        try {
            queue.removeIf(c -> c.peer == p);
        } finally {
            lock.unlock();
        }
    }

    /** A connection was taken from the sink: connects held for room may go on. */
    public void roomFreed() {
        if (heldCount > 0) {
            domain.roomAt(this);
        }
    }

    /**
     * Takes the next connection.
     *
     * @param timeoutMillis 0 for no limit
     * @throws SocketTimeoutException when none came in time
     * @throws SocketException when the listener is closed, also from another thread
     */
    public ComConnection accept(int timeoutMillis) throws IOException {
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        boolean interrupted = false;
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new SocketException("Socket closed");
                }
                ComConnection c = queue.poll();
                if (c != null) {
                    roomFreed();
                    return c;
                }
                try {
                    if (deadline == 0) {
                        ready.await();
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new SocketTimeoutException("Accept timed out");
                        }
                        ready.awaitNanos(left);
                    }
                } catch (InterruptedException e) {
                    // as with the JDK: a virtual thread's interrupt closes the socket, a platform
                    // thread keeps waiting and gets its interrupt status back at the end
                    if (Threads.isVirtual(Thread.currentThread())) {
                        Thread.currentThread().interrupt();
                        close();
                        throw new java.io.InterruptedIOException("Closed by interrupt");
                    }
                    interrupted = true;
                }
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops listening; connections not yet accepted are reset. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            ready.signalAll();
            for (ComConnection c; (c = queue.poll()) != null; ) {
                c.abort();
            }
        } finally {
            lock.unlock();
        }
        domain.unlisten(this);
        // the daemon refuses the connects held for room
        domain.roomAt(this);
    }

    public boolean isClosed() {
        return closed;
    }
}
