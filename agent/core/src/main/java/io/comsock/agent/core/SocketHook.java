package io.comsock.agent.core;

import java.lang.invoke.MethodHandles;
import java.net.SocketImpl;
import java.util.function.BiFunction;

/**
 * The one piece of the agent that the JDK's own code calls: a tiny class
 * {@code java.net.ComsockSocketHook}, defined at start-up into {@code java.base}'s own package
 * {@code java.net} (through a lookup on that package, which the agent opens to itself), so the
 * patched {@code SocketImpl} reaches it without the bootstrap class path being touched (which
 * would also switch off class data sharing for the application). Its two methods are
 * <pre>
 * public static SocketImpl wrap(SocketImpl platform, boolean server) {
 *     return (SocketImpl) wrapper.apply(platform, Boolean.valueOf(server));
 * }
 * public static void checkConnect(InetAddress remote, int port) {
 *     guard.apply(remote, Integer.valueOf(port));
 * }
 * public static void checkSend(InetSocketAddress target) {
 *     guard.apply(target.getAddress(), Integer.valueOf(target.getPort()));
 * }
 * </pre>
 * {@code wrap} is called by the patched {@code SocketImpl.createPlatformSocketImpl},
 * {@code checkConnect} by the patched {@code sun.nio.ch.Net.connect}, the one place where every
 * connect of the JDK (sockets and NIO channels) reaches the system call, and {@code checkSend} by
 * the patched {@code DatagramChannelImpl.send(FileDescriptor, ByteBuffer, InetSocketAddress)},
 * through which every datagram to an explicit address goes; {@code guard} throws, undeclared,
 * the {@code IOException} that refuses them. Both fields are set before the patches are applied
 * and never cleared.
 */
final class SocketHook {
    static final String NAME = "java/net/ComsockSocketHook";
    static final String WRAP_DESC = "(Ljava/net/SocketImpl;Z)Ljava/net/SocketImpl;";
    static final String CHECK_DESC = "(Ljava/net/InetAddress;I)V";
    static final String SEND_DESC = "(Ljava/net/InetSocketAddress;)V";

    private SocketHook() {
    }

    static void install(BiFunction<SocketImpl, Boolean, SocketImpl> wrapper,
            BiFunction<java.net.InetAddress, Integer, Object> guard) throws ReflectiveOperationException {
        MethodHandles.Lookup javaNet = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup());
        Class<?> hook;
        try {
            hook = Class.forName(NAME.replace('/', '.'), false, null);
        } catch (ClassNotFoundException first) {
            hook = javaNet.defineClass(ClassFiles.hookClass());
        }
        try {
            javaNet.findStaticSetter(hook, "guard", BiFunction.class).invoke(guard);
            javaNet.findStaticSetter(hook, "wrapper", BiFunction.class).invoke(wrapper);
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
