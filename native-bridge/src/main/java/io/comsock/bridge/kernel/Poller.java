package io.comsock.bridge.kernel;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.comsock.bridge.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread that waits in native code for the kernel provider's sockets. A thread that
 * finds its non-blocking descriptor not ready registers here and parks in Java, so a virtual
 * thread unmounts from its carrier instead of pinning it in {@code poll(2)}. The poller thread
 * polls every registered descriptor plus an {@code eventfd} that new registrations write to, and
 * unparks each waiter whose descriptor became ready.
 */
final class Poller {
    /** One thread waiting for one descriptor. */
    static final class Waiter {
        final int fd;
        final short events;
        final Thread thread;
        volatile int state; // 0 waiting, 1 ready, 2 given up

        Waiter(int fd, short events, Thread thread) {
            this.fd = fd;
            this.events = events;
            this.thread = thread;
        }
    }

    private static volatile Poller instance;

    private final int wakeFd;
    private final Memory one = new Memory(8);
    private final ConcurrentLinkedQueue<Waiter> incoming = new ConcurrentLinkedQueue<>();

    private Poller() {
        wakeFd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        one.setLong(0, 1);
        Thread t = new Thread(this::loop, "comsock-kernel-poller");
        t.setDaemon(true);
        t.start();
    }

    static Poller get() {
        Poller p = instance;
        if (p == null) {
            synchronized (Poller.class) {
                p = instance;
                if (p == null) {
                    p = new Poller();
                    instance = p;
                }
            }
        }
        return p;
    }

    /**
     * Parks the calling thread until {@code fd} is ready for {@code events}, the deadline passes
     * ({@code deadline} 0: none), or {@code stillWanted} says to stop. Returns true if ready.
     */
    boolean await(int fd, short events, long deadline, java.util.function.BooleanSupplier stillWanted) {
        Thread me = Thread.currentThread();
        Waiter w = new Waiter(fd, events, me);
        incoming.add(w);
        wake();
        boolean interrupted = false;
        try {
            while (w.state == 0) {
                if (!stillWanted.getAsBoolean()) {
                    w.state = 2;
                    return false;
                }
                long wait = 250_000_000L;
                if (deadline != 0) {
                    wait = Math.min(wait, deadline - System.nanoTime());
                    if (wait <= 0) {
                        w.state = 2;
                        return false;
                    }
                }
                LockSupport.parkNanos(this, wait);
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (Threads.isVirtual(me)) {
                        // the caller closes the socket: "Closed by interrupt"
                        w.state = 2;
                        return false;
                    }
                    // a platform thread keeps waiting, as in the JDK's blocking socket calls
                }
            }
            return w.state == 1;
        } finally {
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    /** Wakes threads waiting on {@code fd} (it is being closed): they look at their socket again. */
    void cancel(int fd) {
        wake();
        cancelled.add(fd);
    }

    private final ConcurrentLinkedQueue<Integer> cancelled = new ConcurrentLinkedQueue<>();

    private void wake() {
        try {
            Libc.write(wakeFd, one, 8);
        } catch (LastErrorException full) {
            // the counter is already non-zero: the poller is awake anyway
        }
    }

    private void loop() {
        List<Waiter> waiting = new ArrayList<>();
        Memory fds = new Memory(8 * 64);
        Memory drain = new Memory(8);
        while (true) {
            for (Waiter w; (w = incoming.poll()) != null; ) {
                waiting.add(w);
            }
            for (Integer fd; (fd = cancelled.poll()) != null; ) {
                for (Waiter w : waiting) {
                    if (w.fd == fd && w.state == 0) {
                        w.state = 2;
                        LockSupport.unpark(w.thread);
                    }
                }
            }
            waiting.removeIf(w -> w.state != 0);
            int n = waiting.size() + 1;
            if (fds.size() < 8L * n) {
                fds = new Memory(8L * Math.max(n, 2 * (fds.size() / 8)));
            }
            fds.setInt(0, wakeFd);
            fds.setShort(4, Libc.POLLIN);
            fds.setShort(6, (short) 0);
            for (int i = 0; i < waiting.size(); i++) {
                Waiter w = waiting.get(i);
                fds.setInt(8L * (i + 1), w.fd);
                fds.setShort(8L * (i + 1) + 4, w.events);
                fds.setShort(8L * (i + 1) + 6, (short) 0);
            }
            try {
                Libc.poll(fds, n, 250);
            } catch (LastErrorException interrupted) {
                continue;
            }
            if (fds.getShort(6) != 0) {
                try {
                    Libc.read(wakeFd, drain, 8);
                } catch (LastErrorException empty) {
                    // another round consumed it
                }
            }
            for (int i = 0; i < waiting.size(); i++) {
                if (fds.getShort(8L * (i + 1) + 6) != 0) {
                    Waiter w = waiting.get(i);
                    if (w.state == 0) {
                        w.state = 1;
                        LockSupport.unpark(w.thread);
                    }
                }
            }
        }
    }
}
