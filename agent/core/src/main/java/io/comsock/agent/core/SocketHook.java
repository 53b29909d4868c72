package io.comsock.agent.core;

import java.lang.invoke.MethodHandles;
import java.net.SocketImpl;
import java.util.function.BiFunction;

/**
 * The one piece of the agent that the JDK's own code calls: a tiny class
 * {@code java.net.ComsockSocketHook}, defined at start-up into {@code java.base}'s own package
 * {@code java.net} (through a lookup on that package, which the agent opens to itself), so the
 * patched JDK methods reach it without the bootstrap class path being touched (which would also
 * switch off class data sharing for the application). Its methods are
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
 * public static boolean connectDirect(SocketImpl proxied, SocketAddress endpoint, int timeout) {
 *     return ((IntPredicate) direct.apply(((DelegatingSocketImpl) proxied).delegate, endpoint)).test(timeout);
 * }
 * public static Proxy proxyFor(URL url, Proxy proxy) {
 *     return (Proxy) proxies.apply(url, proxy);
 * }
 * public static ProxySelector selector(ProxySelector selector) {
 *     return (ProxySelector) selectors.apply(selector, null);
 * }
 * </pre>
 * {@code wrap} is called by the patched {@code SocketImpl.createPlatformSocketImpl},
 * {@code checkConnect} by the patched {@code sun.nio.ch.Net.connect}, the one place where every
 * connect of the JDK (sockets and NIO channels) reaches the system call, and {@code checkSend} by
 * the patched {@code DatagramChannelImpl.send(FileDescriptor, ByteBuffer, InetSocketAddress)},
 * through which every datagram to an explicit address goes; {@code guard} throws, undeclared,
 * the {@code IOException} that refuses them. The last three keep proxies away from com addresses
 * (see {@link ProxyBypass}): {@code connectDirect} at the entry of the SOCKS and HTTP proxy socket
 * implementations' {@code connect}, {@code proxyFor} where {@code HttpURLConnection} makes its
 * HTTP or HTTPS client, {@code selector} on what {@code ProxySelector.getDefault()} returns and
 * what {@code java.net.http} is given. The fields are set before the patches are applied and never
 * cleared.
 */
final class SocketHook {
    static final String NAME = "java/net/ComsockSocketHook";
    static final String WRAP_DESC = "(Ljava/net/SocketImpl;Z)Ljava/net/SocketImpl;";
    static final String CHECK_DESC = "(Ljava/net/InetAddress;I)V";
    static final String SEND_DESC = "(Ljava/net/InetSocketAddress;)V";
    static final String DIRECT_DESC = "(Ljava/net/SocketImpl;Ljava/net/SocketAddress;I)Z";
    static final String PROXY_DESC = "(Ljava/net/URL;Ljava/net/Proxy;)Ljava/net/Proxy;";
    static final String SELECTOR_DESC = "(Ljava/net/ProxySelector;)Ljava/net/ProxySelector;";
    /** The hook class's fields, each a {@code public static volatile BiFunction}. */
    static final String[] FIELDS = {"wrapper", "guard", "direct", "proxies", "selectors"};

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
        Object[] values = {wrapper, guard, ProxyBypass.DIRECT, ProxyBypass.PROXIES, ProxyBypass.SELECTORS};
        try {
            // the guards first: the wrapper is what makes the patched JDK route at all
            for (int f = values.length - 1; f >= 0; f--) {
                // invokeExact at the setter's own type: no adapter to generate
                javaNet.findStaticSetter(hook, FIELDS[f], BiFunction.class).invokeExact((BiFunction<?, ?, ?>) values[f]);
            }
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
