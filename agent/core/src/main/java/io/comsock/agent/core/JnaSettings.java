package io.comsock.agent.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's JNA's own system properties. As the agent's class loader defines JNA's classes, it
 * sends their calls of {@code System.getProperty}, {@code System.setProperty},
 * {@code System.clearProperty} and {@code Boolean.getBoolean} here (same names, same types): JNA's
 * keys, {@code jna.*} and {@code jnidispatch.*}, live in this table, whatever the application sets
 * in the JVM's properties for its own JNA, and what JNA writes stays here; every other key is the
 * JVM's.
 */
public final class JnaSettings {
    private static final Map<String, String> OWN = new ConcurrentHashMap<>();

    private JnaSettings() {
    }

    private static boolean own(String key) {
        return key.startsWith("jna.") || key.startsWith("jnidispatch.");
    }

    /** Sets one of the agent's JNA settings; for the agent, before JNA loads. */
    static void set(String key, String value) {
        if (!own(key)) {
            throw new IllegalArgumentException(key + " is not a JNA setting (expected jna.* or jnidispatch.*)");
        }
        OWN.put(key, value);
    }

    public static String getProperty(String key) {
        return own(key) ? OWN.get(key) : System.getProperty(key);
    }

    public static String getProperty(String key, String def) {
        return own(key) ? OWN.getOrDefault(key, def) : System.getProperty(key, def);
    }

    public static String setProperty(String key, String value) {
        if (own(key)) {
            if (value == null) {
                throw new NullPointerException("value of " + key);
            }
            return OWN.put(key, value);
        }
        return System.setProperty(key, value);
    }

    public static String clearProperty(String key) {
        return own(key) ? OWN.remove(key) : System.clearProperty(key);
    }

    public static boolean getBoolean(String key) {
        return own(key) ? "true".equalsIgnoreCase(OWN.get(key)) : Boolean.getBoolean(key);
    }
}
