package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;
import static io.comsock.bridge.TransportInProcessTest.inBackground;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region written behind its owner's back: the lane of one sender, or the bitmap under one
 * connection's blocks. Domain 1 serves; domain 2 sends on the connection that gets hurt, domain 3
 * on one that must not notice. Each case ends with a clean {@link SocketException} on the hurt
 * connection, naming what was wrong, while the receive daemon goes on serving the others.
 */
// a separate thread: a test that hangs in a blocking write (which ignores interrupts, as the JDK's
// do) still fails at the deadline
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileRegionTest {
    @TempDir
    Path dir;
    ComDomain server;
    ComDomain victim;
    ComDomain bystander;
    ComListener listener;
    /** The connection that gets hurt and the one that must not notice: client end, server end. */
    ComConnection[] hurt;
    ComConnection[] fine;
    /** The victim's lane in the server's region. */
    int lane;

    @BeforeEach
    void open() throws IOException {
        server = ComDomain.open(config(1));
        victim = ComDomain.open(config(2));
        bystander = ComDomain.open(config(3));
        listener = server.listen(80, 10);
        hurt = connect(victim);
        fine = connect(bystander);
        exchange(hurt, 1000);
        lane = victim.peerFor(1, 0).lane;
    }

    private ComConfig config(int domain) {
        return ComConfig.builder(domain).dir(dir).blocks(512).window(256 * 1024).build();
    }

    @AfterEach
    void close() throws IOException {
        bystander.close();
        victim.close();
        server.close();
    }

    /** A connection from {@code from} to the server: its client end, then its server end. */
    private ComConnection[] connect(ComDomain from) throws IOException {
        ComConnection c = from.connect(1, 80, 0, 2000);
        return new ComConnection[] {c, listener.accept(2000)};
    }

    @Test
    void aLaneHeaderOutOfRangeResetsOnlyItsSendersConnections() throws Exception {
        ByteBuffer b = server.region.buf;
        int off = server.region.layout.lane(lane);
        long head = (long) Region.I64.getVolatile(b, off + L_HEAD);
        Region.I64.setVolatile(b, off + L_TAIL, head + 5L * server.region.layout.laneCapacity);

        assertResetNaming("lane " + lane + " has tail=" + (head + 5L * server.region.layout.laneCapacity));
        assertTheOthersAreServed();
    }

    @Test
    void aForeignLaneOwnerResetsTheSenderItWasTakenFromAndNobodyElse() throws Exception {
        // garbage that names the bystander's domain, though not its process: it must not be
        // taken for a sign that the bystander died or was replaced
        long garbage = 0x5A5A5A5A5A5A5A00L | bystander.id();
        int owner = server.region.layout.lane(lane) + L_OWNER;
        Region.I64.setVolatile(server.region.buf, owner, garbage);

        assertResetNaming("lane " + lane + " was taken from its sender " + Long.toHexString(victim.identity()));
        // the liveness check frees the lane of an owner that is no live process; let it look at
        // the bystander again a few times (every 200 ms) before the bystander is tried
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((long) Region.I64.getVolatile(server.region.buf, owner) != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0L, (long) Region.I64.getVolatile(server.region.buf, owner), "the lane was freed");
        Thread.sleep(600);
        assertTheOthersAreServed();
    }

    @Test
    void blocksFreedBehindTheReadersBackAreADoubleFreeOnThatConnectionOnly() throws Exception {
        byte[] data = new byte[64 * 1024];
        hurt[0].write(data, 0, data.length);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hurt[1].available() < data.length && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(data.length, hurt[1].available(), "the victim's runs reached its connection");
        // clear the bits of the victim's blocks, as a stray process would
        BlockBitmap bitmap = new BlockBitmap(server.region.buf, server.region.layout);
        int tag = lane + 1;
        int cleared = 0;
        for (int blk = 0; blk < bitmap.blocks(); blk++) {
            if (bitmap.claimed(blk) && bitmap.tag(blk) == tag) {
                Region.I64.getAndBitwiseAnd(server.region.buf, server.region.layout.bitmapOffset + ((blk >>> 6) << 3),
                        ~(1L << (blk & 63)));
                cleared++;
            }
        }
        assertTrue(cleared >= data.length / BLOCK_SIZE, "cleared " + cleared + " blocks");

        assertResetNaming("(double free)");
        assertTheOthersAreServed();
    }

    @Test
    void aFailureInTheDaemonsOwnWorkIsCountedAndTheDaemonGoesOn() throws Exception {
        hurt[0].close();
        hurt[1].close();
        ComListener held = server.listen(81, 1);
        AtomicBoolean room = new AtomicBoolean();
        AtomicReference<RuntimeException> roomFails = new AtomicReference<>();
        BlockingQueue<ComConnection> taken = new LinkedBlockingQueue<>();
        held.deliverTo(taken::offer, () -> {
            RuntimeException e = roomFails.get();
            if (e != null) {
                throw e;
            }
            return room.get();
        });
        CompletableFuture<ComConnection> waiting = inBackground(() -> victim.connect(1, 81, 0, 0));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!held.hasHeld() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(held.hasHeld(), "the connect waits for room");
        long errors = server.stats().protocolErrors();
        // the daemon asks the sink for room while it admits held connects: that call fails
        roomFails.set(new IllegalStateException("no room today"));
        held.roomFreed();
        while (server.stats().lastError() == null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals("java.lang.IllegalStateException: no room today", server.stats().lastError());
        assertTrue(server.stats().protocolErrors() > errors, "the failure was counted");
        // only the daemon admits held connects: this one coming through shows that it goes on
        roomFails.set(null);
        room.set(true);
        held.roomFreed();
        try (ComConnection client = waiting.get(10, TimeUnit.SECONDS);
                ComConnection accepted = taken.poll(10, TimeUnit.SECONDS)) {
            assertNotNull(accepted);
            exchange(new ComConnection[] {client, accepted}, 100);
        }
        assertTheOthersAreServed();
    }

    /** Bytes from the client end to the server end, read back intact. */
    private static void exchange(ComConnection[] p, int n) throws IOException {
        byte[] sent = new byte[n];
        new PeerMain.Data(n).fill(sent, n);
        p[0].write(sent, 0, n);
        assertArrayEquals(sent, TwoProcessTest.readFully(p[1], n));
    }

    /**
     * The server end reads a reset that names the damage; the client end is told with a reset
     * too; once the victim's process is gone, what its connection held comes back.
     */
    private void assertResetNaming(String what) throws Exception {
        byte[] buf = new byte[65536];
        SocketException e = assertThrows(SocketException.class, () -> {
            while (hurt[1].read(buf, 0, buf.length, 10_000) >= 0) {
                // the reset may come after what was already readable
            }
        });
        assertTrue(e.getMessage().startsWith("Connection reset (protocol error: "), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        SocketException told = assertThrows(SocketException.class, () -> hurt[0].read(buf, 0, buf.length, 10_000));
        assertTrue(told.getMessage().startsWith("Connection reset"), told.getMessage());
        assertTrue(server.stats().protocolErrors() >= 1);
        hurt[0].close();
        hurt[1].close();
    }

    /**
     * The other sender's connection moves 4 MB intact and ends cleanly, the daemon still answers
     * a new connect, and when every connection is gone no block stays claimed.
     */
    private void assertTheOthersAreServed() throws Exception {
        byte[] data = new byte[4 << 20];
        new PeerMain.Data(3).fill(data, data.length);
        CompletableFuture<byte[]> got = inBackground(() -> TwoProcessTest.readFully(fine[1], data.length));
        fine[0].write(data, 0, data.length);
        fine[0].shutdownOutput();
        assertArrayEquals(data, got.get(30, TimeUnit.SECONDS));
        assertEquals(-1, fine[1].read(new byte[1], 0, 1, 10_000));
        fine[0].close();
        fine[1].close();
        try (ComListener other = server.listen(0, 1)) {
            CompletableFuture<ComConnection> accepted = inBackground(() -> other.accept(10_000));
            try (ComConnection c = bystander.connect(1, other.port(), 0, 5000);
                    ComConnection s = accepted.get(10, TimeUnit.SECONDS)) {
                exchange(new ComConnection[] {c, s}, 10_000);
            }
        }
        assertTrue(daemonOf(server).isAlive(), "the receive daemon is alive");
        // the victim's process goes away; whatever its connection still held is given back
        victim.close();
        ConnectionStateTest.awaitReleased(server);
        TransportInProcessTest.awaitFreeBlocks(server);
    }

    private static Thread daemonOf(ComDomain d) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("comsock-daemon-" + d.id())).findFirst().orElseThrow();
    }
}
