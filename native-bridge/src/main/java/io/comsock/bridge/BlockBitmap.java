package io.comsock.bridge;

import java.nio.ByteBuffer;

/**
 * The bitmap of a region's 8 KB blocks: bit {@code i} set means block {@code i} is claimed.
 *
 * <p>Senders in any process claim runs of contiguous blocks with a compare-and-set on one 64-bit
 * word, so a run never crosses a word; the owner frees blocks the same way. Each claimed block is
 * then tagged with the claiming lane, so that the blocks of a sender that dies can be found.
 * No allocation, no lock.
 */
final class BlockBitmap {
    private final ByteBuffer buf;
    private final int base;
    private final int tags;
    private final int words;
    private final int blocks;

    BlockBitmap(ByteBuffer buf, RegionLayout layout) {
        this(buf, layout.bitmapOffset, layout.tagsOffset, layout.blocks);
    }

    BlockBitmap(ByteBuffer buf, int bitmapOffset, int tagsOffset, int blocks) {
        this.buf = buf;
        this.base = bitmapOffset;
        this.tags = tagsOffset;
        this.blocks = blocks;
        this.words = blocks >>> 6;
    }

    int blocks() {
        return blocks;
    }

    /**
     * Claims a run of {@code want} (1..64) contiguous blocks, or fewer (at least {@code min}) if no
     * such run is free, and tags them with {@code tag}.
     *
     * @param hint the word to start scanning at, to spread senders over the bitmap
     * @return {@code first << 8 | count}, or -1 when no run of {@code min} blocks is free
     */
    int claim(int want, int min, int hint, int tag) {
        int r = claimExactly(want, hint, tag);
        if (r < 0 && min < want) {
            r = claimExactly(min, hint, tag);
        }
        return r;
    }

    private int claimExactly(int size, int hint, int tag) {
        long runBits = runMask(0, size);
        for (int i = 0; i < words; i++) {
            int w = (hint + i) & (words - 1);
            int off = base + (w << 3);
            long used = (long) Region.I64.getVolatile(buf, off);
            while (true) {
                int start = firstRun(~used, size);
                if (start < 0) {
                    break;
                }
                long want = runBits << start;
                long witness = (long) Region.I64.compareAndExchange(buf, off, used, used | want);
                if (witness == used) {
                    int first = (w << 6) + start;
                    for (int b = first; b < first + size; b++) {
                        Region.I32.setRelease(buf, tags + (b << 2), tag);
                    }
                    return first << 8 | size;
                }
                used = witness;
            }
        }
        return -1;
    }

    /** Lowest bit index where {@code free} has {@code size} consecutive set bits, or -1. */
    static int firstRun(long free, int size) {
        long m = free;
        for (int i = 1; i < size && m != 0; i++) {
            m &= free >>> i;
        }
        return m == 0 ? -1 : Long.numberOfTrailingZeros(m);
    }

    /**
     * Frees a run if every block of it is claimed. False if some block is not (a double free):
     * the bitmap was changed behind its owner's back, and no bit is cleared (the run's tags may
     * be, if that happened during the call). Never throws for that: the bitmap lies in shared
     * memory, and the caller decides which connection it breaks.
     *
     * @throws IllegalArgumentException if the run is not inside one bitmap word
     */
    boolean tryFree(int first, int count) {
        checkRun(first, count);
        long mask = runMask(first, count);
        int off = base + ((first >>> 6) << 3);
        if (((long) Region.I64.getVolatile(buf, off) & mask) != mask) {
            return false;
        }
        for (int b = first; b < first + count; b++) {
            Region.I32.setRelease(buf, tags + (b << 2), 0);
        }
        long used = (long) Region.I64.getVolatile(buf, off);
        while (true) {
            if ((used & mask) != mask) {
                return false;
            }
            long witness = (long) Region.I64.compareAndExchange(buf, off, used, used & ~mask);
            if (witness == used) {
                return true;
            }
            used = witness;
        }
    }

    /** The bits of a run (inside one word) in its bitmap word. */
    static long runMask(int first, int count) {
        return (count == 64 ? -1L : (1L << count) - 1) << (first & 63);
    }

    /**
     * True if every block of the run is claimed and tagged {@code tag}: the check made before a
     * run named by a descriptor from shared memory is trusted.
     */
    boolean ownedBy(int first, int count, int tag) {
        if (count < 1 || count > 64 || first < 0 || first + count > blocks
                || (first >>> 6) != ((first + count - 1) >>> 6)) {
            return false;
        }
        long mask = runMask(first, count);
        long used = (long) Region.I64.getVolatile(buf, base + ((first >>> 6) << 3));
        if ((used & mask) != mask) {
            return false;
        }
        for (int b = first; b < first + count; b++) {
            if ((int) Region.I32.getAcquire(buf, tags + (b << 2)) != tag) {
                return false;
            }
        }
        return true;
    }

    int tag(int block) {
        return (int) Region.I32.getAcquire(buf, tags + (block << 2));
    }

    boolean claimed(int block) {
        long used = (long) Region.I64.getVolatile(buf, base + ((block >>> 6) << 3));
        return (used & (1L << (block & 63))) != 0;
    }

    /** True if some block is free now (a cheap scan that stops at the first one). */
    boolean hasFree() {
        for (int w = 0; w < words; w++) {
            if ((long) Region.I64.getVolatile(buf, base + (w << 3)) != -1L) {
                return true;
            }
        }
        return false;
    }

    /** Blocks not claimed now. */
    int freeCount() {
        int used = 0;
        for (int w = 0; w < words; w++) {
            used += Long.bitCount((long) Region.I64.getVolatile(buf, base + (w << 3)));
        }
        return blocks - used;
    }

    private void checkRun(int first, int count) {
        if (count < 1 || count > 64 || first < 0 || first + count > blocks
                || (first >>> 6) != ((first + count - 1) >>> 6)) {
            throw new IllegalArgumentException("run first=" + first + " count=" + count
                    + " is not inside one bitmap word of " + blocks + " blocks");
        }
    }
}
