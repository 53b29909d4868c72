package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class BlockBitmapTest {
    static BlockBitmap bitmap(int blocks) {
        ByteBuffer b = ByteBuffer.allocateDirect(blocks / 8 + blocks * 4).order(ByteOrder.nativeOrder());
        return new BlockBitmap(b, 0, blocks / 8, blocks);
    }

    @Test
    void firstRunFindsTheLowestFittingRun() {
        assertEquals(0, BlockBitmap.firstRun(-1L, 8));
        assertEquals(4, BlockBitmap.firstRun(0xF0L, 4));
        assertEquals(-1, BlockBitmap.firstRun(0xF0L, 5));
        assertEquals(1, BlockBitmap.firstRun(0b1011110L, 4));
        assertEquals(-1, BlockBitmap.firstRun(0L, 1));
        assertEquals(0, BlockBitmap.firstRun(-1L, 64));
    }

    @Test
    void claimsRunsTagsThemAndFreesThem() {
        BlockBitmap bm = bitmap(128);
        int r = bm.claim(8, 1, 0, 5);
        assertEquals(0 << 8 | 8, r);
        assertTrue(bm.ownedBy(0, 8, 5));
        assertFalse(bm.ownedBy(0, 8, 6), "another lane's tag is not ours");
        assertEquals(120, bm.freeCount());
        int r2 = bm.claim(8, 1, 0, 5);
        assertEquals(8 << 8 | 8, r2);
        assertTrue(bm.tryFree(0, 8));
        assertEquals(0, bm.tag(3));
        assertFalse(bm.ownedBy(0, 8, 5));
        assertEquals(120, bm.freeCount());
    }

    @Test
    void aRunNeverCrossesAWordAndShrinksWhenSpaceIsShort() {
        BlockBitmap bm = bitmap(64);
        assertEquals(0 << 8 | 60, bm.claim(60, 1, 0, 1));
        // 4 blocks are left: a run of 8 does not fit, the smallest run does
        assertEquals(-1, bm.claim(8, 8, 0, 1));
        assertEquals(60 << 8 | 1, bm.claim(8, 1, 0, 1));
    }

    @Test
    void aDoubleFreeFreesNothingAndBadRunsAreErrors() {
        BlockBitmap bm = bitmap(128);
        bm.claim(2, 1, 0, 1);
        bm.claim(2, 1, 0, 1);
        assertTrue(bm.tryFree(0, 2));
        assertFalse(bm.tryFree(0, 2), "a double free frees nothing");
        assertFalse(bm.tryFree(1, 2), "a run that is partly free is left as it is");
        assertTrue(bm.claimed(2) && bm.claimed(3));
        assertEquals(1, bm.tag(2), "a refused free keeps the tags of the blocks still claimed");
        assertEquals(126, bm.freeCount());
        assertThrows(IllegalArgumentException.class, () -> bm.tryFree(62, 4));
        assertThrows(IllegalArgumentException.class, () -> bm.tryFree(-1, 1));
        assertFalse(bm.ownedBy(1 << 20, 1, 1));
        assertFalse(bm.ownedBy(60, 8, 1));
    }

    @Test
    void concurrentClaimersNeverShareABlock() throws Exception {
        BlockBitmap bm = bitmap(4096);
        CompletableFuture<BitSet> a = CompletableFuture.supplyAsync(() -> claimAll(bm, 1));
        CompletableFuture<BitSet> b = CompletableFuture.supplyAsync(() -> claimAll(bm, 2));
        BitSet x = a.get();
        BitSet y = b.get();
        assertFalse(x.intersects(y));
        assertEquals(4096, x.cardinality() + y.cardinality());
        assertEquals(0, bm.freeCount());
    }

    private static BitSet claimAll(BlockBitmap bm, int tag) {
        BitSet mine = new BitSet();
        int r;
        while ((r = bm.claim(3, 1, tag * 13, tag)) >= 0) {
            int first = r >>> 8;
            for (int i = first; i < first + (r & 0xFF); i++) {
                mine.set(i);
            }
        }
        return mine;
    }
}
