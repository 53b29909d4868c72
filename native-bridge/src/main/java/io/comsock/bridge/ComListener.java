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
 * A listening port. The receive daemon completes each handshake and queues the connection here
 * (up to the backlog; beyond it the connect is refused, as a full TCP backlog would make the
 * client give up); {@link #accept} takes them in order.
 */
public final class ComListener implements Closeable {
    final ComDomain domain;
    final int port;
    private final int backlog;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final ArrayDeque<ComConnection> queue = new ArrayDeque<>();
    private volatile boolean closed;
    private java.util.function.Predicate<ComConnection> sink;

    ComListener(ComDomain domain, int port, int backlog) {
        this.domain = domain;
        this.port = port;
        this.backlog = backlog;
    }

    public int port() {
        return port;
    }

    boolean hasRoom() {
        return !closed && queue.size() < backlog;
    }

    /**
     * Hands every connection, from now on, to {@code sink} instead of queueing it for
     * {@link #accept}; those already queued go first. The sink runs on the receive daemon's
     * thread, must not block, and returns false to refuse a connection (its backlog is full).
     */
    public void deliverTo(java.util.function.Predicate<ComConnection> sink) {
        lock.lock();
        try {
            this.sink = sink;
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
        lock.lock();
        try {
            queue.removeIf(c -> c.peer == p);
        } finally {
            lock.unlock();
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
    }

    public boolean isClosed() {
        return closed;
    }
}
