package io.comsock.bridge;

/**
 * The byte layout of a domain's region, computed in one place. {@code docs/PROTOCOL.md} draws
 * the same layout; the two must agree.
 *
 * <pre>
 *  offset 0        header (4096 bytes; hot words on cache lines of their own)
 *  bitmapOffset    block bitmap: blocks/64 words of 64 bits, bit set = block claimed
 *  tagsOffset      block tags: one 32-bit word per block, the lane (1-based) that claimed it
 *  slotsOffset     connection slots: slots x 128 bytes, the receive side of each connection
 *  lanesOffset     lanes: lanes x (256-byte lane header + laneCapacity x 32-byte descriptors)
 *  blocksOffset    blocks: blocks x 8192 bytes of data (page aligned)
 * </pre>
 *
 * All multi-byte fields are in the host's byte order (little-endian on x86-64 and aarch64).
 */
final class RegionLayout {
    static final long MAGIC = 0x314B434F534D4F43L; // "COMSOCK1" as little-endian bytes
    static final int VERSION = 1;
    static final int BLOCK_SIZE = 8192;
    static final int BLOCK_SHIFT = 13;
    static final int CACHE_LINE = 64;
    static final int MAX_LANES = 64;
    static final int MAX_SLOTS = 65535;
    static final int MIN_BLOCKS = 64;
    /**
     * The most blocks a region has: 1 GB of data. Twice that would not fit the 2 GB that one
     * mapped buffer can address; with the most lanes, descriptors and slots, this does.
     */
    static final int MAX_BLOCKS = 1 << 17;
    /** The most blocks one DATA descriptor may cover: one run inside one bitmap word. */
    static final int MAX_RUN = 8;

    // ---- header, cache line 0: written once by the owner at creation
    static final int H_MAGIC = 0;          // u64
    static final int H_VERSION = 8;        // u32
    static final int H_DOMAIN = 12;        // u32 owner domain id
    static final int H_PID = 16;           // u64 owner process id
    static final int H_IDENTITY = 24;      // u64 (random << 8 | domain), never 0
    static final int H_BLOCK_SIZE = 32;    // u32
    static final int H_BLOCKS = 36;        // u32
    static final int H_LANES = 40;         // u32
    static final int H_LANE_CAPACITY = 44; // u32
    static final int H_SLOTS = 48;         // u32
    static final int H_WINDOW = 52;        // u32 receive window per connection, bytes
    static final int H_SIZE = 56;          // u64 region size, bytes
    static final int H_STATE = 64;         // u32 0 creating, 1 ready, 2 closed cleanly
    // ---- cache line 2: liveness stamp, written by the owner's daemon
    static final int H_HEARTBEAT = 128;    // u64 wall-clock milliseconds
    // ---- cache line 3: the daemon's doorbell (a futex word)
    static final int H_DOORBELL = 192;     // u32
    // ---- cache line 4: the daemon's status flag: threads polling the lanes now; 0 = idle
    static final int H_POLLERS = 256;      // u32
    // ---- cache line 5: lanes in use, one bit per lane
    static final int H_ACTIVE_LANES = 320; // u64
    // ---- cache line 6: the owner's open connections (for status tools)
    static final int H_OPEN = 384;         // u32
    static final int HEADER_SIZE = 4096;

    static final int STATE_CREATING = 0;
    static final int STATE_READY = 1;
    static final int STATE_CLOSED = 2;

    // ---- connection slot (128 bytes): the receive side of one connection endpoint
    static final int SLOT_SIZE = 128;
    static final int S_COMMITTED = 0;      // u64 stream bytes published by the remote writer
    static final int S_WANT_CREDIT = 8;    // u32 remote writer waits for credit (set by writer)
    static final int S_CONSUMED = 64;      // u64 stream bytes consumed by the local reader
    static final int S_WANT_DATA = 72;     // u32 local reader waits for data (set by reader)

    // ---- lane header (256 bytes) followed by the descriptor ring
    static final int LANE_HEADER = 256;
    static final int L_OWNER = 0;          // u64 identity of the sending process, 0 = free
    static final int L_TAIL = 64;          // u64 descriptors published (written by the sender)
    static final int L_HEAD = 128;         // u64 descriptors consumed (written by the owner)

    // ---- descriptor (32 bytes)
    static final int DESC_SIZE = 32;
    static final int D_TYPE = 0;           // u32 type
    static final int D_PORTS = 4;          // u32 source port << 16 | destination port
    static final int D_SRC_CONN = 8;       // u32 sender's connection id
    static final int D_DST_CONN = 12;      // u32 receiver's connection id
    static final int D_BLOCK = 16;         // u32 first block
    static final int D_COUNT = 20;         // u32 blocks in the run, or window bytes
    static final int D_VALUE = 24;         // u64 stream offset

    // ---- descriptor types
    static final int T_SYN = 1;
    static final int T_SYNACK = 2;
    static final int T_REFUSED = 3;
    static final int T_DATA = 4;
    static final int T_FIN = 5;
    static final int T_CLOSE = 6;
    static final int T_RST = 7;
    static final int T_NOTIFY = 8;
    static final int T_CREDIT = 9;
    static final int T_MAX = 9;

    final int blocks;
    final int lanes;
    final int laneCapacity;
    final int slots;
    final int window;
    final int bitmapOffset;
    final int tagsOffset;
    final int slotsOffset;
    final int lanesOffset;
    final int laneStride;
    final long blocksOffset;
    final long size;

    RegionLayout(int blocks, int lanes, int laneCapacity, int slots, int window) {
        this.blocks = blocks;
        this.lanes = lanes;
        this.laneCapacity = laneCapacity;
        this.slots = slots;
        this.window = window;
        this.bitmapOffset = HEADER_SIZE;
        this.tagsOffset = align(bitmapOffset + blocks / 8, CACHE_LINE);
        this.slotsOffset = align(tagsOffset + blocks * 4, CACHE_LINE);
        this.lanesOffset = align(slotsOffset + slots * SLOT_SIZE, CACHE_LINE);
        this.laneStride = LANE_HEADER + laneCapacity * DESC_SIZE;
        this.blocksOffset = alignLong((long) lanesOffset + (long) lanes * laneStride, 4096);
        this.size = blocksOffset + (long) blocks * BLOCK_SIZE;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("blocks=" + blocks + " makes a region of " + size
                    + " bytes; the most is " + Integer.MAX_VALUE);
        }
    }

    static RegionLayout of(ComConfig c) {
        return new RegionLayout(c.blocks, c.lanes, c.laneCapacity, c.slots, c.window);
    }

    int slot(int index) {
        return slotsOffset + index * SLOT_SIZE;
    }

    int lane(int index) {
        return lanesOffset + index * laneStride;
    }

    int descriptor(int lane, long sequence) {
        return lane(lane) + LANE_HEADER + (int) (sequence & (laneCapacity - 1)) * DESC_SIZE;
    }

    int block(int index) {
        return (int) (blocksOffset + ((long) index << BLOCK_SHIFT));
    }

    private static int align(int v, int a) {
        return (v + a - 1) & -a;
    }

    private static long alignLong(long v, long a) {
        return (v + a - 1) & -a;
    }
}
