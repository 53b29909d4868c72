package io.comsock.agent.apps;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/** Makes one echo exchange, then prints the agent's JMX counters. Args: host port. */
public final class JmxProbe {
    public static void main(String[] args) throws Exception {
        EchoClient.main(new String[] {args[0], args[1], "jmx"});
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.comsock:type=Agent");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!server.isRegistered(name) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        for (String a : new String[] {"ConnectionsRouted", "ConnectionsLeftOnTcp", "BytesSent", "BytesReceived", "Domain"}) {
            System.out.println("JMX " + a + "=" + server.getAttribute(name, a));
        }
    }
}
