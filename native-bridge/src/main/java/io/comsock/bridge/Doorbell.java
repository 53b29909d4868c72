package io.comsock.bridge;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * A domain's doorbell: the header word a sender increments, then wakes the daemon with
 * {@code FUTEX_WAKE}; the daemon sleeps on it with {@code FUTEX_WAIT}.
 *
 * <p>The native part loads on the first daemon's own thread, so that start-up does not wait for
 * it; a sender that rings before then loads it itself. If it cannot load, senders only increment
 * the word and a daemon polls it every millisecond.
 */
final class Doorbell {
    private static volatile boolean nativeReady;
    private static volatile Throwable nativeFailure;

    private final ByteBuffer buf;
    private final int offset;
    private volatile Pointer address;

    Doorbell(ByteBuffer buf, int offset) {
        this.buf = buf;
        this.offset = offset;
    }

    /** Loads the futex binding; called by a daemon thread. Returns why it failed, or null. */
    static synchronized Throwable loadNative() {
        if (!nativeReady && nativeFailure == null) {
            Throwable t = Futex.unavailable();
            if (t == null) {
                nativeReady = true;
            } else {
                nativeFailure = t;
            }
        }
        return nativeFailure;
    }

    private Pointer address() {
        Pointer p = address;
        if (p == null) {
            p = Futex.address(buf, offset);
            address = p;
        }
        return p;
    }

    /** The current value, to pass to {@link #await}. */
    int value() {
        return (int) Region.I32.getVolatile(buf, offset);
    }

    /** Rings: increments the word and wakes one sleeper. */
    void ring() {
        Region.I32.getAndAdd(buf, offset, 1);
        if (!nativeReady && nativeFailure == null) {
            // our own daemon has not loaded it yet: the ring must not be lost, so load it here
            loadNative();
        }
        if (nativeReady) {
            Futex.wake(address(), 1);
        }
    }

    /**
     * Wakes a daemon of this process: never loads the native part (a daemon that has not loaded
     * it yet is polling and sees the word change within a millisecond).
     */
    void ringLocal() {
        Region.I32.getAndAdd(buf, offset, 1);
        if (nativeReady) {
            Futex.wake(address(), 1);
        }
    }

    /**
     * Sleeps while the word still equals {@code seen}, at most {@code nanos} (negative: no limit).
     * {@code timespec} is 16 bytes of scratch owned by the caller's thread.
     */
    void await(int seen, long nanos, Memory[] timespec) {
        if (!nativeReady) {
            LockSupport.parkNanos(nanos < 0 ? 1_000_000L : Math.min(nanos, 1_000_000L));
            return;
        }
        Memory ts = null;
        if (nanos >= 0) {
            if (timespec[0] == null) {
                timespec[0] = new Memory(16);
            }
            ts = timespec[0];
            ts.setLong(0, nanos / 1_000_000_000L);
            ts.setLong(8, nanos % 1_000_000_000L);
        }
        Futex.await(address(), seen, ts);
    }
}
