package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The descriptor ring between a sender and a region nobody drains. */
class LaneTest {
    @TempDir
    Path dir;

    @Test
    void fillsInOrderStopsWhenFullAndRingsOnlyAnIdleDaemon() throws Exception {
        try (ComDomain sender = ComDomain.open(ComConfig.builder(1).dir(dir).build());
                Region target = Region.create(ComConfig.builder(3).dir(dir).laneCapacity(16).build())) {
            Peer p = sender.peerFor(3, 0);
            ByteBuffer b = target.buf;
            RegionLayout l = target.layout;
            assertEquals(sender.identity(), (long) Region.I64.getVolatile(b, l.lane(p.lane) + L_OWNER));
            assertNotEquals(0L, (long) Region.I64.getVolatile(b, H_ACTIVE_LANES) & (1L << p.lane));

            for (int i = 0; i < 16; i++) {
                assertTrue(p.tryPost(T_NOTIFY, 1 << 16 | 2, 100 + i, 200 + i, i, i * 2, i * 1000L));
            }
            assertFalse(p.tryPost(T_NOTIFY, 0, 0, 0, 0, 0, 0), "a full lane takes no more");
            assertEquals(16L, (long) Region.I64.getVolatile(b, l.lane(p.lane) + L_TAIL));
            for (int i = 0; i < 16; i++) {
                int d = l.descriptor(p.lane, i);
                assertEquals(T_NOTIFY, b.getInt(d + D_TYPE));
                assertEquals(1 << 16 | 2, b.getInt(d + D_PORTS));
                assertEquals(100 + i, b.getInt(d + D_SRC_CONN));
                assertEquals(200 + i, b.getInt(d + D_DST_CONN));
                assertEquals(i, b.getInt(d + D_BLOCK));
                assertEquals(i * 2, b.getInt(d + D_COUNT));
                assertEquals(i * 1000L, b.getLong(d + D_VALUE));
            }
            // the raw region has no daemon, so POLLERS is 0: every post rang the doorbell
            assertEquals(16, (int) Region.I32.getVolatile(b, H_DOORBELL));

            // the consumer frees four slots; a busy daemon (POLLERS > 0) is not rung
            Region.I64.setRelease(b, l.lane(p.lane) + L_HEAD, 4L);
            Region.I32.setVolatile(b, H_POLLERS, 1);
            for (int i = 0; i < 4; i++) {
                assertTrue(p.tryPost(T_NOTIFY, 0, 0, 0, 0, 0, 16 + i));
            }
            assertFalse(p.tryPost(T_NOTIFY, 0, 0, 0, 0, 0, 0));
            assertEquals(16, (int) Region.I32.getVolatile(b, H_DOORBELL));
            assertEquals(16L, b.getLong(l.descriptor(p.lane, 16) + D_VALUE), "the ring wrapped to slot 0");
        }
    }

    @Test
    void layoutKeepsHotWordsApartAndBlocksPageAligned() {
        RegionLayout l = RegionLayout.of(ComConfig.builder(0).build());
        assertEquals(0, l.blocksOffset % 4096);
        assertEquals(0, l.slotsOffset % CACHE_LINE);
        assertEquals(0, l.lanesOffset % CACHE_LINE);
        assertTrue(H_DOORBELL / CACHE_LINE != H_POLLERS / CACHE_LINE);
        assertTrue(S_COMMITTED / CACHE_LINE != S_CONSUMED / CACHE_LINE);
        assertTrue(L_TAIL / CACHE_LINE != L_HEAD / CACHE_LINE);
        assertEquals(l.blocksOffset + 8192L * BLOCK_SIZE, l.size);
    }

    @Test
    void theLargestConfigurationFitsOneMappingAndTwiceTheBlocksDoNot() {
        ComConfig most = ComConfig.builder(0).blocks(MAX_BLOCKS).lanes(MAX_LANES).laneCapacity(1 << 16)
                .slots(MAX_SLOTS).build();
        RegionLayout l = RegionLayout.of(most);
        assertEquals(l.blocksOffset + (long) MAX_BLOCKS * BLOCK_SIZE, l.size);
        assertTrue(l.size <= Integer.MAX_VALUE, "size=" + l.size);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RegionLayout(2 * MAX_BLOCKS, 1, 16, 16, 2 * BLOCK_SIZE));
        assertTrue(e.getMessage().startsWith("blocks=262144 makes a region of "), e.getMessage());
    }
}
