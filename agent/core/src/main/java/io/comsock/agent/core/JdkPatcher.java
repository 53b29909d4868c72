package io.comsock.agent.core;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * Patches JDK methods, each to call the hook class (see {@link SocketHook}):
 * <ul>
 * <li>{@code java.net.SocketImpl.createPlatformSocketImpl(boolean)}, the single point where
 * {@code Socket}, {@code ServerSocket} and the platform {@code accept} obtain their
 * implementation: each return passes the new implementation through {@code wrap(impl, server)}.
 * Patching the return value (rather than installing a socket factory) leaves the factory slots
 * to the application.</li>
 * <li>{@code sun.nio.ch.Net.connect(ProtocolFamily, FileDescriptor, InetAddress, int)}, through
 * which every connect of the JDK reaches the system call (sockets, {@code SocketChannel},
 * {@code AsynchronousSocketChannel}, and the connect of a {@code DatagramChannel} or
 * {@code DatagramSocket}): at its entry, {@code checkConnect(address, port)}.</li>
 * <li>{@code sun.nio.ch.DatagramChannelImpl.send(FileDescriptor, ByteBuffer, InetSocketAddress)},
 * through which every datagram sent to an explicit address goes (from a {@code DatagramChannel}
 * or a {@code DatagramSocket}): at its entry, {@code checkSend(target)}.</li>
 * <li>Where a proxy would carry a connection (see {@link ProxyBypass}): the entry of
 * {@code connect(SocketAddress, int)} of {@code java.net.SocksSocketImpl} and
 * {@code java.net.HttpConnectSocketImpl} ({@code connectDirect}, which returns from it once a com
 * endpoint is connected directly); the entry of the two factories where
 * {@code HttpURLConnection} makes its client, {@code sun.net.www.http.HttpClient.New} and
 * {@code sun.net.www.protocol.https.HttpsClient.New} ({@code proxyFor}, which replaces their
 * proxy argument); the return of {@code ProxySelector.getDefault()} and the entry of
 * {@code java.net.http}'s {@code HttpClientBuilderImpl.proxy(ProxySelector)} ({@code selector},
 * which wraps the selector). The last is skipped when the module {@code java.net.http} is not in
 * the boot layer: then nothing can use it.</li>
 * </ul>
 * The two checks refuse com addresses. Routed sockets never get there with one; what the agent
 * does not route (NIO channels, datagrams) would, and so fails closed instead of leaving the
 * machine. Classes already loaded are patched at start-up, the others as they load: the
 * transformer stays, and looks at nothing but these names. The
 * methods are patched directly on the bytes by {@link ClassFiles}; any other shape goes through
 * Byte Buddy's bundled ASM. A full {@code AgentBuilder} costs about a second of start-up.
 */
final class JdkPatcher {
    static final String CONNECT_DESC = "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I";
    static final String SEND_DESC = "(Ljava/io/FileDescriptor;Ljava/nio/ByteBuffer;Ljava/net/InetSocketAddress;)I";
    static final String PROXIED_CONNECT_DESC = "(Ljava/net/SocketAddress;I)V";

    /** One method to patch, in a class of {@code java.base} or of another module of the boot layer. */
    static final class Target {
        final String owner;
        final String method;
        final String desc;
        final ClassFiles.Site site;
        /** The module, if not {@code java.base}. */
        final String module;

        Target(String owner, String method, String desc, ClassFiles.Site site) {
            this(owner, method, desc, site, null);
        }

        Target(String owner, String method, String desc, ClassFiles.Site site, String module) {
            this.owner = owner;
            this.method = method;
            this.desc = desc;
            this.site = site;
            this.module = module;
        }

        /** The class, not initialised; null if its module is not in the boot layer. */
        Class<?> load() throws ClassNotFoundException {
            ClassLoader loader = null;
            if (module != null) {
                java.util.Optional<Module> m = ModuleLayer.boot().findModule(module);
                if (m.isEmpty()) {
                    return null;
                }
                loader = m.get().getClassLoader();
            }
            return Class.forName(owner.replace('/', '.'), false, loader);
        }

        /** Its module, or null if that is not in the boot layer. */
        Module module() {
            return module == null ? Object.class.getModule() : ModuleLayer.boot().findModule(module).orElse(null);
        }

        /** Whether a class being loaded or redefined is this one (not a namesake of another loader). */
        boolean is(String name, Module m) {
            return owner.equals(name) && m != null && m == module();
        }

        /** Its class file, read from the runtime image; no class is loaded for it. */
        byte[] classFile() throws java.io.IOException {
            Module m = module();
            try (java.io.InputStream in = m == null ? null : m.getResourceAsStream(owner + ".class")) {
                return in == null ? null : in.readAllBytes();
            }
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
    static final Target SOCKS_CONNECT = new Target("java/net/SocksSocketImpl", "connect", PROXIED_CONNECT_DESC,
            ClassFiles.Site.CONNECT_DIRECT);
    static final Target TUNNEL_CONNECT = new Target("java/net/HttpConnectSocketImpl", "connect", PROXIED_CONNECT_DESC,
            ClassFiles.Site.CONNECT_DIRECT);
    static final Target HTTP_CLIENT = new Target("sun/net/www/http/HttpClient", "New",
            "(Ljava/net/URL;Ljava/net/Proxy;IZLsun/net/www/protocol/http/HttpURLConnection;)Lsun/net/www/http/HttpClient;",
            ClassFiles.Site.proxyArgument(0, 1));
    static final Target HTTPS_CLIENT = new Target("sun/net/www/protocol/https/HttpsClient", "New",
            "(Ljavax/net/ssl/SSLSocketFactory;Ljava/net/URL;Ljavax/net/ssl/HostnameVerifier;Ljava/net/Proxy;ZI"
            + "Lsun/net/www/protocol/http/HttpURLConnection;)Lsun/net/www/http/HttpClient;",
            ClassFiles.Site.proxyArgument(1, 3));
    static final Target DEFAULT_SELECTOR = new Target("java/net/ProxySelector", "getDefault",
            "()Ljava/net/ProxySelector;", ClassFiles.Site.SELECTOR_RETURNS);
    static final Target HTTP_CLIENT_SELECTOR = new Target("jdk/internal/net/http/HttpClientBuilderImpl", "proxy",
            "(Ljava/net/ProxySelector;)Ljdk/internal/net/http/HttpClientBuilderImpl;", ClassFiles.Site.SELECTOR_ARGUMENT,
            "java.net.http");
    static final Target[] TARGETS = {SOCKET_IMPL, NET_CONNECT, DATAGRAM_SEND, SOCKS_CONNECT, TUNNEL_CONNECT,
        HTTP_CLIENT, HTTPS_CLIENT, DEFAULT_SELECTOR, HTTP_CLIENT_SELECTOR};

    private JdkPatcher() {
    }

    /**
     * Patches the targets: those already loaded at once, the others as they load (most of them,
     * the proxy classes, may never be). Each target's class file is first read from the runtime
     * image and patched on the side, so that a JDK that lacks one stops the agent now, not later
     * when it would leave a path unguarded.
     */
    static void patch(Instrumentation inst) throws Exception {
        boolean[] present = new boolean[TARGETS.length];
        // the check is done once per runtime image and agent version: a file in the agent's
        // private directory remembers that it passed
        java.nio.file.Path checked = checkedMarker();
        boolean known = checked != null && java.nio.file.Files.exists(checked);
        for (int i = 0; i < TARGETS.length; i++) {
            Target target = TARGETS[i];
            if (target.module() == null) {
                continue; // nothing to patch: its module is not there
            }
            if (!known) {
                byte[] bytes = target.classFile();
                boolean[] done = new boolean[1];
                if (bytes != null) {
                    rewrite(bytes, target, done);
                }
                if (!done[0]) {
                    throw new IllegalStateException("Java " + System.getProperty("java.version") + " has no " + target
                            + " to patch");
                }
            }
            present[i] = true;
        }
        if (!known && checked != null) {
            try {
                java.nio.file.Files.write(checked, new byte[0]);
            } catch (java.io.IOException | RuntimeException e) {
                // checked again next time
            }
        }
        Throwable[] failure = new Throwable[1];
        ClassFileTransformer t = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                    ProtectionDomain pd, byte[] bytes) {
                for (int i = 0; i < TARGETS.length; i++) {
                    if (present[i] && TARGETS[i].is(name, module)) {
                        try {
                            boolean[] done = new boolean[1];
                            byte[] out = rewrite(bytes, TARGETS[i], done);
                            if (done[0]) {
                                return out;
                            }
                            failure[0] = new IllegalStateException(TARGETS[i] + " is not there");
                        } catch (Throwable e) {
                            failure[0] = e;
                        }
                        Log.error("could not patch " + TARGETS[i] + ": " + failure[0]);
                        return null;
                    }
                }
                return null;
            }
        };
        // stays: what loads later is patched as it loads
        inst.addTransformer(t, true);
        java.util.Map<String, Target> byName = new java.util.HashMap<>();
        for (int i = 0; i < TARGETS.length; i++) {
            if (present[i]) {
                byName.put(TARGETS[i].owner.replace('/', '.'), TARGETS[i]);
            }
        }
        java.util.List<Class<?>> loaded = new java.util.ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            Target target = byName.get(c.getName());
            if (target != null && target.module() == c.getModule()) {
                loaded.add(c);
            }
        }
        if (!loaded.isEmpty()) {
            inst.retransformClasses(loaded.toArray(new Class<?>[0]));
        }
        if (failure[0] != null) {
            throw new IllegalStateException("patching the JDK's socket classes failed", failure[0]);
        }
    }

    /**
     * The file that says the targets were found patchable in this runtime image by this version
     * of the agent: named after the image (its home, version, and the size and time of its
     * modules file) and the agent's own jar; null where there is no private directory.
     */
    private static java.nio.file.Path checkedMarker() {
        java.nio.file.Path dir = PrivateJna.privateDir();
        if (dir == null) {
            return null;
        }
        try {
            String home = System.getProperty("java.home");
            java.nio.file.Path modules = java.nio.file.Paths.get(home, "lib", "modules");
            String key = home + "|" + System.getProperty("java.runtime.version") + "|" + java.nio.file.Files.size(modules)
                    + "|" + java.nio.file.Files.getLastModifiedTime(modules).toMillis() + "|"
                    + PrivateJna.agentJar();
            return dir.resolve("patchable-" + Integer.toHexString(key.hashCode()) + "-" + Integer.toHexString(key.length()));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
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
