package io.comsock.agent.core;

import io.comsock.bridge.ComConfig;
import io.comsock.bridge.ComDomain;
import io.comsock.bridge.ComSocketImpl;
import io.comsock.bridge.DomainInUseException;
import io.comsock.bridge.kernel.KernelSocketImpl;
import io.comsock.bridge.kernel.KernelSupport;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketImpl;
import java.util.concurrent.CountDownLatch;

/** How routed sockets move their bytes: the transport behind the agent. */
abstract class Provider {
    abstract String name();

    /** This JVM's domain id. */
    abstract int domain();

    /**
     * A socket implementation of this transport, not created yet. Waits, the first time, until
     * {@link #start} has finished.
     *
     * @throws IOException when the transport could not start
     */
    abstract SocketImpl newSocketImpl() throws IOException;

    private final CountDownLatch started = new CountDownLatch(1);

    /**
     * Does what is left of opening the transport once the provider holds its domain; called once,
     * off the start-up path (a socket asked for meanwhile waits). Never throws: a failure is
     * reported by {@link #newSocketImpl}.
     */
    final void start() {
        try {
            open();
        } finally {
            started.countDown();
        }
    }

    /** What {@link #start} opens. */
    abstract void open();

    /** Gives up what {@link #claim} took, for an agent that did not start after all. */
    abstract void release();

    /** Waits until {@link #start} has finished (a few milliseconds at most: interrupts are kept for later). */
    final void awaitStarted() {
        awaitUninterruptibly(started);
    }

    /** Waits for {@code latch} to open; an interrupt meanwhile is kept for later. */
    static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (latch.getCount() > 0) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Takes the provider that {@code config.provider} names: {@code shm}, {@code kernel}, or
     * {@code auto} (the kernel module when it is loaded and this network namespace has a domain
     * id, the user-space transport otherwise). Whatever could make the configuration unusable is
     * found here; {@link #start} then opens the rest.
     *
     * @throws ConfigException when it cannot serve this JVM (domain in use, no kernel module,
     *     a domain id that disagrees with the namespace's)
     */
    static Provider claim(AgentConfig config) throws ConfigException {
        switch (config.provider) {
            case "kernel":
                return Kernel.open(config);
            case "auto": {
                String why = KernelSupport.whyUnavailable();
                if (why == null && KernelSupport.domainId() < 0) {
                    why = "the AF_COM module is loaded but this network namespace has no domain id (net.com.domain_id)";
                }
                if (why == null) {
                    Log.info("provider=auto chose kernel: the AF_COM module is loaded and this namespace is domain "
                            + KernelSupport.domainId());
                    return Kernel.open(config);
                }
                Log.info("provider=auto chose shm, the user-space transport: " + why);
                return Shm.claim(config);
            }
            default:
                return Shm.claim(config);
        }
    }

    /** The AF_COM kernel module; the domain id is the network namespace's. */
    static final class Kernel extends Provider {
        private final int domain;

        private Kernel(int domain) {
            this.domain = domain;
        }

        static Kernel open(AgentConfig config) throws ConfigException {
            String why = KernelSupport.whyUnavailable();
            if (why != null) {
                throw new ConfigException("provider=kernel cannot be used: " + why + " (expected the comsock module "
                        + "loaded, or provider=shm)");
            }
            int ns = KernelSupport.domainId();
            if (ns < 0) {
                throw new ConfigException("provider=kernel: this network namespace has no domain id (expected "
                        + "net.com.domain_id to be set, for example with sysctl -w net.com.domain_id=N)");
            }
            if (config.domain >= 0 && config.domain != ns) {
                throw new ConfigException("domain=" + config.domain + " disagrees with this network namespace's "
                        + "net.com.domain_id=" + ns + " (expected the same id, or no domain setting)");
            }
            return new Kernel(ns);
        }

        @Override
        String name() {
            return "kernel";
        }

        @Override
        int domain() {
            return domain;
        }

        @Override
        void open() {
            // nothing more: the kernel holds the rest
        }

        @Override
        void release() {
            // nothing was taken: the domain id is the namespace's
        }

        @Override
        SocketImpl newSocketImpl() {
            awaitStarted();
            return new KernelSocketImpl(domain);
        }
    }

    /**
     * The user-space transport over shared memory. The domain is claimed at once (its region is
     * published, so it is this JVM's); the region is mapped and the receive daemon started by
     * {@link #start}, which the first com-socket waits for.
     */
    static final class Shm extends Provider {
        private final ComDomain.Claim claim;
        private volatile ComDomain domain;
        private volatile IOException failure;

        private Shm(ComDomain.Claim claim) {
            this.claim = claim;
        }

        static Shm claim(AgentConfig config) throws ConfigException {
            if (config.domain < 0) {
                throw AgentConfig.domainNotSet();
            }
            try {
                return new Shm(ComDomain.claim(ComConfig.builder(config.domain).dir(config.dir).build()));
            } catch (DomainInUseException e) {
                throw new ConfigException(e.getMessage() + "; expected a domain id no live process owns");
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("dir=" + config.dir + ": cannot open the region of domain " + config.domain
                        + " (" + e + "); expected a writable directory");
            }
        }

        @Override
        void open() {
            // JNA loads beside the mapping of the region: a first connection waits for both
            Thread natives = new Thread(new Runnable() {
                @Override
                public void run() {
                    ComDomain.loadNatives();
                }
            }, "comsock-jna");
            natives.setDaemon(true);
            natives.start();
            try {
                domain = claim.open();
            } catch (IOException | RuntimeException | LinkageError e) {
                SocketException f = new SocketException("com-socket could not start domain " + claim.id() + ": " + e);
                f.initCause(e);
                failure = f;
                Log.error(f.getMessage() + "; every connection to a com address fails");
            }
        }

        @Override
        void release() {
            try {
                claim.close();
            } catch (IOException e) {
                Log.debug("releasing domain " + claim.id() + ": " + e);
            }
        }

        /** The running domain, once {@link #start} has opened it. */
        ComDomain running() throws IOException {
            ComDomain d = domain;
            if (d != null) {
                return d;
            }
            awaitStarted();
            d = domain;
            if (d == null) {
                IOException f = failure;
                SocketException e = new SocketException(f != null ? f.getMessage()
                        : "com-socket could not start domain " + claim.id() + " (see the error it printed)");
                e.initCause(f != null ? f.getCause() : null);
                throw e;
            }
            return d;
        }

        @Override
        String name() {
            return "shm";
        }

        @Override
        int domain() {
            return claim.id();
        }

        @Override
        SocketImpl newSocketImpl() throws IOException {
            return new ComSocketImpl(running());
        }
    }
}
