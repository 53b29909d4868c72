package io.comsock.agent.apps;

import java.lang.reflect.Method;
import java.net.Socket;

/**
 * On Java 21+, blocks a virtual thread in a socket read (args: host port) or in an accept (args:
 * accept bind-host port), interrupts it, and prints what the call threw and whether the socket is
 * closed.
 */
public final class VirtualReader {
    public static void main(String[] args) throws Exception {
        Method ofVirtual;
        try {
            ofVirtual = Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException java17) {
            System.out.println("SKIPPED no virtual threads before Java 21");
            return;
        }
        boolean accept = args[0].equals("accept");
        java.io.Closeable s = accept ? new java.net.ServerSocket(Integer.parseInt(args[2]), 50,
                java.net.InetAddress.getByName(args[1])) : new Socket(args[0], Integer.parseInt(args[1]));
        String[] outcome = new String[1];
        Object builder = ofVirtual.invoke(null);
        Thread t = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, (Runnable) () -> {
                    try {
                        if (accept) {
                            ((java.net.ServerSocket) s).accept();
                        } else {
                            ((Socket) s).getInputStream().read();
                        }
                        outcome[0] = "returned";
                    } catch (Exception e) {
                        outcome[0] = e.getClass().getName() + ": " + e.getMessage();
                    }
                });
        t.start();
        // until the read parks (or ends early, which the outcome then shows), 20 s at most
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (Thread.State st; (st = t.getState()) != Thread.State.WAITING && st != Thread.State.TIMED_WAITING
                && st != Thread.State.TERMINATED && System.nanoTime() < deadline; ) {
            Thread.sleep(1);
        }
        t.interrupt();
        t.join(10_000);
        System.out.println("OUTCOME " + outcome[0]);
        System.out.println("CLOSED " + (accept ? ((java.net.ServerSocket) s).isClosed() : ((Socket) s).isClosed()));
    }
}
