package io.comsock.bridge;

import java.net.BindException;

/** The domain id asked for is owned by a live process. */
public final class DomainInUseException extends BindException {
    private static final long serialVersionUID = 1L;

    public DomainInUseException(String message) {
        super(message);
    }
}
