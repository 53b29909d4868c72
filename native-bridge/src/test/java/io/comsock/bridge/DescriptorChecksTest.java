package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;
import static io.comsock.bridge.TransportInProcessTest.inBackground;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks of docs/PROTOCOL.md ("Validation") on descriptors that no honest sender writes.
 * Domain 7 is a region with no daemon: the test plays its process, and writes descriptors into a
 * lane of domain 1's region by hand.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DescriptorChecksTest {
    @TempDir
    Path dir;
    ComDomain local;
    Region remote;
    /** The lane of domain 1's region that the test writes, as domain 7's process. */
    int lane;
    long tail;

    @BeforeEach
    void open() throws IOException {
        local = ComDomain.open(ComConfig.builder(1).dir(dir).blocks(256).window(64 * 1024).build());
        remote = Region.create(ComConfig.builder(7).dir(dir).build());
        ByteBuffer b = local.region.buf;
        RegionLayout l = local.region.layout;
        for (lane = 0; !Region.I64.compareAndSet(b, l.lane(lane) + L_OWNER, 0L, remote.identity); lane++) {
            // the first free lane
        }
        tail = (long) Region.I64.getVolatile(b, l.lane(lane) + L_TAIL);
        Region.I64.setVolatile(b, l.lane(lane) + L_HEAD, tail);
        Region.I64.getAndBitwiseOr(b, H_ACTIVE_LANES, 1L << lane);
    }

    @AfterEach
    void close() throws IOException {
        local.close();
        remote.close();
    }

    /** Publishes a descriptor in the lane and wakes the daemon, as domain 7's process. */
    private void post(int type, int src, int dst, int block, int count, long value) {
        ByteBuffer b = local.region.buf;
        int d = local.region.layout.descriptor(lane, tail);
        b.putInt(d + D_TYPE, type);
        b.putInt(d + D_PORTS, 0);
        b.putInt(d + D_SRC_CONN, src);
        b.putInt(d + D_DST_CONN, dst);
        b.putInt(d + D_BLOCK, block);
        b.putInt(d + D_COUNT, count);
        b.putLong(d + D_VALUE, value);
        Region.I64.setVolatile(b, local.region.layout.lane(lane) + L_TAIL, ++tail);
        new Doorbell(b, H_DOORBELL).ring();
    }

    /** A connect from domain 1 to domain 7, waiting for the SYNACK the test writes; and its id. */
    private CompletableFuture<ComConnection> connecting(int[] id) throws Exception {
        CompletableFuture<ComConnection> c = inBackground(() -> local.connect(7, 80, 0, 10_000));
        // the SYN in domain 7's region names the connection
        RegionLayout l = remote.layout;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int synLane = -1;
        while (synLane < 0 && System.nanoTime() < deadline) {
            for (int i = 0; i < l.lanes; i++) {
                if ((long) Region.I64.getVolatile(remote.buf, l.lane(i) + L_TAIL) > 0) {
                    synLane = i;
                }
            }
            Thread.sleep(1);
        }
        int syn = l.descriptor(synLane, 0);
        assertEquals(T_SYN, remote.buf.getInt(syn + D_TYPE));
        id[0] = remote.buf.getInt(syn + D_SRC_CONN);
        return c;
    }

    /** A connection from domain 1 to domain 7, established by the SYNACK the test writes. */
    private ComConnection established(int[] id) throws Exception {
        CompletableFuture<ComConnection> connect = connecting(id);
        post(T_SYNACK, 1 << 16, id[0], 0, 64 * 1024, 0);
        return connect.get(10, TimeUnit.SECONDS);
    }

    private static String connectFailure(CompletableFuture<ComConnection> c) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.get(10, TimeUnit.SECONDS));
        assertInstanceOf(SocketException.class, e.getCause());
        return e.getCause().getMessage();
    }

    /**
     * A sender that cannot ring (its futex binding failed: it polls) still gets through to a
     * domain whose daemon went to sleep with nothing to watch, within about a second.
     */
    @Test
    void whatASenderPostsWithoutRingingIsSeenWithinASecond() throws Exception {
        try (ComDomain idle = ComDomain.open(ComConfig.builder(2).dir(dir).build())) {
            ByteBuffer b = idle.region.buf;
            RegionLayout l = idle.region.layout;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((idle.stats.sleeps.sum() == 0 || (int) Region.I32.getVolatile(b, H_POLLERS) != 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(0, (int) Region.I32.getVolatile(b, H_POLLERS), "the daemon went to sleep");
            // domain 7's process takes a lane and posts a descriptor of no known type, and rings nothing
            assertTrue(Region.I64.compareAndSet(b, l.lane(0) + L_OWNER, 0L, remote.identity));
            long t = (long) Region.I64.getVolatile(b, l.lane(0) + L_TAIL);
            Region.I64.setVolatile(b, l.lane(0) + L_HEAD, t);
            Region.I64.getAndBitwiseOr(b, H_ACTIVE_LANES, 1L);
            int d = l.descriptor(0, t);
            b.putInt(d + D_TYPE, 99);
            Region.I64.setVolatile(b, l.lane(0) + L_TAIL, t + 1);
            long posted = System.nanoTime();
            while (idle.stats().protocolErrors() == 0 && System.nanoTime() - posted < TimeUnit.SECONDS.toNanos(5)) {
                Thread.sleep(5);
            }
            assertEquals(1, idle.stats().protocolErrors(), "the daemon read the descriptor");
        }
    }

    @Test
    void beforeItIsEstablishedAConnectionTakesOnlyTheAnswerToItsSyn() throws Exception {
        int[] id = new int[1];
        CompletableFuture<ComConnection> c = connecting(id);
        post(T_FIN, 1 << 16, id[0], 0, 0, 0);
        assertEquals("Connection reset (protocol error: descriptor type=" + T_FIN + " source=65536 before the "
                + "connection was established)", connectFailure(c));
    }

    @Test
    void aSynackMustNameASlotTheSenderHas() throws Exception {
        int[] id = new int[1];
        CompletableFuture<ComConnection> c = connecting(id);
        int noSuchSlot = 1 << 16 | remote.layout.slots;
        post(T_SYNACK, noSuchSlot, id[0], 0, 64 * 1024, 0);
        assertEquals("Connection reset (protocol error: unexpected SYNACK source=" + noSuchSlot + " window=65536)",
                connectFailure(c));
    }

    /**
     * Domain 7's process drains nothing (stopped, say) and its lane for domain 1 is full: the reset
     * for its protocol error waits for room without holding up the daemon, which goes on serving
     * everyone else, and it goes out once there is room.
     */
    @Test
    void aResetForAPeerThatDrainsNothingWaitsForRoomAndTheDaemonGoesOn() throws Exception {
        int[] id = new int[1];
        ComConnection c = established(id);
        Peer p = local.peerFor(7, 0);
        while (p.tryPost(T_NOTIFY, 0, 0, 0, 0, 0, 0)) {
            // fill domain 1's lane in domain 7's region
        }
        int rstLane = p.lane;
        RegionLayout l = remote.layout;
        long full = (long) Region.I64.getVolatile(remote.buf, l.lane(rstLane) + L_TAIL);
        post(T_FIN, 1 << 16, id[0], 0, 0, 12345);
        SocketException e = assertThrows(SocketException.class, () -> c.read(new byte[1], 0, 1, 10_000));
        assertEquals("Connection reset (protocol error: FIN at offset=12345 beyond the announced 0)", e.getMessage());

        // the daemon is not stuck on domain 7: another domain connects and talks
        try (ComDomain other = ComDomain.open(ComConfig.builder(2).dir(dir).build()); ComListener l81 = local.listen(81, 1)) {
            CompletableFuture<ComConnection> client = inBackground(() -> other.connect(1, 81, 0, 5_000));
            ComConnection server = l81.accept(5_000);
            client.get(10, TimeUnit.SECONDS).write(new byte[] {42}, 0, 1);
            byte[] one = new byte[1];
            assertEquals(1, server.read(one, 0, 1, 5_000));
            assertEquals(42, one[0]);
        }
        assertEquals(full, (long) Region.I64.getVolatile(remote.buf, l.lane(rstLane) + L_TAIL), "no room: nothing posted");

        // domain 7 drains its lane: the reset goes out
        Region.I64.setVolatile(remote.buf, l.lane(rstLane) + L_HEAD, full);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((long) Region.I64.getVolatile(remote.buf, l.lane(rstLane) + L_TAIL) == full && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        // the reset first, then the FIN that says the failed connection's writer is done, in order
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((long) Region.I64.getVolatile(remote.buf, l.lane(rstLane) + L_TAIL) < full + 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(full + 2, (long) Region.I64.getVolatile(remote.buf, l.lane(rstLane) + L_TAIL));
        int rst = l.descriptor(rstLane, full);
        int fin = l.descriptor(rstLane, full + 1);
        assertEquals(T_RST, remote.buf.getInt(rst + D_TYPE));
        assertEquals(T_FIN, remote.buf.getInt(fin + D_TYPE));
        assertEquals(c.id, remote.buf.getInt(rst + D_SRC_CONN));
        assertEquals(c.id, remote.buf.getInt(fin + D_SRC_CONN));
    }

    @Test
    void aRejectedDataFreesNoBlockAndItsSendersDeathDoes() throws Exception {
        int[] id = new int[1];
        ComConnection c = established(id);
        // one-block runs, more than the window's run list holds: the last is rejected
        BlockBitmap bitmap = new BlockBitmap(local.region.buf, local.region.layout);
        int runs = 64 * 1024 / BLOCK_SIZE + 3;
        int last = -1;
        for (int i = 0; i < runs; i++) {
            last = bitmap.claim(1, 1, 0, lane + 1) >>> 8;
            post(T_DATA, 1 << 16, id[0], last, 1, (long) i * BLOCK_SIZE);
        }
        SocketException e = assertThrows(SocketException.class, () -> c.read(new byte[1], 0, 1, 10_000));
        assertEquals("Connection reset (protocol error: DATA beyond the receive window)", e.getMessage());
        assertTrue(bitmap.claimed(last) && bitmap.tag(last) == lane + 1, "the rejected run is still its sender's");
        c.close();
        // the sender's process goes away: its lane and every block it claimed come back
        remote.close();
        TransportInProcessTest.awaitFreeBlocks(local);
        assertEquals(0L, (long) Region.I64.getVolatile(local.region.buf, local.region.layout.lane(lane) + L_OWNER));
    }
}
