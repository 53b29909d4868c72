package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two domains in one JVM: the connection life cycle and the data path. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportInProcessTest {
    @TempDir
    Path dir;
    ComDomain server;
    ComDomain client;

    @BeforeEach
    void open() throws IOException {
        server = ComDomain.open(ComConfig.builder(1).dir(dir).blocks(512).window(256 * 1024).build());
        client = ComDomain.open(ComConfig.builder(2).dir(dir).blocks(512).window(256 * 1024).build());
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
    }

    @Test
    void echoBothWaysThenEndOfStream() throws Exception {
        ComListener l = server.listen(7000, 10);
        CompletableFuture<Void> srv = CompletableFuture.runAsync(() -> {
            try (ComConnection c = l.accept(0)) {
                byte[] buf = new byte[100];
                int n;
                while ((n = c.read(buf, 0, buf.length, 0)) > 0) {
                    c.write(buf, 0, n);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        try (ComConnection c = client.connect(1, 7000, 0, 1000)) {
            assertEquals("192.168.0.3", c.remoteAddress().getAddress().getHostAddress());
            assertEquals(7000, c.remoteAddress().getPort());
            byte[] msg = "hello, domain".getBytes();
            c.write(msg, 0, msg.length);
            byte[] back = new byte[msg.length];
            int got = 0;
            while (got < back.length) {
                int n = c.read(back, got, back.length - got, 5000);
                assertTrue(n > 0);
                got += n;
            }
            assertArrayEquals(msg, back);
            c.shutdownOutput();
            assertEquals(-1, c.read(back, 0, back.length, 5000));
        }
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void bulkTransferKeepsEveryByteInOrder() throws Exception {
        ComListener l = server.listen(7001, 10);
        byte[] data = new byte[8 * 1024 * 1024 + 123];
        new Random(7).nextBytes(data);
        CompletableFuture<byte[]> srv = CompletableFuture.supplyAsync(() -> {
            try (ComConnection c = l.accept(0)) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[70000];
                int n;
                while ((n = c.read(buf, 0, buf.length, 0)) > 0) {
                    md.update(buf, 0, n);
                }
                return md.digest();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try (ComConnection c = client.connect(1, 7001, 0, 1000)) {
            int[] sizes = {1, 64, 1000, 8192, 65536, 524288};
            int off = 0;
            for (int i = 0; off < data.length; i++) {
                int n = Math.min(sizes[i % sizes.length], data.length - off);
                c.write(data, off, n);
                off += n;
            }
        }
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), srv.get(30, TimeUnit.SECONDS));
        awaitFreeBlocks(server);
    }

    @Test
    void aConnectToAFullBacklogWaitsAndAGivenUpOneIsNeverAccepted() throws Exception {
        ComListener l = server.listen(7010, 1);
        ComConnection first = client.connect(1, 7010, 0, 1000);
        // the backlog is full: this one waits, times out, and withdraws its SYN
        assertThrows(SocketTimeoutException.class, () -> client.connect(1, 7010, 0, 300));
        CompletableFuture<ComConnection> third = inBackground(() -> client.connect(1, 7010, 0, 0));
        Thread.sleep(200);
        assertFalse(third.isDone(), "the connect did not wait for room");
        try (ComConnection a = l.accept(1000); ComConnection c = third.get(10, TimeUnit.SECONDS);
                ComConnection b = l.accept(1000)) {
            // the second accept is the third connect, not the one that gave up
            assertEquals(c.localAddress(), b.remoteAddress());
            c.write(new byte[] {9}, 0, 1);
            byte[] one = new byte[1];
            assertEquals(1, b.read(one, 0, 1, 5000));
            assertEquals(9, one[0]);
            assertEquals(first.localAddress(), a.remoteAddress());
            assertThrows(SocketTimeoutException.class, () -> l.accept(200));
        }
        first.close();
    }

    @Test
    void aConnectWaitingForRoomIsRefusedWhenTheListenerCloses() throws Exception {
        ComListener l = server.listen(7011, 1);
        try (ComConnection first = client.connect(1, 7011, 0, 1000)) {
            CompletableFuture<ComConnection> waiting = inBackground(() -> client.connect(1, 7011, 0, 0));
            Thread.sleep(200);
            assertFalse(waiting.isDone());
            l.close();
            Exception e = assertThrows(java.util.concurrent.ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ConnectException.class, e.getCause());
            assertEquals("Connection refused", e.getCause().getMessage());
        }
    }

    @Test
    void noListenerIsRefused() {
        ConnectException e = assertThrows(ConnectException.class, () -> client.connect(1, 9, 0, 1000));
        assertEquals("Connection refused", e.getMessage());
    }

    @Test
    void absentDomainHasNoRoute() {
        NoRouteToHostException e = assertThrows(NoRouteToHostException.class, () -> client.connect(9, 80, 0, 1000));
        assertTrue(e.getMessage().contains("domain 9 (192.168.0.11)"), e.getMessage());
    }

    @Test
    void portInUseIsABindError() throws IOException {
        server.listen(7002, 1);
        assertThrows(java.net.BindException.class, () -> server.listen(7002, 1));
    }

    @Test
    void readTimesOutAndCloseFromAnotherThreadUnblocks() throws Exception {
        ComListener l = server.listen(7003, 10);
        ComConnection c = client.connect(1, 7003, 0, 1000);
        ComConnection s = l.accept(1000);
        byte[] b = new byte[10];
        assertThrows(SocketTimeoutException.class, () -> c.read(b, 0, 10, 100));
        CompletableFuture<Throwable> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                c.read(b, 0, 10, 0);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Thread.onSpinWait();
        c.close();
        Throwable t = blocked.get(5, TimeUnit.SECONDS);
        assertInstanceOf(SocketException.class, t);
        assertEquals("Socket closed", t.getMessage());
        // the server side sees end of stream
        assertEquals(-1, s.read(b, 0, 10, 5000));
        s.close();
    }

    @Test
    void abortGivesConnectionReset() throws Exception {
        ComListener l = server.listen(7004, 10);
        ComConnection c = client.connect(1, 7004, 0, 1000);
        ComConnection s = l.accept(1000);
        c.abort();
        byte[] b = new byte[10];
        SocketException e = assertThrows(SocketException.class, () -> s.read(b, 0, 10, 5000));
        assertEquals("Connection reset", e.getMessage());
        s.close();
    }

    @Test
    void anIdleDomainWakesAtMostOnceASecond() throws Exception {
        try (ComDomain idle = ComDomain.open(ComConfig.builder(9).dir(dir).build())) {
            awaitSleeps(idle, 1);
            Thread daemon = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("comsock-daemon-9")).findFirst().orElseThrow();
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long sleeps = idle.stats().sleeps.sum();
            long cpu = mx.getThreadCpuTime(daemon.getId());
            Thread.sleep(3000);
            long woke = idle.stats().sleeps.sum() - sleeps;
            assertTrue(woke <= 4, "the daemon woke " + woke + " times in 3 s");
            long used = mx.getThreadCpuTime(daemon.getId()) - cpu;
            assertTrue(used < 10_000_000, "an idle daemon used " + used + " ns of CPU in 3 s");
        }
    }

    @Test
    void theHeaderSaysWhenTheDaemonWasLastAwake() throws Exception {
        try (ComDomain idle = ComDomain.open(ComConfig.builder(9).dir(dir).build())) {
            awaitSleeps(idle, 1);
            long before = System.currentTimeMillis();
            Region.I64.setVolatile(idle.region.buf, RegionLayout.H_HEARTBEAT, 0L);
            long sleeps = idle.stats().sleeps.sum();
            new Doorbell(idle.region.buf, RegionLayout.H_DOORBELL).ring();
            awaitSleeps(idle, sleeps + 1);
            long stamp = (long) Region.I64.getVolatile(idle.region.buf, RegionLayout.H_HEARTBEAT);
            assertTrue(stamp >= before, "stamp=" + stamp + " before=" + before);
            DomainInfo info = DomainInfo.survey(dir).stream().filter(d -> d.domain == 9).findFirst().orElseThrow();
            assertEquals(stamp, info.heartbeatMillis, "what status tools read");
        }
    }

    private static void awaitSleeps(ComDomain d, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (d.stats().sleeps.sum() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(d.stats().sleeps.sum() >= n, "the daemon went to sleep");
    }

    static void awaitFreeBlocks(ComDomain d) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (d.freeBlocks() != d.totalBlocks() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(d.totalBlocks(), d.freeBlocks(), "every block is free again");
    }

    /** An I/O call that returns a value. */
    interface IoCall<T> {
        T call() throws IOException;
    }

    /** Runs {@code call} on another thread; the future's failure is the call's exception itself. */
    static <T> CompletableFuture<T> inBackground(IoCall<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
