package io.comsock.agent.core;

import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What the launcher calls, handed over without reflection: initialising this class passes an
 * instance to the class loader, which the launcher's loader accepts (see the launcher's
 * {@code CoreLoader}). Commands are arrays:
 *
 * <pre>
 * {"start", agentArgs, instrumentation, attached}  returns null, or the one line why it cannot run
 * {"status", args, out}                            returns the exit code
 * </pre>
 */
public final class Entry implements Function<Object[], Object> {
    static {
        ClassLoader loader = Entry.class.getClassLoader();
        if (loader instanceof Consumer) {
            @SuppressWarnings("unchecked")
            Consumer<Object> mailbox = (Consumer<Object>) loader;
            mailbox.accept(new Entry());
        }
    }

    private Entry() {
    }

    @Override
    public Object apply(Object[] command) {
        String name = (String) command[0];
        if (name.equals("start")) {
            try {
                AgentRuntime.start((String) command[1], (Instrumentation) command[2], (Boolean) command[3]);
                return null;
            } catch (ConfigException e) {
                return e.getMessage();
            } catch (Exception | LinkageError e) {
                return "the agent could not start: " + e;
            }
        }
        if (name.equals("status")) {
            try {
                return StatusCommand.run((String[]) command[1], (PrintStream) command[2]);
            } catch (java.io.IOException e) {
                ((PrintStream) command[2]).println("comsock: status: " + e.getMessage());
                return 1;
            }
        }
        throw new IllegalArgumentException("unknown command " + name);
    }
}
