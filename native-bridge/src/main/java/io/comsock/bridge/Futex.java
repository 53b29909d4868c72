package io.comsock.bridge;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * Cross-process wait and wake on a 32-bit word of a shared mapping: Linux {@code futex(2)}
 * without {@code FUTEX_PRIVATE_FLAG}, called through JNA direct mapping.
 *
 * <p>Only the receive daemon's own platform thread ever waits here; application threads park in
 * Java, so a virtual thread never pins its carrier in this native call.
 */
final class Futex {
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final long SYS_FUTEX;
    private static final Throwable UNAVAILABLE;

    static {
        long nr = -1;
        Throwable failure = null;
        try {
            if (!Platform.isLinux()) {
                throw new UnsupportedOperationException("futex needs Linux, this is " + System.getProperty("os.name"));
            }
            if (Platform.isIntel() && Platform.is64Bit()) {
                nr = 202;
            } else if (Platform.isARM() && Platform.is64Bit()) {
                nr = 98;
            } else {
                throw new UnsupportedOperationException("no futex system call number for arch "
                        + System.getProperty("os.arch"));
            }
            Native.register(Futex.class, NativeLibrary.getProcess());
        } catch (Throwable t) {
            failure = t;
        }
        SYS_FUTEX = nr;
        UNAVAILABLE = failure;
    }

    private Futex() {
    }

    private static native long syscall(long number, Pointer addr, int op, int val, Pointer timeout,
            Pointer addr2, int val3);

    /** Null when futexes work here, else why not. */
    static Throwable unavailable() {
        return UNAVAILABLE;
    }

    /** The native address of {@code offset} in a direct buffer. */
    static Pointer address(ByteBuffer direct, int offset) {
        return Native.getDirectBufferPointer(direct).share(offset);
    }

    /**
     * Sleeps while the word at {@code addr} equals {@code expected}, at most the time in
     * {@code timespec} (null: no limit). Returns early on a wake-up, a signal, or a changed word.
     */
    static void await(Pointer addr, int expected, Pointer timespec) {
        syscall(SYS_FUTEX, addr, FUTEX_WAIT, expected, timespec, null, 0);
    }

    /** Wakes up to {@code count} waiters on {@code addr}. */
    static void wake(Pointer addr, int count) {
        syscall(SYS_FUTEX, addr, FUTEX_WAKE, count, null, null, 0);
    }
}
