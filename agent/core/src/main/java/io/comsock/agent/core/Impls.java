package io.comsock.agent.core;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.util.Set;

/**
 * Calls into another {@link SocketImpl}'s protected API (the JDK's own implementation, or
 * com-socket's). {@code java.net} is opened to the agent at start-up, so these are plain method
 * handles, bound once; every call dispatches virtually to the real implementation.
 */
final class Impls {
    private static final MethodHandle CREATE;
    private static final MethodHandle CONNECT;
    private static final MethodHandle BIND;
    private static final MethodHandle LISTEN;
    private static final MethodHandle ACCEPT;
    private static final MethodHandle INPUT;
    private static final MethodHandle OUTPUT;
    private static final MethodHandle AVAILABLE;
    private static final MethodHandle CLOSE;
    private static final MethodHandle SHUTDOWN_INPUT;
    private static final MethodHandle SHUTDOWN_OUTPUT;
    private static final MethodHandle URGENT;
    private static final MethodHandle SET_OPTION;
    private static final MethodHandle GET_OPTION;
    private static final MethodHandle SUPPORTED;
    private static final MethodHandle ADDRESS;
    private static final MethodHandle PORT;
    private static final MethodHandle LOCAL_PORT;
    private static final MethodHandle FD;
    private static final MethodHandle NEW_PLATFORM;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup());
            Class<?> c = SocketImpl.class;
            MethodType v = MethodType.methodType(void.class);
            CREATE = l.findVirtual(c, "create", MethodType.methodType(void.class, boolean.class));
            CONNECT = l.findVirtual(c, "connect", MethodType.methodType(void.class, SocketAddress.class, int.class));
            BIND = l.findVirtual(c, "bind", MethodType.methodType(void.class, InetAddress.class, int.class));
            LISTEN = l.findVirtual(c, "listen", MethodType.methodType(void.class, int.class));
            ACCEPT = l.findVirtual(c, "accept", MethodType.methodType(void.class, SocketImpl.class));
            INPUT = l.findVirtual(c, "getInputStream", MethodType.methodType(InputStream.class));
            OUTPUT = l.findVirtual(c, "getOutputStream", MethodType.methodType(OutputStream.class));
            AVAILABLE = l.findVirtual(c, "available", MethodType.methodType(int.class));
            CLOSE = l.findVirtual(c, "close", v);
            SHUTDOWN_INPUT = l.findVirtual(c, "shutdownInput", v);
            SHUTDOWN_OUTPUT = l.findVirtual(c, "shutdownOutput", v);
            URGENT = l.findVirtual(c, "sendUrgentData", MethodType.methodType(void.class, int.class));
            SET_OPTION = l.findVirtual(c, "setOption", MethodType.methodType(void.class, SocketOption.class, Object.class));
            GET_OPTION = l.findVirtual(c, "getOption", MethodType.methodType(Object.class, SocketOption.class));
            SUPPORTED = l.findVirtual(c, "supportedOptions", MethodType.methodType(Set.class));
            ADDRESS = l.findGetter(c, "address", InetAddress.class);
            PORT = l.findGetter(c, "port", int.class);
            LOCAL_PORT = l.findGetter(c, "localport", int.class);
            FD = l.findGetter(c, "fd", FileDescriptor.class);
            Class<?> nio = Class.forName("sun.nio.ch.NioSocketImpl");
            NEW_PLATFORM = MethodHandles.lookup().findConstructor(nio, MethodType.methodType(void.class, boolean.class))
                    .asType(MethodType.methodType(SocketImpl.class, boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Impls() {
    }

    /** A new JDK socket implementation, not routed (the JDK's {@code NioSocketImpl}). */
    static SocketImpl newPlatform(boolean server) {
        try {
            return (SocketImpl) NEW_PLATFORM.invokeExact(server);
        } catch (Throwable t) {
            throw rethrowUnchecked(t);
        }
    }

    static void create(SocketImpl s, boolean stream) throws IOException {
        try {
            CREATE.invokeExact(s, stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void connect(SocketImpl s, SocketAddress a, int timeout) throws IOException {
        try {
            CONNECT.invokeExact(s, a, timeout);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void bind(SocketImpl s, InetAddress a, int port) throws IOException {
        try {
            BIND.invokeExact(s, a, port);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void listen(SocketImpl s, int backlog) throws IOException {
        try {
            LISTEN.invokeExact(s, backlog);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void accept(SocketImpl s, SocketImpl into) throws IOException {
        try {
            ACCEPT.invokeExact(s, into);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static InputStream input(SocketImpl s) throws IOException {
        try {
            return (InputStream) INPUT.invokeExact(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static OutputStream output(SocketImpl s) throws IOException {
        try {
            return (OutputStream) OUTPUT.invokeExact(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int available(SocketImpl s) throws IOException {
        try {
            return (int) AVAILABLE.invokeExact(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void close(SocketImpl s) throws IOException {
        try {
            CLOSE.invokeExact(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void closeQuietly(SocketImpl s) {
        try {
            close(s);
        } catch (IOException ignored) {
            // closing an unused socket: nothing to report
        }
    }

    static void shutdownInput(SocketImpl s) throws IOException {
        try {
            SHUTDOWN_INPUT.invokeExact(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void shutdownOutput(SocketImpl s) throws IOException {
        try {
            SHUTDOWN_OUTPUT.invokeExact(s);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void sendUrgentData(SocketImpl s, int b) throws IOException {
        try {
            URGENT.invokeExact(s, b);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void setOption(SocketImpl s, SocketOption<?> name, Object value) throws IOException {
        try {
            SET_OPTION.invokeExact(s, name, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static Object getOption(SocketImpl s, SocketOption<?> name) throws IOException {
        try {
            return (Object) GET_OPTION.invokeExact(s, name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @SuppressWarnings("unchecked")
    static Set<SocketOption<?>> supportedOptions(SocketImpl s) {
        try {
            return (Set<SocketOption<?>>) SUPPORTED.invokeExact(s);
        } catch (Throwable t) {
            throw rethrowUnchecked(t);
        }
    }

    static InetAddress address(SocketImpl s) {
        try {
            return (InetAddress) ADDRESS.invokeExact(s);
        } catch (Throwable t) {
            throw rethrowUnchecked(t);
        }
    }

    static int port(SocketImpl s) {
        try {
            return (int) PORT.invokeExact(s);
        } catch (Throwable t) {
            throw rethrowUnchecked(t);
        }
    }

    static int localPort(SocketImpl s) {
        try {
            return (int) LOCAL_PORT.invokeExact(s);
        } catch (Throwable t) {
            throw rethrowUnchecked(t);
        }
    }

    static FileDescriptor fd(SocketImpl s) {
        try {
            return (FileDescriptor) FD.invokeExact(s);
        } catch (Throwable t) {
            throw rethrowUnchecked(t);
        }
    }

    /** Throws {@code t} as it is, whatever the caller declares: for a JDK caller that declares it. */
    @SuppressWarnings("unchecked")
    static <T extends Throwable> T undeclared(Throwable t) throws T {
        throw (T) t;
    }

    private static IOException rethrow(Throwable t) {
        if (t instanceof IOException) {
            return (IOException) t;
        }
        throw rethrowUnchecked(t);
    }

    private static RuntimeException rethrowUnchecked(Throwable t) {
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        throw new IllegalStateException(t);
    }
}
