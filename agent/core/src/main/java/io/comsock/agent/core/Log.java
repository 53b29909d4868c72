package io.comsock.agent.core;

/** The agent's log: one line per event on standard error, prefixed {@code comsock: }. */
public final class Log {
    /** How much to say. */
    public enum Level { OFF, INFO, DEBUG }

    private static volatile Level level = Level.OFF;

    private Log() {
    }

    static void setLevel(Level l) {
        level = l;
    }

    static boolean info() {
        return level != Level.OFF;
    }

    static boolean debug() {
        return level == Level.DEBUG;
    }

    static void info(String message) {
        if (level != Level.OFF) {
            System.err.println("comsock: " + message);
        }
    }

    static void debug(String message) {
        if (level == Level.DEBUG) {
            System.err.println("comsock: " + message);
        }
    }

    /** Always printed: errors the user must see. */
    static void error(String message) {
        System.err.println("comsock: " + message);
    }
}
