package io.comsock.agent.core;

import com.sun.jna.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * The agent's own JNA: its settings and its native stub, whatever the application's JNA uses.
 *
 * <p>The agent's JNA classes are the agent's alone (its class loader reads them from its own
 * jar), and their property reads and writes go to {@link JnaSettings}, not to the JVM's
 * properties. This class fills that table before JNA can load: the stub is the one in the
 * agent's jar, unpacked once per agent version into the agent's private directory (so that a start
 * neither inflates nor writes it), never one the system or the application provides (another
 * version, which the application's JNA could then not load a second time); libraries are found
 * through the process's own symbols, without JNA's search of the system's library directories
 * (which runs {@code ldconfig}). JNA itself loads later, when the transport first needs it.
 */
final class PrivateJna {
    /** The agent's own (extracted core) jar, or null where there is none. */
    private static final Path JAR = jarPath();

    private PrivateJna() {
    }

    /**
     * Sets the agent's JNA settings. Cheap: it only looks whether the stub is unpacked. Returns
     * where the stub is still to be unpacked by {@link #finish}, or null.
     */
    static Path prepare() {
        JnaSettings.set("jna.nosys", "true");
        // the transport binds its functions in the process's own symbols (libc is always there)
        JnaSettings.set("jna.platform.library.path", "");
        Path dir = privateDir();
        if (dir == null) {
            return null;
        }
        JnaSettings.set("jna.tmpdir", dir.toString());
        Path stub = dir.resolve("jna-" + JAR.getFileName()).resolve(System.mapLibraryName("jnidispatch"));
        if (Files.isRegularFile(stub)) {
            JnaSettings.set("jna.boot.library.path", stub.getParent().toString());
            return null;
        }
        return stub;
    }

    /**
     * Unpacks the stub where {@link #prepare} said (null: nothing to do), and lets the agent's
     * module load native code (Java 22+). Off the start-up path, before the transport opens.
     */
    static void finish(Path unpack) {
        grantNativeAccess();
        if (unpack != null) {
            unpack(unpack);
        }
    }

    /** The agent's own jar, or null where there is none. */
    static Path agentJar() {
        return JAR;
    }

    /** The directory of the agent's own jar (private to its user), or null where there is none. */
    static Path privateDir() {
        return JAR == null ? null : JAR.getParent();
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
            JnaSettings.set("jna.boot.library.path", stub.getParent().toString());
        } catch (IOException | RuntimeException e) {
            // JNA unpacks it to a temporary file of the private directory instead
        }
    }

    /**
     * Java 22+: lets this module (and no other) load native code, so that JNA does not make the
     * JVM print its warning about restricted methods to every application started with the
     * agent. The public API for it is itself restricted, so the JDK's internal entry point is used,
     * which the launcher exported to this module alone. Before Java 22 there is no such warning,
     * and where the entry point is missing nothing is done.
     */
    private static void grantNativeAccess() {
        Module self = PrivateJna.class.getModule();
        if (!self.isNamed()) {
            return;
        }
        try {
            Object access = Class.forName("jdk.internal.access.SharedSecrets").getMethod("getJavaLangAccess").invoke(null);
            Class.forName("jdk.internal.access.JavaLangAccess").getMethod("addEnableNativeAccess", Module.class)
                    .invoke(access, self);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Log.debug("native access not granted to " + self + ": " + e);
        }
    }
}
