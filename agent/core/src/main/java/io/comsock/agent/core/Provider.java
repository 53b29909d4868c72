package io.comsock.agent.core;

import io.comsock.bridge.ComConfig;
import io.comsock.bridge.ComDomain;
import io.comsock.bridge.ComSocketImpl;
import io.comsock.bridge.DomainInUseException;
import io.comsock.bridge.kernel.KernelSocketImpl;
import io.comsock.bridge.kernel.KernelSupport;
import java.io.IOException;
import java.net.SocketImpl;

/** How routed sockets move their bytes: the transport behind the agent. */
abstract class Provider {
    abstract String name();

    /** This JVM's domain id. */
    abstract int domain();

    abstract SocketImpl newSocketImpl();

    /**
     * Opens the provider that {@code config.provider} names: {@code shm}, {@code kernel}, or
     * {@code auto} (the kernel module when it is loaded and this network namespace has a domain
     * id, the user-space transport otherwise).
     *
     * @throws ConfigException when it cannot serve this JVM (domain in use, no kernel module,
     *     a domain id that disagrees with the namespace's)
     */
    static Provider open(AgentConfig config) throws ConfigException {
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
                return Shm.open(config);
            }
            default:
                return Shm.open(config);
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
        SocketImpl newSocketImpl() {
            return new KernelSocketImpl(domain);
        }
    }

    /** The user-space transport over shared memory. */
    static final class Shm extends Provider {
        final ComDomain domain;

        private Shm(ComDomain domain) {
            this.domain = domain;
        }

        static Shm open(AgentConfig config) throws ConfigException {
            if (config.domain < 0) {
                throw AgentConfig.domainNotSet();
            }
            try {
                return new Shm(ComDomain.open(ComConfig.builder(config.domain).dir(config.dir).build()));
            } catch (DomainInUseException e) {
                throw new ConfigException(e.getMessage() + "; expected a domain id no live process owns");
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("dir=" + config.dir + ": cannot open the region of domain " + config.domain
                        + " (" + e + "); expected a writable directory");
            }
        }

        @Override
        String name() {
            return "shm";
        }

        @Override
        int domain() {
            return domain.id();
        }

        @Override
        SocketImpl newSocketImpl() {
            return new ComSocketImpl(domain);
        }
    }
}
