package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two domains in two processes, the case com-socket exists for. The second JVM runs
 * {@link PeerMain}. Each write size moves 256 MB; with {@code -Dcomsock.soak=true}, 1 GB (and the
 * transfer both ways 512 MB each way instead of 64 MB).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TwoProcessTest {
    static final boolean SOAK = Boolean.getBoolean("comsock.soak");
    static final int MB = 1 << 20;

    @TempDir
    Path dir;
    ComDomain local;

    @BeforeEach
    void open() throws IOException {
        local = ComDomain.open(ComConfig.builder(1).dir(dir).build());
    }

    @AfterEach
    void close() throws IOException {
        local.close();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // 1 GB in one-byte writes, with the soak flag
    void movesAtLeast256MegabytesIntactAtEveryWriteSize() throws Exception {
        int[] sizes = {1, 64, 1024, 8192, 65536, 524288};
        long bytes = (SOAK ? 1024L : 256L) * MB;
        try (ChildProcess child = ChildProcess.start("sink", dir, 2, 5000)) {
            child.await("READY", 30);
            for (int i = 0; i < sizes.length; i++) {
                try (ComConnection c = local.connect(2, 5000, 0, 5000)) {
                    // "bytes:sha256" of what was written, against what the child read
                    String sent = PeerMain.send(c, bytes, sizes[i], i);
                    c.shutdownOutput();
                    assertEquals(sent, readLine(c), "byte count and SHA-256 at write size " + sizes[i]);
                }
            }
        }
        TransportInProcessTest.awaitFreeBlocks(local);
    }

    @Test
    void trafficBothWaysAtOnce() throws Exception {
        long bytes = (SOAK ? 512L : 64L) * MB;
        try (ChildProcess child = ChildProcess.start("duplex", dir, 2, 5001, Long.toString(bytes))) {
            child.await("READY", 30);
            ComConnection c = local.connect(2, 5001, 0, 5000);
            ExecutorService ex = Executors.newSingleThreadExecutor();
            Future<String> sending = ex.submit(() -> {
                String s = PeerMain.send(c, bytes, 65536, 7);
                c.shutdownOutput();
                return s;
            });
            String received = PeerMain.digest(c);
            String sent = sending.get(60, TimeUnit.SECONDS);
            ex.shutdown();
            assertEquals(child.await("sent=", 30), received, "what the child sent arrived intact");
            assertEquals(sent, child.await("received=", 30), "what we sent arrived intact");
            c.close();
        }
    }

    @Test
    void hundredConcurrentConnections() throws Exception {
        int n = 100;
        try (ChildProcess child = ChildProcess.start("echo", dir, 2, 5002)) {
            child.await("READY", 30);
            ExecutorService ex = Executors.newFixedThreadPool(n);
            CountDownLatch allOpen = new CountDownLatch(n);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int seed = i;
                results.add(ex.submit(() -> {
                    try (ComConnection c = local.connect(2, 5002, 0, 10_000)) {
                        allOpen.countDown();
                        assertTrue(allOpen.await(30, TimeUnit.SECONDS), "all connections open at once");
                        byte[] data = new byte[200_000 + seed];
                        new Random(seed).nextBytes(data);
                        c.write(data, 0, data.length);
                        byte[] back = readFully(c, data.length);
                        return Arrays.equals(data, back);
                    }
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get(60, TimeUnit.SECONDS), "echo intact");
            }
            ex.shutdown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (local.openConnections() > 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(0, local.openConnections(), "every connection was released after close");
        }
    }

    @Test
    void slowReaderDoesNotStallAnotherConnection() throws Exception {
        try (ChildProcess child = ChildProcess.start("slow", dir, 2, 5003)) {
            child.await("READY", 30);
            ComConnection stalled = local.connect(2, 5003, 0, 5000);
            Thread stuckWriter = new Thread(() -> {
                byte[] buf = new byte[65536];
                try {
                    while (true) {
                        stalled.write(buf, 0, buf.length);
                    }
                } catch (IOException expectedAtClose) {
                    // the test closes the connection under it
                }
            });
            stuckWriter.setDaemon(true);
            stuckWriter.start();
            int window = local.config.window;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stalled.writtenBytes() < window && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(window, stalled.writtenBytes(), "the writer fills exactly the peer's window");
            try (ComConnection other = local.connect(2, 5003, 0, 5000)) {
                String sent = PeerMain.send(other, 32L * MB, 65536, 3);
                other.shutdownOutput();
                assertEquals(sent, readLine(other));
            }
            assertEquals(window, stalled.writtenBytes(), "the stalled writer was held back all along");
            assertTrue(stuckWriter.isAlive());
            assertEquals(Integer.toString(window), child.await("stalledAvailable=", 30));
            stalled.close();
            stuckWriter.join(5000);
            assertFalse(stuckWriter.isAlive(), "closing the socket released its blocked writer");
        }
    }

    @Test
    void readerSeesResetWithinOneSecondOfSigkillAndGetsItsBlocksBack() throws Exception {
        ChildProcess child = ChildProcess.start("source", dir, 2, 5004);
        child.await("READY", 30);
        ComConnection c = local.connect(2, 5004, 0, 5000);
        byte[] buf = new byte[65536];
        long got = 0;
        while (got < 64L * MB) {
            got += c.read(buf, 0, buf.length, 10_000);
        }
        long killedAt = System.nanoTime();
        child.process.destroyForcibly();
        SocketException e = assertThrows(SocketException.class, () -> {
            while (c.read(buf, 0, buf.length, 10_000) > 0) {
                // drain until the reset
            }
        });
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertTrue(e.getMessage().startsWith("Connection reset"), e.getMessage());
        assertTrue(ms < 1000, "reset seen after " + ms + " ms");
        // the blocks come back with the reset, before the connection is closed
        TransportInProcessTest.awaitFreeBlocks(local);
        c.close();
        child.close();
        // a dead domain has no route, though its stale region is still there
        assertTrue(Files.exists(Region.pathOf(dir, 2)), "the dead process's region is left behind");
        NoRouteToHostException dead = assertThrows(NoRouteToHostException.class, () -> local.connect(2, 5004, 0, 5000));
        assertTrue(dead.getMessage().startsWith("No route to host: domain 2 (192.168.0.4) is not running"),
                dead.getMessage());
        assertThrows(NoRouteToHostException.class,
                () -> new ComSocket(local, InetAddress.getByName("192.168.0.4"), 5004).close());
        // a new process takes the domain over, and it works
        try (ChildProcess again = ChildProcess.start("sink", dir, 2, 5005)) {
            again.await("READY", 30);
            try (ComConnection c2 = local.connect(2, 5005, 0, 5000)) {
                String sent = PeerMain.send(c2, MB, 4096, 11);
                c2.shutdownOutput();
                assertEquals(sent, readLine(c2));
            }
        }
    }

    @Test
    void aConnectWaitingForRoomWhenItsPeerIsKilledHasNoRoute() throws Exception {
        try (ChildProcess child = ChildProcess.start("deaf", dir, 2, 5007)) {
            child.await("READY", 30);
            // the child's backlog takes one connection and it never accepts: the next one waits
            try (ComConnection first = local.connect(2, 5007, 0, 5000)) {
                CompletableFuture<ComConnection> waiting =
                        TransportInProcessTest.inBackground(() -> local.connect(2, 5007, 0, 0));
                Thread.sleep(300);
                assertFalse(waiting.isDone(), "the connect waits for room");
                child.process.destroyForcibly();
                ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
                assertInstanceOf(NoRouteToHostException.class, e.getCause());
                assertTrue(e.getCause().getMessage().endsWith("went away during connect"), e.getCause().getMessage());
            }
        }
    }

    @Test
    void aPeerThatClosesAndExitsReadsAsAnOrderlyClose() throws Exception {
        byte[] expected = new byte[100_000];
        new PeerMain.Data(7).fill(expected, expected.length);
        for (int round = 0; round < 3; round++) {
            try (ChildProcess child = ChildProcess.start("last-words", dir, 2, 5010 + round)) {
                child.await("READY", 30);
                try (ComConnection c = local.connect(2, 5010 + round, 0, 5000)) {
                    assertTrue(child.process.waitFor(30, TimeUnit.SECONDS));
                    // let the liveness check see the exit before we read anything
                    Thread.sleep(400);
                    byte[] got = new byte[expected.length];
                    int n = 0;
                    while (n < got.length) {
                        int r = c.read(got, n, got.length - n, 10_000);
                        assertTrue(r > 0, "end of stream after " + n + " bytes");
                        n += r;
                    }
                    assertArrayEquals(expected, got);
                    assertEquals(-1, c.read(got, 0, 1, 10_000), "end of stream after the last byte");
                }
            }
        }
        assertEquals(0, local.openConnections());
    }

    @Test
    void writerSeesResetWithinOneSecondOfSigkill() throws Exception {
        ChildProcess child = ChildProcess.start("sink", dir, 2, 5006);
        child.await("READY", 30);
        ComConnection c = local.connect(2, 5006, 0, 5000);
        byte[] buf = new byte[65536];
        for (int i = 0; i < 512; i++) {
            c.write(buf, 0, buf.length);
        }
        long killedAt = System.nanoTime();
        child.process.destroyForcibly();
        SocketException e = assertThrows(SocketException.class, () -> {
            while (true) {
                c.write(buf, 0, buf.length);
            }
        });
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertTrue(e.getMessage().startsWith("Connection reset"), e.getMessage());
        assertTrue(ms < 1000, "reset seen after " + ms + " ms");
        c.close();
        child.close();
        assertEquals(0, local.openConnections());
    }

    @Test
    void corruptedDescriptorsResetOnlyTheirConnection() throws Exception {
        ComListener l = local.listen(6000, 10);
        try (ChildProcess child = ChildProcess.start("corrupt", dir, 2, 6000, "1")) {
            ComConnection victim = l.accept(30_000);
            ComConnection bystander = l.accept(30_000);
            child.await("READY", 30);
            SocketException e = assertThrows(SocketException.class, () -> readFully(victim, 100));
            assertTrue(e.getMessage().contains("protocol error"), e.getMessage());
            byte[] expected = new byte[MB];
            new PeerMain.Data(5).fill(expected, expected.length);
            assertArrayEquals(expected, readFully(bystander, MB));
            assertEquals(-1, bystander.read(new byte[1], 0, 1, 5000));
            assertTrue(local.stats().protocolErrors() >= 1);
            victim.close();
            bystander.close();
        }
    }

    static byte[] readFully(ComConnection c, int n) throws IOException {
        byte[] b = new byte[n];
        int got = 0;
        while (got < n) {
            int r = c.read(b, got, n - got, 30_000);
            if (r < 0) {
                throw new IOException("end of stream after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return b;
    }

    static String readLine(ComConnection c) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] one = new byte[1];
        while (c.read(one, 0, 1, 30_000) == 1 && one[0] != '\n') {
            sb.append((char) one[0]);
        }
        return sb.toString();
    }
}
