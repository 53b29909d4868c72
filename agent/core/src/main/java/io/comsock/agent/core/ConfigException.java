package io.comsock.agent.core;

/** A configuration error: its message is one line naming the key, the value and what is expected. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
