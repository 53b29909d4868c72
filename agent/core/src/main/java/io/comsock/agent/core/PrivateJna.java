package io.comsock.agent.core;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * Loads the agent's own JNA with settings of its own, whatever the application's {@code jna.*}
 * system properties say.
 *
 * <p>The agent's JNA classes are the agent's alone (its class loader reads them from its own
 * jar), but JNA takes the place of its native stub from JVM-wide properties: an application that
 * points {@code jna.boot.library.path} at its own JNA's stub, or leaves the system's stub to be
 * found, would have the agent load that one: a version that does not match the agent's JNA, and a
 * library that the application's JNA then cannot load a second time. So the stub is loaded once,
 * during start-up and before the application's {@code main}, from the agent's own jar, unpacked
 * (once per agent version) into the agent's private directory; the properties are set for that
 * moment only and then put back exactly as they were.
 */
final class PrivateJna {
    /** Every property JNA reads or writes while it loads its stub. */
    private static final String[] KEYS = {"jna.boot.library.path", "jna.boot.library.name", "jna.nosys",
        "jna.noclasspath", "jna.nounpack", "jna.tmpdir", "jnidispatch.path", "jnidispatch.preserve",
        "jna.debug_load", "jna.debug_load.jna"};

    private final String[] saved = new String[KEYS.length];
    private final Thread loader;
    private volatile Throwable failure;

    /**
     * Sets the properties for the agent's JNA and starts loading its stub on a thread of its own
     * ({@code before} runs there first). Whichever thread then initialises JNA first, this one or
     * the transport's, does so under these properties; {@link #finish} puts them back.
     */
    private PrivateJna(Runnable before) {
        for (int i = 0; i < KEYS.length; i++) {
            saved[i] = System.getProperty(KEYS[i]);
            System.clearProperty(KEYS[i]);
        }
        System.setProperty("jna.nosys", "true");
        Path dir = privateDir();
        Path stub = null;
        if (dir != null) {
            System.setProperty("jna.tmpdir", dir.toString());
            // the stub, unpacked once per agent version beside the agent's jar, so that a start
            // neither inflates nor writes it (nor seeds the random names of temporary files)
            Path jar = jarPath();
            stub = jar == null ? null : dir.resolve("jna-" + jar.getFileName()).resolve(System.mapLibraryName("jnidispatch"));
            if (stub != null && Files.isRegularFile(stub)) {
                System.setProperty("jna.boot.library.path", stub.getParent().toString());
                stub = null;
            }
        }
        Path unpack = stub;
        loader = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    before.run();
                    if (unpack != null) {
                        unpack(unpack);
                    }
                    // reading a value JNA computes at class initialisation loads the stub
                    if (Native.POINTER_SIZE <= 0) {
                        failure = new IllegalStateException("JNA reports no pointer size");
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }
        }, "comsock-jna");
        loader.setDaemon(true);
        loader.start();
    }

    static PrivateJna begin(Runnable before) {
        return new PrivateJna(before);
    }

    /**
     * Waits for the stub to be loaded, then restores the properties exactly as they were.
     * Returns null, or why JNA could not load (the transport then does without).
     */
    Throwable finish() throws InterruptedException {
        try {
            loader.join();
        } finally {
            for (int i = 0; i < KEYS.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(KEYS[i]);
                } else {
                    System.setProperty(KEYS[i], saved[i]);
                }
            }
        }
        return failure;
    }

    /** The directory of the agent's own jar (private to its user), or null where there is none. */
    static Path privateDir() {
        Path jar = jarPath();
        return jar == null ? null : jar.getParent();
    }

    private static Path jarPath() {
        try {
            return Paths.get(PrivateJna.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception | LinkageError e) {
            return null;
        }
    }

    /** Writes JNA's stub for this platform from the agent's jar to {@code stub}, and points JNA at it. */
    private static void unpack(Path stub) {
        String resource = "com/sun/jna/" + Platform.RESOURCE_PREFIX + "/" + stub.getFileName();
        try (InputStream in = PrivateJna.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return; // JNA then looks for it itself, and says what is missing
            }
            Files.createDirectories(stub.getParent());
            Path part = Files.createTempFile(stub.getParent(), "part", ".tmp");
            Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
            Files.move(part, stub, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            System.setProperty("jna.boot.library.path", stub.getParent().toString());
        } catch (IOException | RuntimeException e) {
            // JNA unpacks it to a temporary file instead
        }
    }
}
