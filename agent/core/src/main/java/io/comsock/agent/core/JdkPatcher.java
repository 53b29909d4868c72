package io.comsock.agent.core;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * Patches three JDK methods, each to call the hook class (see {@link SocketHook}):
 * <ul>
 * <li>{@code java.net.SocketImpl.createPlatformSocketImpl(boolean)}, the single point where
 * {@code Socket}, {@code ServerSocket} and the platform {@code accept} obtain their
 * implementation: each return passes the new implementation through {@code wrap(impl, server)}.
 * Patching the return value (rather than installing a socket factory) keeps SOCKS and HTTP
 * proxies working and leaves the factory slots to the application.</li>
 * <li>{@code sun.nio.ch.Net.connect(ProtocolFamily, FileDescriptor, InetAddress, int)}, through
 * which every connect of the JDK reaches the system call (sockets, {@code SocketChannel},
 * {@code AsynchronousSocketChannel}, and the connect of a {@code DatagramChannel} or
 * {@code DatagramSocket}): at its entry, {@code checkConnect(address, port)}.</li>
 * <li>{@code sun.nio.ch.DatagramChannelImpl.send(FileDescriptor, ByteBuffer, InetSocketAddress)},
 * through which every datagram sent to an explicit address goes (from a {@code DatagramChannel}
 * or a {@code DatagramSocket}): at its entry, {@code checkSend(target)}.</li>
 * </ul>
 * The two checks refuse com addresses. Routed sockets never get there with one; what the agent
 * does not route (NIO channels, datagrams) would, and so fails closed instead of leaving the
 * machine. The transformer is removed again at once, so no other class load pays for it. The
 * methods are short, and {@link ClassFiles} patches them directly on the bytes; any other shape
 * goes through Byte Buddy's bundled ASM. A full {@code AgentBuilder} costs about a second of
 * start-up.
 */
final class JdkPatcher {
    static final String CONNECT_DESC = "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I";
    static final String SEND_DESC = "(Ljava/io/FileDescriptor;Ljava/nio/ByteBuffer;Ljava/net/InetSocketAddress;)I";

    /** One method to patch. */
    static final class Target {
        final String owner;
        final String method;
        final String desc;
        final ClassFiles.Site site;

        Target(String owner, String method, String desc, ClassFiles.Site site) {
            this.owner = owner;
            this.method = method;
            this.desc = desc;
            this.site = site;
        }

        @Override
        public String toString() {
            return owner.replace('/', '.') + "." + method + desc;
        }
    }

    static final Target SOCKET_IMPL = new Target("java/net/SocketImpl", "createPlatformSocketImpl",
            "(Z)Ljava/net/SocketImpl;", ClassFiles.Site.WRAP_RETURNS);
    static final Target NET_CONNECT = new Target("sun/nio/ch/Net", "connect", CONNECT_DESC, ClassFiles.Site.CHECK_CONNECT);
    static final Target DATAGRAM_SEND = new Target("sun/nio/ch/DatagramChannelImpl", "send", SEND_DESC,
            ClassFiles.Site.CHECK_SEND);
    static final Target[] TARGETS = {SOCKET_IMPL, NET_CONNECT, DATAGRAM_SEND};

    private JdkPatcher() {
    }

    static void patch(Instrumentation inst) throws Exception {
        Class<?>[] classes = new Class<?>[TARGETS.length];
        for (int i = 0; i < TARGETS.length; i++) {
            classes[i] = Class.forName(TARGETS[i].owner.replace('/', '.'), false, null);
        }
        Throwable[] failure = new Throwable[1];
        boolean[] patched = new boolean[TARGETS.length];
        ClassFileTransformer t = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                    ProtectionDomain pd, byte[] bytes) {
                for (int i = 0; i < TARGETS.length; i++) {
                    if (TARGETS[i].owner.equals(name)) {
                        try {
                            boolean[] done = new boolean[1];
                            byte[] out = rewrite(bytes, TARGETS[i], done);
                            patched[i] = done[0];
                            return done[0] ? out : null;
                        } catch (Throwable e) {
                            failure[0] = e;
                            return null;
                        }
                    }
                }
                return null;
            }
        };
        inst.addTransformer(t, true);
        try {
            inst.retransformClasses(classes);
        } finally {
            inst.removeTransformer(t);
        }
        if (failure[0] != null) {
            throw new IllegalStateException("patching the JDK's socket classes failed", failure[0]);
        }
        for (int i = 0; i < TARGETS.length; i++) {
            if (!patched[i]) {
                throw new IllegalStateException("Java " + System.getProperty("java.version") + " has no " + TARGETS[i]
                        + " to patch");
            }
        }
    }

    /** {@code bytes} with {@code target} patched: directly if its shape allows, else with ASM. */
    static byte[] rewrite(byte[] bytes, Target target, boolean[] patched) {
        byte[] direct = ClassFiles.patch(bytes, target.method, target.desc, target.site);
        if (direct != null) {
            patched[0] = true;
            return direct;
        }
        Log.debug(target + ": patched with ASM, a shape the direct patch does not handle");
        return AsmPatch.rewrite(bytes, target, patched);
    }
}
