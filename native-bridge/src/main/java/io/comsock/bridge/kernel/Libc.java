package io.comsock.bridge.kernel;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Every native call of the kernel provider, in one place: the C library's socket calls through
 * JNA direct mapping. A call that fails throws {@link LastErrorException} carrying errno; the
 * callers turn that into the JDK's exception types ({@link Errno}).
 *
 * <p>Linux x86-64 and aarch64 only (where the module is built). Loading never throws: see
 * {@link #unavailable()}.
 */
final class Libc {
    static final int SOCK_STREAM = 1;
    static final int SOCK_NONBLOCK = 04000;
    static final int SOCK_CLOEXEC = 02000000;
    static final int SHUT_RD = 0;
    static final int SHUT_WR = 1;
    static final short POLLIN = 0x001;
    static final short POLLOUT = 0x004;
    static final short POLLERR = 0x008;
    static final short POLLHUP = 0x010;
    static final int EFD_NONBLOCK = 04000;
    static final int EFD_CLOEXEC = 02000000;
    static final int FIONREAD = 0x541B;
    static final int SOL_SOCKET = 1;
    static final int SO_ERROR = 4;
    static final int SO_LINGER = 13;

    private static final Throwable UNAVAILABLE;

    static {
        Throwable failure = null;
        try {
            if (!Platform.isLinux()) {
                throw new UnsupportedOperationException("AF_COM needs Linux, this is " + System.getProperty("os.name"));
            }
            Native.register(Libc.class, NativeLibrary.getProcess());
        } catch (Throwable t) {
            failure = t;
        }
        UNAVAILABLE = failure;
    }

    private Libc() {
    }

    /** Null when the bindings loaded, else why not. */
    static Throwable unavailable() {
        return UNAVAILABLE;
    }

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

    static native int listen(int fd, int backlog) throws LastErrorException;

    static native int accept4(int fd, byte[] addr, int[] len, int flags) throws LastErrorException;

    static native int connect(int fd, byte[] addr, int len) throws LastErrorException;

    static native long read(int fd, Pointer buf, long count) throws LastErrorException;

    static native long write(int fd, Pointer buf, long count) throws LastErrorException;

    static native int shutdown(int fd, int how) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int getsockname(int fd, byte[] addr, int[] len) throws LastErrorException;

    static native int getpeername(int fd, byte[] addr, int[] len) throws LastErrorException;

    static native int getsockopt(int fd, int level, int name, int[] value, int[] len) throws LastErrorException;

    static native int setsockopt(int fd, int level, int name, int[] value, int len) throws LastErrorException;

    static native int ioctl(int fd, int request, int[] value) throws LastErrorException;

    static native int poll(Pointer fds, long nfds, int timeout) throws LastErrorException;

    static native int eventfd(int initval, int flags) throws LastErrorException;
}
