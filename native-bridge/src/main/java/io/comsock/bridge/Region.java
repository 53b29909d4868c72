package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.NoRouteToHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One domain's shared-memory region, mapped either by its owner ({@link #create}) or by a peer
 * that sends to it ({@link #attach}).
 *
 * <p>Every access goes through the mapped buffer's bounds checks, so a corrupted value read from
 * shared memory can at worst raise an exception; it can never touch memory outside the region.
 *
 * <p>Ownership is an exclusive {@code fcntl} lock on the region file held by the owner process for
 * its lifetime: the kernel drops it when the process dies, even by SIGKILL, so a peer learns that
 * the owner is gone by probing the lock. This also works across PID namespaces.
 */
final class Region implements AutoCloseable {
    static final VarHandle I32 = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    static final VarHandle I64 = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());


    final Path path;
    final int domain;
    final long identity;
    final long ownerPid;
    final RegionLayout layout;
    final ByteBuffer buf;
    private final FileChannel channel;
    private final FileLock ownerLock;

    private Region(Path path, int domain, long identity, long ownerPid, RegionLayout layout,
            ByteBuffer buf, FileChannel channel, FileLock ownerLock) {
        this.path = path;
        this.domain = domain;
        this.identity = identity;
        this.ownerPid = ownerPid;
        this.layout = layout;
        this.buf = buf;
        this.channel = channel;
        this.ownerLock = ownerLock;
    }

    static Path pathOf(Path dir, int domain) {
        return Claim.pathOf(dir, domain);
    }

    /**
     * Creates and owns the region of {@code config.domain}. A stale region left by a dead owner
     * is removed first.
     *
     * @throws DomainInUseException when a live process owns the domain
     */
    static Region create(ComConfig config) throws IOException {
        return Claim.take(config).map();
    }

    /**
     * A region taken but not mapped yet: its file is published with its header, and this process
     * holds the owner's lock, so the domain is this process's and peers may already post to it;
     * nothing of the file has been mapped. Taking it costs a few system calls and no generated
     * classes: a process can own its domain at once and map the region later (an agent does so
     * after the application's {@code main} has started). A nested class, so that taking it does
     * not initialise {@link Region} and its variable handles.
     */
    static final class Claim implements AutoCloseable {
        final Path path;
        final int domain;
        final long identity;
        final long pid;
        final RegionLayout layout;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean handedOver;

        private Claim(Path path, int domain, long identity, long pid, RegionLayout layout, FileChannel channel,
                FileLock lock) {
            this.path = path;
            this.domain = domain;
            this.identity = identity;
            this.pid = pid;
            this.layout = layout;
            this.channel = channel;
            this.lock = lock;
        }

        /**
         * Takes the region of {@code config.domain}: removes a stale one, writes a new file whose
         * header is complete and says ready, and publishes it.
         *
         * @throws DomainInUseException when a live process owns the domain
         */
        static Claim take(ComConfig config) throws IOException {
            Path dir = config.dir;
            createDirectory(dir, config.group);
            Path path = pathOf(dir, config.domain);
            RegionLayout layout = RegionLayout.of(config);
            for (int attempt = 0; ; attempt++) {
                removeStale(path, config.domain);
                long pid = pid();
                Path tmp = dir.resolve("domain-" + config.domain + ".region." + pid + "." + System.nanoTime());
                FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(filePermissions(config.group)));
                try {
                    // set again: creation modes pass through the umask, which would drop group access
                    Files.setPosixFilePermissions(tmp, filePermissions(config.group));
                    setGroup(tmp, config.group);
                    FileLock lock = ch.lock();
                    ch.write(ByteBuffer.allocate(1), layout.size - 1);
                    // an incarnation tag, not a secret: unique per process start is all it needs
                    long identity = ((ThreadLocalRandom.current().nextLong() ^ System.nanoTime() ^ (pid << 40)) & ~0xFFL)
                            | config.domain;
                    if ((identity >>> 8) == 0) {
                        identity |= 1L << 8;
                    }
                    // the header, written whole by one system call before the file is published;
                    // the rest of the region starts as zeros, which is its empty state
                    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.nativeOrder());
                    h.putLong(H_MAGIC, MAGIC);
                    h.putInt(H_VERSION, VERSION);
                    h.putInt(H_DOMAIN, config.domain);
                    h.putLong(H_PID, pid);
                    h.putLong(H_IDENTITY, identity);
                    h.putInt(H_BLOCK_SIZE, BLOCK_SIZE);
                    h.putInt(H_BLOCKS, layout.blocks);
                    h.putInt(H_LANES, layout.lanes);
                    h.putInt(H_LANE_CAPACITY, layout.laneCapacity);
                    h.putInt(H_SLOTS, layout.slots);
                    h.putInt(H_WINDOW, layout.window);
                    h.putLong(H_SIZE, layout.size);
                    h.putLong(H_HEARTBEAT, System.currentTimeMillis());
                    h.putInt(H_STATE, STATE_READY);
                    while (h.hasRemaining()) {
                        ch.write(h, h.position());
                    }
                    try {
                        // a hard link publishes the finished file atomically and fails if another
                        // process published one first
                        Files.createLink(path, tmp);
                    } catch (FileAlreadyExistsException raced) {
                        if (attempt >= 2) {
                            throw new DomainInUseException("domain=" + config.domain
                                    + " is being taken by another process at the same time (" + path + ")");
                        }
                        lock.release();
                        ch.close();
                        continue;
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                    return new Claim(path, config.domain, identity, pid, layout, ch, lock);
                } catch (IOException | RuntimeException e) {
                    if (ch.isOpen()) {
                        ch.close();
                    }
                    Files.deleteIfExists(tmp);
                    throw e;
                }
            }
        }

        /**
         * This process's id, for messages and the status listing. Read from {@code /proc/self}: the
         * first use of {@code ProcessHandle} starts the JDK's process reaper machinery, milliseconds
         * of an agent's start-up.
         */
        static Path pathOf(Path dir, int domain) {
            return dir.resolve("domain-" + domain + ".region");
        }

        static long pid() {
            try {
                return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self")).toString());
            } catch (IOException | RuntimeException notProcfs) {
                return ProcessHandle.current().pid();
            }
        }

        private static void removeStale(Path path, int domain) throws IOException {
            FileChannel ch;
            try {
                ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (NoSuchFileException absent) {
                return;
            }
            try (ch) {
                FileLock lock = null;
                // a peer probing liveness holds a shared lock for a few microseconds; retry briefly
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (lock == null) {
                    try {
                        lock = ch.tryLock();
                    } catch (OverlappingFileLockException sameJvm) {
                        lock = null;
                        if (System.nanoTime() > deadline) {
                            throw new DomainInUseException("domain=" + domain
                                    + " is already owned by this process (" + path + ")");
                        }
                    }
                    if (lock == null) {
                        if (System.nanoTime() > deadline) {
                            throw new DomainInUseException("domain=" + domain + " is already owned by live process pid="
                                    + readPid(ch) + " (" + path + ")");
                        }
                        sleepQuietly(5);
                    }
                }
                // nobody owns it: the owner died; remove the stale region (peers still holding the
                // old mapping see that its owner is dead and fail their connections)
                Files.deleteIfExists(path);
                lock.release();
            }
        }

        private static long readPid(FileChannel ch) {
            try {
                ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
                if (ch.read(b, H_PID) == 8) {
                    return b.getLong(0);
                }
            } catch (IOException e) {
                // the pid is only for the message
            }
            return -1;
        }

        private static void createDirectory(Path dir, String group) throws IOException {
            if (Files.isDirectory(dir)) {
                return;
            }
            Set<PosixFilePermission> perms = PosixFilePermissions.fromString(group == null ? "rwx------" : "rwxrwx---");
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(perms));
            } catch (FileAlreadyExistsException raced) {
                return;
            }
            Files.setPosixFilePermissions(dir, perms); // the umask may have narrowed the creation mode
            setGroup(dir, group);
        }

        private static Set<PosixFilePermission> filePermissions(String group) {
            return PosixFilePermissions.fromString(group == null ? "rw-------" : "rw-rw----");
        }

        private static void setGroup(Path p, String group) throws IOException {
            if (group == null) {
                return;
            }
            GroupPrincipal g = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            Files.getFileAttributeView(p, PosixFileAttributeView.class).setGroup(g);
        }

        private static void sleepQuietly(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Maps the region; from then on the region owns the file, its lock and its removal. */
        synchronized Region map() throws IOException {
            if (handedOver || !channel.isOpen()) {
                throw new IllegalStateException("the region of domain " + domain + " was already mapped or released");
            }
            try {
                MappedByteBuffer buf = channel.map(FileChannel.MapMode.READ_WRITE, 0, layout.size);
                buf.order(ByteOrder.nativeOrder());
                handedOver = true;
                return new Region(path, domain, identity, pid, layout, buf, channel, lock);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        /** Gives the domain up, unless it was mapped: the file goes, then the lock. */
        @Override
        public synchronized void close() throws IOException {
            if (handedOver) {
                return;
            }
            try {
                if (lock.isValid()) {
                    Files.deleteIfExists(path);
                    lock.release();
                }
            } finally {
                channel.close();
            }
        }
    }

    /**
     * Maps the region of a peer domain for sending.
     *
     * @throws NoRouteToHostException when the domain has no region or its owner is dead
     * @throws IOException when the file is not a valid region
     */
    static Region attach(Path dir, int domain) throws IOException {
        Path path = pathOf(dir, domain);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException absent) {
            throw noRoute(domain, "is not running (no region " + path + ")");
        }
        try {
            ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.nativeOrder());
            ch.read(h, 0);
            if (h.position() < HEADER_SIZE || h.getLong(H_MAGIC) != MAGIC) {
                throw new IOException("region " + path + " is not a com-socket region (bad magic or too short)");
            }
            if (h.getInt(H_VERSION) != VERSION) {
                throw new IOException("region " + path + " has layout version=" + h.getInt(H_VERSION)
                        + "; this build speaks version " + VERSION);
            }
            if (h.getInt(H_DOMAIN) != domain || h.getInt(H_BLOCK_SIZE) != BLOCK_SIZE) {
                throw new IOException("region " + path + " names domain=" + h.getInt(H_DOMAIN)
                        + " blockSize=" + h.getInt(H_BLOCK_SIZE) + "; expected domain=" + domain);
            }
            RegionLayout layout;
            try {
                layout = validatedLayout(h);
            } catch (IllegalArgumentException bad) {
                throw new IOException("region " + path + " has an invalid header: " + bad.getMessage());
            }
            if (layout.size != h.getLong(H_SIZE) || ch.size() < layout.size) {
                throw new IOException("region " + path + " has size=" + ch.size() + " but its header says "
                        + h.getLong(H_SIZE) + " (computed " + layout.size + ")");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, layout.size);
            buf.order(ByteOrder.nativeOrder());
            Region r = new Region(path, domain, h.getLong(H_IDENTITY), h.getLong(H_PID), layout, buf, ch, null);
            if ((int) I32.getAcquire(buf, H_STATE) != STATE_READY || !r.ownerAlive()) {
                r.close();
                throw noRoute(domain, "is not running (its owner process pid=" + r.ownerPid + " has exited)");
            }
            return r;
        } catch (IOException | RuntimeException e) {
            if (ch.isOpen()) {
                ch.close();
            }
            throw e;
        }
    }

    private static RegionLayout validatedLayout(ByteBuffer h) {
        int blocks = h.getInt(H_BLOCKS);
        int lanes = h.getInt(H_LANES);
        int cap = h.getInt(H_LANE_CAPACITY);
        int slots = h.getInt(H_SLOTS);
        int window = h.getInt(H_WINDOW);
        if (blocks < MIN_BLOCKS || Integer.bitCount(blocks) != 1 || blocks > MAX_BLOCKS) {
            throw new IllegalArgumentException("blocks=" + blocks);
        }
        if (lanes < 1 || lanes > MAX_LANES || cap < 16 || Integer.bitCount(cap) != 1 || cap > (1 << 16)) {
            throw new IllegalArgumentException("lanes=" + lanes + " laneCapacity=" + cap);
        }
        if (slots < 1 || slots > MAX_SLOTS || window < 2 * BLOCK_SIZE) {
            throw new IllegalArgumentException("slots=" + slots + " window=" + window);
        }
        return new RegionLayout(blocks, lanes, cap, slots, window);
    }

    static NoRouteToHostException noRoute(int domain, String why) {
        return new NoRouteToHostException("No route to host: domain " + domain + " ("
                + ComAddress.addressOf(domain).getHostAddress() + ") " + why);
    }

    /**
     * True while the owner process holds its lock. Called by peers, from the daemon's periodic
     * check; costs two system calls.
     */
    boolean ownerAlive() {
        if (ownerLock != null) {
            return ownerLock.isValid();
        }
        if (!channel.isOpen()) {
            return false;
        }
        try {
            FileLock probe = channel.tryLock(0, 1, true);
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (OverlappingFileLockException ownerInThisJvm) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    boolean isOwner() {
        return ownerLock != null;
    }

    @Override
    public void close() throws IOException {
        if (ownerLock != null && ownerLock.isValid()) {
            I32.setRelease(buf, H_STATE, STATE_CLOSED);
            Files.deleteIfExists(path);
            ownerLock.release();
        }
        channel.close();
    }
}
