package io.comsock.agent.core;

import io.comsock.bridge.ComAddress;
import java.lang.instrument.Instrumentation;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import javax.management.ObjectName;

/**
 * The running agent: its configuration, its transport, its counters. Started once per JVM by the
 * launcher (from {@code premain} or {@code agentmain}), inside the agent's own class loader.
 */
public final class AgentRuntime {
    private static volatile AgentRuntime current;

    final AgentConfig config;
    final Provider provider;
    final Stats stats;
    /** This domain's address, made at first use (InetAddress is not needed before that). */
    private volatile InetAddress domainAddress;

    private AgentRuntime(AgentConfig config, Provider provider) {
        this.config = config;
        this.provider = provider;
        this.stats = new Stats(provider.domain(), provider.name());
    }

    static AgentRuntime current() {
        return current;
    }

    InetAddress domainAddress() {
        InetAddress a = domainAddress;
        if (a == null) {
            a = ComAddress.addressOf(provider.domain());
            domainAddress = a;
        }
        return a;
    }

    /**
     * Starts the agent. Idempotent: a second start (say, a second attach) only says so.
     *
     * @throws ConfigException for a configuration that cannot run. From {@code premain} the JVM
     *     then stops. From an attach, the JDK may already be patched (the transport opens beside
     *     the patching), but inertly: every socket stays the JDK's own, and only a connect of a
     *     NIO channel or a datagram to a com address is refused, as with the agent running
     */
    public static synchronized void start(String agentArgs, Instrumentation inst, boolean attached) throws Exception {
        long t0 = System.nanoTime();
        Map<String, String> props = new HashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("comsock.")) {
                props.put(name, System.getProperty(name));
            }
        }
        AgentConfig config = AgentConfig.load(agentArgs, props, System.getenv());
        Log.setLevel(config.log);
        if (!config.enabled) {
            Log.info("disabled (enabled=false): every socket stays on TCP");
            return;
        }
        if (current != null) {
            Log.info("already running as domain " + current.provider.domain() + "; arguments '" + agentArgs + "' ignored");
            return;
        }
        long t1 = System.nanoTime();
        // the domain is claimed on a second thread while this one patches the JDK: the two are
        // independent, and start-up is what the application waits for. Only the claim is waited
        // for (it is what can fail as configuration); once this start is over, the same thread
        // maps the region and starts the daemon while JNA loads on a third, as the application
        // starts. A routed socket waits for the transport the first time.
        Opener opener = new Opener(config, PrivateJna.prepare());
        Thread open = new Thread(opener, "comsock-start");
        open.setDaemon(true);
        Wrapper wrapper = new Wrapper();
        ConnectGuard guard = new ConnectGuard();
        long t2;
        long t3;
        Provider provider;
        try {
            open.start();
            SocketHook.install(wrapper, guard);
            t2 = System.nanoTime();
            JdkPatcher.patch(inst);
            t3 = System.nanoTime();
            provider = opener.awaitClaim();
        } catch (Exception | Error e) {
            opener.abandon(); // the domain is given up again
            throw e;
        }
        long t4 = System.nanoTime();
        AgentRuntime rt = new AgentRuntime(config, provider);
        current = rt;
        guard.rt = rt;
        wrapper.rt = rt;
        opener.proceed(rt.stats);
        if (Log.debug()) {
            // (formatting loads the locale machinery: only when asked for)
            Log.debug(String.format(java.util.Locale.ROOT, "start-up: configuration %.1f ms, hook %.1f ms, patch %.1f ms,"
                    + " then waited %.1f ms for the domain (claimed in %.1f ms beside them)", (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                    (t3 - t2) / 1e6, (t4 - t3) / 1e6, opener.nanos / 1e6));
        }
        if (Log.info()) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Log.info("domain " + provider.domain() + " (" + rt.domainAddress().getHostAddress() + ") on provider "
                    + provider.name() + (attached ? ", attached to a running JVM" : "") + "; started in " + ms + " ms"
                    + "; settings " + config.sources);
        }
    }

    /**
     * What the hook calls for each new JDK socket implementation (a class, not a lambda: the first
     * lambda of a JVM costs an invokedynamic bootstrap). Until the runtime is set, sockets are
     * the JDK's own.
     */
    private static final class Wrapper implements java.util.function.BiFunction<java.net.SocketImpl, Boolean, java.net.SocketImpl> {
        volatile AgentRuntime rt;

        @Override
        public java.net.SocketImpl apply(java.net.SocketImpl platform, Boolean server) {
            AgentRuntime r = rt;
            return r == null ? platform : new RoutingSocketImpl(r, platform, server);
        }
    }

    /**
     * What the hook calls at every connect of the JDK and every datagram sent to an address, just
     * before the system call: a com address never gets there from a routed socket, so one that
     * does comes from a NIO channel, a datagram (or a socket made before the agent was ready),
     * which com-socket does not serve. It fails
     * closed with {@code NoRouteToHostException}, thrown through the JDK's {@code throws
     * IOException} although {@code apply} does not declare it.
     */
    private static final class ConnectGuard implements java.util.function.BiFunction<InetAddress, Integer, Object> {
        volatile AgentRuntime rt;

        @Override
        public Object apply(InetAddress remote, Integer port) {
            if (remote != null && ComAddress.isComNetwork(remote)) {
                AgentRuntime r = rt;
                if (r != null) {
                    r.stats.errors.increment();
                }
                String what = "connect to " + remote.getHostAddress() + ":" + port;
                Log.debug(what + ": refused, not sent to the network (a NIO channel or a datagram: not routed)");
                throw ConnectGuard.<RuntimeException>undeclared(new java.net.NoRouteToHostException("No route to host: "
                        + remote.getHostAddress() + " is on com-socket's network, which the agent serves to"
                        + " java.net.Socket only; NIO channels and datagrams cannot reach it (and never go to the network)"));
            }
            return null;
        }

        @SuppressWarnings("unchecked")
        private static <T extends Throwable> T undeclared(Throwable t) throws T {
            throw (T) t;
        }
    }

    /**
     * Claims the domain on its own thread, then (once the agent's start is over) readies JNA,
     * opens the rest of the transport, and registers the MXBean.
     */
    private static final class Opener implements Runnable {
        private final AgentConfig config;
        private final java.nio.file.Path unpack;
        private final java.util.concurrent.CountDownLatch claimed = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        private volatile boolean abandoned;
        private volatile Stats stats;
        private volatile Provider provider;
        private volatile Exception failure;
        volatile long nanos;

        Opener(AgentConfig config, java.nio.file.Path unpack) {
            this.config = config;
            this.unpack = unpack;
        }

        @Override
        public void run() {
            long t = System.nanoTime();
            Provider p;
            try {
                p = Provider.claim(config);
                provider = p;
            } catch (ConfigException | RuntimeException e) {
                failure = e;
                return;
            } finally {
                nanos = System.nanoTime() - t;
                claimed.countDown();
            }
            // the rest waits until the agent's start is over, so as not to compete with it (and
            // waits whatever happens: the first routed socket waits for what comes after)
            Provider.awaitUninterruptibly(go);
            if (abandoned) {
                p.release();
                return;
            }
            // what must precede the transport's native code, then the transport
            try {
                PrivateJna.finish(unpack);
            } catch (RuntimeException | LinkageError e) {
                Log.error("preparing JNA failed (" + e + "); the transport opens without it");
            }
            p.start();
            registerMBean(stats, t);
        }

        /** The agent did not start: the claimed domain is released, nothing more opens. */
        void abandon() {
            abandoned = true;
            go.countDown();
        }

        /** Lets the rest of the transport open, once the agent's start is over; then the MXBean. */
        void proceed(Stats counters) {
            stats = counters;
            go.countDown();
        }

        /** The provider once claimed; a failure to claim is thrown. */
        Provider awaitClaim() throws Exception {
            claimed.await();
            if (failure != null) {
                throw failure;
            }
            return provider;
        }
    }

    /**
     * Registers the MXBean (creating the platform MBean server loads and generates hundreds of
     * classes): at the first connection routed, or a second after start-up, whichever comes
     * first. Later than that it would land in the middle of the application's work (a benchmark's
     * transfers, say); the first connection pays for it instead, once.
     */
    private static void registerMBean(Stats stats, long startedAt) {
        try {
            long wait = startedAt + 1_000_000_000L - System.nanoTime();
            if (wait > 0) {
                stats.firstRouted.await(wait, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            ManagementFactory.getPlatformMBeanServer().registerMBean(stats, new ObjectName("io.comsock:type=Agent"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | LinkageError e) {
            Log.info("the JMX counters are not available: " + e);
        }
    }
}
