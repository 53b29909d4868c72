package io.comsock.agent.core;

/** The agent's counters over JMX, as {@code io.comsock:type=Agent}. */
public interface ComsockAgentMXBean {
    /** Connections made or accepted over com-socket. */
    long getConnectionsRouted();

    /** Connections made or accepted over TCP, untouched. */
    long getConnectionsLeftOnTcp();

    /** Connections to com addresses sent over TCP to another host by a {@code map} rule. */
    long getConnectionsMapped();

    /** Bytes written to com-socket connections. */
    long getBytesSent();

    /** Bytes read from com-socket connections. */
    long getBytesReceived();

    /** Connects to com addresses that failed (refused, no route, denied by the rules). */
    long getErrors();

    /** This JVM's domain id. */
    int getDomain();

    /** The transport in use: shm or kernel. */
    String getProvider();
}
