package io.comsock.bridge.kernel;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** errno values of the socket calls, and the JDK exception each becomes. */
final class Errno {
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int EPIPE = 32;
    static final int EAFNOSUPPORT = 97;
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;
    static final int ENETUNREACH = 101;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;
    static final int ENOTCONN = 107;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EHOSTUNREACH = 113;
    static final int EINPROGRESS = 115;

    private Errno() {
    }

    /** The exception a TCP socket of the JDK would throw for {@code errno} in {@code call}. */
    static IOException exception(String call, int errno) {
        switch (errno) {
            case ECONNREFUSED:
                return new ConnectException("Connection refused");
            case EHOSTUNREACH:
            case ENETUNREACH:
                return new NoRouteToHostException("No route to host");
            case EADDRINUSE:
                return new BindException("Address already in use");
            case EADDRNOTAVAIL:
                return new BindException("Cannot assign requested address");
            case ECONNRESET:
            case ECONNABORTED:
                return new SocketException("Connection reset");
            case EPIPE:
                return new SocketException("Broken pipe");
            case ETIMEDOUT:
                return new SocketTimeoutException(call.equals("connect") ? "Connect timed out" : "Read timed out");
            case EBADF:
                return new SocketException("Socket closed");
            case ENOTCONN:
                return new SocketException("Socket is not connected");
            default:
                return new SocketException(call + " failed: errno " + errno);
        }
    }

    static IOException exception(String call, LastErrorException e) {
        return exception(call, e.getErrorCode());
    }
}
