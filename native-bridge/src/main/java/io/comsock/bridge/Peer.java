package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This process's sending side towards one domain: the target's mapped region, and the lane this
 * process owns in it. Shared by every connection from here to that domain.
 *
 * <p>The lane is a single-producer ring: the threads of this process take {@link #lock} to
 * publish, so the target sees one producer per lane. The target's owner is the only consumer.
 */
final class Peer {
    final ComDomain local;
    final Region region;
    final int domain;
    final int lane;
    final int tag;
    final BlockBitmap bitmap;
    final ByteBuffer buf;
    private final RegionLayout layout;
    private final int laneOff;
    private final Doorbell doorbell;
    private final ReentrantLock lock = new ReentrantLock();
    private long tail;
    private long cachedHead;
    private final int hint;
    volatile boolean dead;

    private Peer(ComDomain local, Region region, int lane) {
        this.local = local;
        this.region = region;
        this.domain = region.domain;
        this.lane = lane;
        this.tag = lane + 1;
        this.buf = region.buf;
        this.layout = region.layout;
        this.laneOff = layout.lane(lane);
        this.bitmap = new BlockBitmap(buf, layout);
        this.doorbell = new Doorbell(buf, H_DOORBELL);
        this.tail = (long) Region.I64.getVolatile(buf, laneOff + L_TAIL);
        this.cachedHead = tail;
        this.hint = (lane * 7) & ((layout.blocks >>> 6) - 1);
    }

    /** Takes a free lane in {@code region} for this process. */
    static Peer open(ComDomain local, Region region) throws IOException {
        RegionLayout l = region.layout;
        long me = local.identity();
        for (int i = 0; i < l.lanes; i++) {
            int off = l.lane(i);
            if ((long) Region.I64.getVolatile(region.buf, off + L_OWNER) != 0) {
                continue;
            }
            if (Region.I64.compareAndSet(region.buf, off + L_OWNER, 0L, me)) {
                long t = (long) Region.I64.getVolatile(region.buf, off + L_TAIL);
                Region.I64.setVolatile(region.buf, off + L_HEAD, t);
                Region.I64.getAndBitwiseOr(region.buf, H_ACTIVE_LANES, 1L << i);
                return new Peer(local, region, i);
            }
        }
        throw new SocketException("domain " + region.domain + " has no free lane (all " + l.lanes
                + " are taken by other processes)");
    }

    /**
     * Claims a run of up to {@code want} blocks in the target's buffer.
     *
     * @return {@code first << 8 | count}, or -1 if the target has no free block now
     */
    int claim(int want) {
        return bitmap.claim(want, 1, hint, tag);
    }

    /** Byte offset of block {@code index} in the target region. */
    int blockOffset(int index) {
        return layout.block(index);
    }

    int slotOffset(int connId) {
        return layout.slot(connId & 0xFFFF);
    }

    /**
     * Publishes a descriptor, waiting while the lane is full.
     *
     * @throws SocketException when the target dies while we wait
     */
    void post(int type, int ports, int srcConn, int dstConn, int block, int count, long value)
            throws SocketException {
        lock.lock();
        try {
            long backoff = 1_000;
            while (!tryPostLocked(type, ports, srcConn, dstConn, block, count, value)) {
                if (dead || !region.ownerAlive()) {
                    dead = true;
                    throw new SocketException("Connection reset (domain " + domain + " is gone)");
                }
                LockSupport.parkNanos(backoff);
                backoff = Math.min(backoff * 2, 1_000_000);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Publishes a descriptor if the lane has room; never waits. */
    boolean tryPost(int type, int ports, int srcConn, int dstConn, int block, int count, long value) {
        lock.lock();
        try {
            return tryPostLocked(type, ports, srcConn, dstConn, block, count, value);
        } finally {
            lock.unlock();
        }
    }

    private boolean tryPostLocked(int type, int ports, int srcConn, int dstConn, int block, int count,
            long value) {
        if (tail - cachedHead >= layout.laneCapacity) {
            cachedHead = (long) Region.I64.getAcquire(buf, laneOff + L_HEAD);
            if (tail - cachedHead >= layout.laneCapacity) {
                return false;
            }
        }
        int d = layout.descriptor(lane, tail);
        buf.putInt(d + D_TYPE, type);
        buf.putInt(d + D_PORTS, ports);
        buf.putInt(d + D_SRC_CONN, srcConn);
        buf.putInt(d + D_DST_CONN, dstConn);
        buf.putInt(d + D_BLOCK, block);
        buf.putInt(d + D_COUNT, count);
        buf.putLong(d + D_VALUE, value);
        tail++;
        // volatile store: pairs with the daemon's store to POLLERS before it re-checks the lanes
        Region.I64.setVolatile(buf, laneOff + L_TAIL, tail);
        if ((int) Region.I32.getVolatile(buf, H_POLLERS) == 0) {
            ring();
        }
        return true;
    }

    /** The paper's IPI: wake the target's daemon. Only called when its status flag says idle. */
    private void ring() {
        doorbell.ring();
        local.stats.wakeups.increment();
    }
}
