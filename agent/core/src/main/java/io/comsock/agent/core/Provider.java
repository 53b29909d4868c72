package io.comsock.agent.core;

import io.comsock.bridge.ComConfig;
import io.comsock.bridge.ComDomain;
import io.comsock.bridge.ComSocketImpl;
import io.comsock.bridge.DomainInUseException;
import java.io.IOException;
import java.net.SocketImpl;

/** How routed sockets move their bytes: the transport behind the agent. */
abstract class Provider {
    abstract String name();

    abstract SocketImpl newSocketImpl();

    /**
     * Opens the provider that {@code config.provider} names.
     *
     * @throws ConfigException when it cannot serve this JVM (domain in use, no kernel module)
     */
    static Provider open(AgentConfig config) throws ConfigException {
        switch (config.provider) {
            case "kernel":
                throw new ConfigException("provider=kernel is not available: this build of the agent has no "
                        + "binding to the AF_COM kernel module yet (expected provider=shm or auto)");
            case "auto":
                Log.info("provider=auto chose shm: the user-space transport (this build has no kernel provider)");
                return Shm.open(config);
            default:
                return Shm.open(config);
        }
    }

    /** The user-space transport over shared memory. */
    static final class Shm extends Provider {
        final ComDomain domain;

        private Shm(ComDomain domain) {
            this.domain = domain;
        }

        static Shm open(AgentConfig config) throws ConfigException {
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
        SocketImpl newSocketImpl() {
            return new ComSocketImpl(domain);
        }
    }
}
