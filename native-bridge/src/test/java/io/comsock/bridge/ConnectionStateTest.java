package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The connection state machine: each transition of docs/PROTOCOL.md, seen from both ends. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectionStateTest {
    @TempDir
    Path dir;
    ComDomain a;
    ComDomain b;
    ComListener listener;

    @BeforeEach
    void open() throws IOException {
        a = ComDomain.open(ComConfig.builder(1).dir(dir).blocks(256).window(64 * 1024).build());
        b = ComDomain.open(ComConfig.builder(2).dir(dir).blocks(256).window(64 * 1024).build());
        listener = b.listen(80, 10);
    }

    @AfterEach
    void close() throws IOException {
        a.close();
        b.close();
    }

    private ComConnection[] pair() throws IOException {
        ComConnection c = a.connect(2, 80, 0, 2000);
        ComConnection s = listener.accept(2000);
        return new ComConnection[] {c, s};
    }

    private static void write(ComConnection c, String s) throws IOException {
        byte[] bytes = s.getBytes();
        c.write(bytes, 0, bytes.length);
    }

    private static String read(ComConnection c, int n) throws IOException {
        return new String(TwoProcessTest.readFully(c, n));
    }

    @Test
    void halfCloseEachWayThenClose() throws Exception {
        ComConnection[] p = pair();
        write(p[0], "request");
        p[0].shutdownOutput();
        assertEquals("request", read(p[1], 7));
        assertEquals(-1, p[1].read(new byte[1], 0, 1, 2000), "FIN gives end of stream");
        // the other direction is still open
        write(p[1], "reply");
        assertEquals("reply", read(p[0], 5));
        SocketException e = assertThrows(SocketException.class, () -> write(p[0], "x"));
        assertEquals("Socket output is shutdown", e.getMessage());
        p[1].close();
        assertEquals(-1, p[0].read(new byte[1], 0, 1, 2000));
        p[0].close();
        awaitReleased(a);
        awaitReleased(b);
    }

    @Test
    void writingToAClosedPeerIsABrokenPipe() throws Exception {
        ComConnection[] p = pair();
        p[1].close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        SocketException e = null;
        while (e == null && System.nanoTime() < deadline) {
            try {
                write(p[0], "x");
                assertEquals(-1, p[0].read(new byte[1], 0, 1, 100));
            } catch (SocketTimeoutException notYet) {
                // the peer's CLOSE is on its way
            } catch (SocketException expected) {
                e = expected;
            }
        }
        assertNotNull(e);
        assertTrue(e.getMessage().startsWith("Broken pipe"), e.getMessage());
        p[0].close();
    }

    @Test
    void closingWithUnreadDataResetsThePeer() throws Exception {
        ComConnection[] p = pair();
        write(p[0], "never read");
        while (p[1].available() == 0) {
            Thread.onSpinWait();
        }
        p[1].close();
        SocketException e = assertThrows(SocketException.class, () -> p[0].read(new byte[1], 0, 1, 5000));
        assertEquals("Connection reset", e.getMessage());
        p[0].close();
        awaitReleased(a);
        awaitReleased(b);
        TransportInProcessTest.awaitFreeBlocks(b);
    }

    @Test
    void shutdownInputReadsEndOfStream() throws Exception {
        ComConnection[] p = pair();
        p[1].shutdownInput();
        assertEquals(-1, p[1].read(new byte[4], 0, 4, 1000));
        p[0].close();
        p[1].close();
    }

    @Test
    void connectToASilentDomainTimesOut() throws Exception {
        try (Region silent = Region.create(ComConfig.builder(7).dir(dir).build())) {
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> a.connect(7, 80, 0, 200));
            assertEquals("Connect timed out", e.getMessage());
        }
    }

    @Test
    void secondOwnerOfADomainIsRefusedByName() {
        DomainInUseException e = assertThrows(DomainInUseException.class,
                () -> ComDomain.open(ComConfig.builder(1).dir(dir).build()));
        assertTrue(e.getMessage().startsWith("domain=1 is already owned"), e.getMessage());
    }

    @Test
    void aClaimedDomainIsOwnedBeforeItOpensAndServesWhatCameMeanwhile() throws Exception {
        ComDomain.Claim claim = ComDomain.claim(ComConfig.builder(6).dir(dir).build());
        try {
            DomainInUseException e = assertThrows(DomainInUseException.class,
                    () -> ComDomain.claim(ComConfig.builder(6).dir(dir).build()));
            assertTrue(e.getMessage().startsWith("domain=6 is already owned"), e.getMessage());
            // a peer may connect at once: its request waits in the region until the domain opens
            java.util.concurrent.CompletableFuture<ComConnection> connecting = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return a.connect(6, 90, 0, 10_000);
                        } catch (IOException io) {
                            throw new java.io.UncheckedIOException(io);
                        }
                    });
            Thread.sleep(300);
            assertFalse(connecting.isDone(), "nothing answers before the domain opens");
            try (ComDomain d = claim.open(); ComListener l = d.listen(90, 1)) {
                // the request came before the listener: it is refused, as by any closed port,
                // or it finds the listener if the daemon drains after the listen
                try {
                    ComConnection c = connecting.get(10, TimeUnit.SECONDS);
                    l.accept(2000).close();
                    c.close();
                } catch (java.util.concurrent.ExecutionException refused) {
                    assertInstanceOf(java.net.ConnectException.class, refused.getCause().getCause(), refused.toString());
                }
                assertThrows(IllegalStateException.class, claim::open, "a claim opens once");
            }
        } finally {
            claim.close();
        }
        assertFalse(java.nio.file.Files.exists(Region.pathOf(dir, 6)), "the closed domain removed its region");
    }

    @Test
    void aClaimGivenUpFreesTheDomain() throws Exception {
        ComDomain.Claim claim = ComDomain.claim(ComConfig.builder(6).dir(dir).build());
        claim.close();
        assertFalse(java.nio.file.Files.exists(Region.pathOf(dir, 6)));
        try (ComDomain d = ComDomain.open(ComConfig.builder(6).dir(dir).build())) {
            assertEquals(6, d.id());
        }
    }

    @Test
    void regionsArePrivateUnlessAGroupIsNamed() throws Exception {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
                java.nio.file.Files.getPosixFilePermissions(Region.pathOf(dir, 1));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(perms));
        Path shared = dir.resolve("shared");
        String group = java.nio.file.Files.readAttributes(dir, java.nio.file.attribute.PosixFileAttributes.class).group().getName();
        try (ComDomain d = ComDomain.open(ComConfig.builder(5).dir(shared).group(group).build())) {
            assertEquals("rwxrwx---", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(shared)));
            assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(Region.pathOf(shared, 5))));
            assertEquals(group, java.nio.file.Files.readAttributes(Region.pathOf(shared, 5),
                    java.nio.file.attribute.PosixFileAttributes.class).group().getName());
        }
        assertFalse(java.nio.file.Files.exists(Region.pathOf(shared, 5)), "a closed domain removes its region");
    }

    @Test
    void badConfigurationIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ComConfig.builder(1).blocks(1000).build());
        assertEquals("blocks=1000 is invalid (expected a power of two in 64..131072)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ComConfig.builder(1).blocks(1 << 18).build());
        assertEquals("blocks=262144 is invalid (expected a power of two in 64..131072)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ComConfig.builder(300).build());
        assertEquals("domain=300 is out of range (expected 0..252)", e.getMessage());
    }

    static void awaitReleased(ComDomain d) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (d.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, d.openConnections(), "all connections released");
    }
}
