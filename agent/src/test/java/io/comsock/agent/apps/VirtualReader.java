package io.comsock.agent.apps;

import java.lang.reflect.Method;
import java.net.Socket;

/**
 * On Java 21+, blocks a virtual thread in a socket read, interrupts it, and prints what the read
 * threw and whether the socket is closed. Args: host port.
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
        Socket s = new Socket(args[0], Integer.parseInt(args[1]));
        String[] outcome = new String[1];
        Object builder = ofVirtual.invoke(null);
        Thread t = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, (Runnable) () -> {
                    try {
                        s.getInputStream().read();
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
        System.out.println("CLOSED " + s.isClosed());
    }
}
