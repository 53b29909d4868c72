package io.comsock.agent.core;

import io.comsock.bridge.ComSocketImpl;
import io.comsock.bridge.Threads;
import java.io.IOException;
import java.net.SocketImpl;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Accepts on a TCP listener and a com-socket listener at once, for a server socket bound to the
 * wildcard address. A daemon thread blocked in the TCP accept, and the com-socket receive daemon
 * directly, put connections into one queue of at most {@code backlog}, from which
 * {@code ServerSocket.accept} takes in arrival order, with its {@code SO_TIMEOUT}. Waiting on the
 * queue parks, so a virtual thread in {@code accept} does not pin its carrier.
 */
final class DualAcceptor {
    private final SocketImpl tcp;
    private final SocketImpl com;
    private final int capacity;
    /** The user-space listener that delivers straight into the queue, or null. */
    private final io.comsock.bridge.ComListener direct;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final Condition room = lock.newCondition();
    private final ArrayDeque<SocketImpl> queue = new ArrayDeque<>();
    private final Map<SocketImpl, Boolean> fromCom = new IdentityHashMap<>();
    private IOException failure;
    private int sidesDown;
    private volatile boolean closed;

    DualAcceptor(SocketImpl tcp, SocketImpl com, int backlog, int port) {
        this.tcp = tcp;
        this.com = com;
        this.capacity = Math.max(1, backlog <= 0 ? 50 : backlog);
        start("tcp", port, this::acceptTcp);
        if (com instanceof ComSocketImpl) {
            // user-space com-socket connections come straight from the receive daemon into the
            // queue: no thread of ours in between, one wake-up fewer per accept
            // (a connect that finds the queue full waits in the listener until a take makes room)
            ComSocketImpl listening = (ComSocketImpl) com;
            direct = listening.listener();
            direct.deliverTo(c -> offer(listening.accepted(c), true), this::hasRoom);
        } else {
            direct = null;
            start("com", port, this::acceptCom);
        }
    }

    private SocketImpl acceptCom() throws IOException {
        SocketImpl s = AgentRuntime.current().provider.newSocketImpl();
        Impls.accept(com, s);
        return s;
    }

    private boolean hasRoom() {
        lock.lock();
        try {
            return !closed && queue.size() < capacity;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a connection the com-socket listener admitted after {@link #hasRoom} said yes (a TCP
     * accept in between may have taken that place: it is kept all the same); never waits.
     */
    private boolean offer(SocketImpl s, boolean isCom) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            queue.add(s);
            if (isCom) {
                fromCom.put(s, Boolean.TRUE);
            }
            ready.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private interface Acceptor {
        SocketImpl acceptOne() throws IOException;
    }

    private void start(String kind, int port, Acceptor a) {
        Thread t = new Thread(() -> loop(a, kind.equals("com")), "comsock-accept-" + kind + "-" + port);
        t.setDaemon(true);
        t.start();
    }

    private SocketImpl acceptTcp() throws IOException {
        SocketImpl s = Impls.newPlatform(false);
        Impls.accept(tcp, s);
        return s;
    }

    private void loop(Acceptor a, boolean isCom) {
        while (!closed) {
            SocketImpl s;
            try {
                s = a.acceptOne();
            } catch (IOException e) {
                if (!closed) {
                    // one transport failing leaves the other serving; accept fails once both have
                    lock.lock();
                    try {
                        sidesDown++;
                        failure = e;
                        ready.signalAll();
                    } finally {
                        lock.unlock();
                    }
                    Log.info("accepting on " + (isCom ? "com-socket" : "TCP") + " stopped: " + e);
                }
                return;
            }
            lock.lock();
            try {
                while (queue.size() >= capacity && !closed) {
                    room.awaitUninterruptibly();
                }
                if (closed) {
                    Impls.closeQuietly(s);
                    return;
                }
                queue.add(s);
                if (isCom) {
                    fromCom.put(s, Boolean.TRUE);
                }
                ready.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    /** The next accepted connection, or null after {@code timeoutMillis} (0: no limit). */
    SocketImpl take(int timeoutMillis) throws IOException {
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        boolean interrupted = false;
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (closed) {
                    throw new java.net.SocketException("Socket closed");
                }
                if (sidesDown == 2) {
                    throw failure;
                }
                try {
                    if (deadline == 0) {
                        ready.await();
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return null;
                        }
                        ready.awaitNanos(left);
                    }
                } catch (InterruptedException e) {
                    // as the JDK: a virtual thread's accept ends (ServerSocket then closes itself),
                    // a platform thread's goes on and keeps its interrupt status
                    if (Threads.isVirtual(Thread.currentThread())) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("Closed by interrupt");
                    }
                    interrupted = true;
                }
            }
            room.signal();
            return queue.poll();
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (direct != null) {
                direct.roomFreed();
            }
        }
    }

    /** True if {@code s} came from the com-socket listener (and forgets it). */
    boolean isCom(SocketImpl s) {
        lock.lock();
        try {
            return fromCom.remove(s) != null;
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            ready.signalAll();
            room.signalAll();
            for (SocketImpl s; (s = queue.poll()) != null; ) {
                Impls.closeQuietly(s);
            }
            fromCom.clear();
        } finally {
            lock.unlock();
        }
        Impls.closeQuietly(tcp);
        Impls.closeQuietly(com);
    }
}
