package io.comsock.bridge;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Settings of one local domain. Immutable; build with {@link #builder(int)}.
 *
 * <p>Sizes are checked when built, and a bad value is reported as {@code name=value} with what is
 * expected.
 */
public final class ComConfig {
    /** Where regions live unless told otherwise. */
    public static final Path DEFAULT_DIR = Paths.get("/dev/shm/comsock");

    final int domain;
    final Path dir;
    final String group;
    final int blocks;
    final int lanes;
    final int laneCapacity;
    final int slots;
    final int window;
    final long spinNanos;
    final long yieldNanos;

    private ComConfig(Builder b) {
        this.domain = ComAddress.checkDomain(b.domain);
        this.dir = b.dir;
        this.group = b.group;
        this.blocks = check("blocks", b.blocks, RegionLayout.MIN_BLOCKS, RegionLayout.MAX_BLOCKS, true);
        this.lanes = check("lanes", b.lanes, 1, RegionLayout.MAX_LANES, false);
        this.laneCapacity = check("laneCapacity", b.laneCapacity, 16, 1 << 16, true);
        this.slots = check("slots", b.slots, 16, RegionLayout.MAX_SLOTS, false);
        this.window = check("window", b.window, RegionLayout.BLOCK_SIZE * 2, 1 << 30, false);
        if ((long) window > (long) blocks * RegionLayout.BLOCK_SIZE / 2) {
            throw new IllegalArgumentException("window=" + window + " must be at most half the region's "
                    + "data (blocks=" + blocks + " of " + RegionLayout.BLOCK_SIZE + " bytes)");
        }
        if (b.spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos=" + b.spinNanos + " must be >= 0");
        }
        this.spinNanos = b.spinNanos;
        if (b.yieldNanos < 0) {
            throw new IllegalArgumentException("yieldNanos=" + b.yieldNanos + " must be >= 0");
        }
        this.yieldNanos = b.yieldNanos;
    }

    private static int check(String name, int value, int min, int max, boolean powerOfTwo) {
        if (value < min || value > max || (powerOfTwo && Integer.bitCount(value) != 1)) {
            throw new IllegalArgumentException(name + "=" + value + " is invalid (expected "
                    + (powerOfTwo ? "a power of two in " : "") + min + ".." + max + ")");
        }
        return value;
    }

    public static Builder builder(int domain) {
        return new Builder(domain);
    }

    public int domain() {
        return domain;
    }

    public Path dir() {
        return dir;
    }

    /** Builder with the defaults documented on each setter. */
    public static final class Builder {
        private int domain;
        private Path dir = DEFAULT_DIR;
        private String group;
        private int blocks = 8192;
        private int lanes = 64;
        private int laneCapacity = 1024;
        private int slots = 4096;
        private int window = 1 << 20;
        private long spinNanos = 10_000;
        private long yieldNanos = 100_000;

        private Builder(int domain) {
            this.domain = domain;
        }

        /** Region directory; default {@code /dev/shm/comsock}. */
        public Builder dir(Path dir) {
            this.dir = dir;
            return this;
        }

        /** A group that may also use the regions (mode 0660 instead of 0600); default none. */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /** Number of 8 KB blocks in this domain's region (a power of two, 64..131072); default 8192 (64 MB). */
        public Builder blocks(int blocks) {
            this.blocks = blocks;
            return this;
        }

        /** Number of sender lanes, one per peer process that sends here; default 64. */
        public Builder lanes(int lanes) {
            this.lanes = lanes;
            return this;
        }

        /** Descriptors per lane (power of two); default 1024. */
        public Builder laneCapacity(int laneCapacity) {
            this.laneCapacity = laneCapacity;
            return this;
        }

        /** Connection slots, the most connections this domain holds at once; default 4096. */
        public Builder slots(int slots) {
            this.slots = slots;
            return this;
        }

        /** Per-connection receive window (credit) in bytes; default 1 MB. */
        public Builder window(int window) {
            this.window = window;
            return this;
        }

        /** How long a waiting reader or writer spins on the CPU first; default 10 µs. */
        public Builder spinNanos(long spinNanos) {
            this.spinNanos = spinNanos;
            return this;
        }

        /**
         * How long it then keeps polling but yields the CPU between looks, before it parks;
         * default 100 µs. Yielding lets the peer run when the cores are oversubscribed.
         */
        public Builder yieldNanos(long yieldNanos) {
            this.yieldNanos = yieldNanos;
            return this;
        }

        public ComConfig build() {
            return new ComConfig(this);
        }
    }
}
