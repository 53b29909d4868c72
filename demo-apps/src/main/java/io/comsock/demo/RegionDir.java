package io.comsock.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fresh private directory (mode 0700) for the shared-memory regions of one run. It lies under
 * {@code /dev/shm}, a tmpfs, as the product's default {@code /dev/shm/comsock} does, so that the
 * regions are memory rather than files on a disk; only where {@code /dev/shm} is absent does it
 * fall back to {@code java.io.tmpdir}, and {@link #describe()} says so. {@link #close()} deletes
 * it with everything in it; so does the JVM's exit, should the run fail or be interrupted first.
 */
public final class RegionDir implements AutoCloseable {
    private static final Path SHM = Path.of("/dev/shm");

    private final Path path;
    private final boolean shm;
    private final Thread hook;

    private RegionDir(Path path, boolean shm) {
        this.path = path;
        this.shm = shm;
        this.hook = new Thread(this::delete, "region-dir-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Creates the directory, its name starting with {@code prefix}. */
    public static RegionDir create(String prefix) throws IOException {
        boolean shm = Files.isDirectory(SHM) && Files.isWritable(SHM);
        return new RegionDir(shm ? Files.createTempDirectory(SHM, prefix) : Files.createTempDirectory(prefix), shm);
    }

    public Path path() {
        return path;
    }

    /** True if the directory is on {@code /dev/shm}. */
    public boolean onShm() {
        return shm;
    }

    /** Where the regions are, in one sentence for a run's output. */
    public String describe() {
        return shm ? "Shared-memory regions: a fresh directory on tmpfs, " + path + ", removed at the end."
                : "/dev/shm is absent here: the shared-memory regions are files in " + path
                        + " (java.io.tmpdir, perhaps on a disk), removed at the end.";
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // the hook runs anyway
        }
        delete();
    }

    private void delete() {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            System.err.println("could not remove " + path + ": " + e);
        }
    }
}
