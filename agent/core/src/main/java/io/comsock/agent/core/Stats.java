package io.comsock.agent.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/** The agent's counters, published as the MXBean {@code io.comsock:type=Agent}. */
final class Stats implements ComsockAgentMXBean {
    final LongAdder routed = new LongAdder();
    final LongAdder leftOnTcp = new LongAdder();
    final LongAdder mapped = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder errors = new LongAdder();
    /** Opens at the first connection routed: the MXBean is registered then, if not before. */
    final CountDownLatch firstRouted = new CountDownLatch(1);
    private final int domain;
    private final String provider;

    Stats(int domain, String provider) {
        this.domain = domain;
        this.provider = provider;
    }

    /** Counts a connection routed to com-socket. */
    void routedOne() {
        routed.increment();
        if (firstRouted.getCount() > 0) {
            firstRouted.countDown();
        }
    }

    @Override
    public long getConnectionsRouted() {
        return routed.sum();
    }

    @Override
    public long getConnectionsLeftOnTcp() {
        return leftOnTcp.sum();
    }

    @Override
    public long getConnectionsMapped() {
        return mapped.sum();
    }

    @Override
    public long getBytesSent() {
        return bytesOut.sum();
    }

    @Override
    public long getBytesReceived() {
        return bytesIn.sum();
    }

    @Override
    public long getErrors() {
        return errors.sum();
    }

    @Override
    public int getDomain() {
        return domain;
    }

    @Override
    public String getProvider() {
        return provider;
    }
}
