package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link ComSocket} and {@link ComServerSocket} behave as java.net sockets do. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ComSocketTest {
    @TempDir
    Path dir;
    ComDomain server;
    ComDomain client;

    @BeforeEach
    void open() throws IOException {
        server = ComDomain.open(ComConfig.builder(3).dir(dir).build());
        client = ComDomain.open(ComConfig.builder(4).dir(dir).build());
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
    }

    static InetAddress ip(String s) throws IOException {
        return InetAddress.getByName(s);
    }

    @Test
    void streamsAddressesAndHalfClose() throws Exception {
        try (ServerSocket ss = new ComServerSocket(server, 8080, 50)) {
            assertEquals(8080, ss.getLocalPort());
            CompletableFuture<String> srv = CompletableFuture.supplyAsync(() -> {
                try (Socket s = ss.accept()) {
                    assertEquals(ip("192.168.0.6"), s.getInetAddress());
                    assertEquals(ip("192.168.0.5"), s.getLocalAddress());
                    assertEquals(8080, s.getLocalPort());
                    String got = new String(s.getInputStream().readAllBytes());
                    s.getOutputStream().write(("echo:" + got).getBytes());
                    return got;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (Socket s = new ComSocket(client)) {
                s.connect(new InetSocketAddress("192.168.0.5", 8080), 2000);
                assertTrue(s.isConnected());
                assertEquals(new InetSocketAddress(ip("192.168.0.5"), 8080), s.getRemoteSocketAddress());
                assertEquals(ip("192.168.0.6"), s.getLocalAddress());
                assertTrue(s.getLocalPort() >= 49152);
                OutputStream out = s.getOutputStream();
                out.write('h');
                out.write("ello".getBytes());
                s.shutdownOutput();
                assertTrue(s.isOutputShutdown());
                assertEquals("echo:hello", new String(s.getInputStream().readAllBytes()));
            }
            assertEquals("hello", srv.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void soTimeoutOnReadAndAccept() throws Exception {
        try (ServerSocket ss = new ComServerSocket(server, 8081, 50)) {
            ss.setSoTimeout(100);
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, ss::accept);
            assertEquals("Accept timed out", e.getMessage());
            try (Socket c = new ComSocket(client, ip("192.168.0.5"), 8081); Socket s = ss.accept()) {
                c.setSoTimeout(100);
                assertEquals(100, c.getSoTimeout());
                e = assertThrows(SocketTimeoutException.class, () -> c.getInputStream().read());
                assertEquals("Read timed out", e.getMessage());
                // the socket is still usable after a timeout
                s.getOutputStream().write(42);
                assertEquals(42, c.getInputStream().read());
            }
        }
    }

    @Test
    void errorsAreTheJdkOnes() throws Exception {
        ConnectException refused = assertThrows(ConnectException.class, () -> new ComSocket(client, ip("192.168.0.5"), 9));
        assertEquals("Connection refused", refused.getMessage());
        NoRouteToHostException absent = assertThrows(NoRouteToHostException.class,
                () -> new ComSocket(client, ip("192.168.0.100"), 80));
        assertTrue(absent.getMessage().contains("domain 98 (192.168.0.100)"), absent.getMessage());
        NoRouteToHostException invalid = assertThrows(NoRouteToHostException.class,
                () -> new ComSocket(client, ip("192.168.0.1"), 80));
        assertTrue(invalid.getMessage().contains("192.168.0.1"), invalid.getMessage());
        try (ServerSocket ss = new ComServerSocket(server, 8082, 50)) {
            BindException inUse = assertThrows(BindException.class, () -> new ComServerSocket(server, 8082, 50));
            assertTrue(inUse.getMessage().startsWith("Address already in use"), inUse.getMessage());
        }
        try (ServerSocket ss = new ComServerSocket(server)) {
            BindException foreign = assertThrows(BindException.class,
                    () -> ss.bind(new InetSocketAddress(ip("192.168.0.9"), 8083)));
            assertTrue(foreign.getMessage().startsWith("Cannot assign requested address"), foreign.getMessage());
        }
    }

    @Test
    void closeFromAnotherThreadUnblocksTheReader() throws Exception {
        try (ServerSocket ss = new ComServerSocket(server, 8084, 50)) {
            Socket c = new ComSocket(client, ip("192.168.0.5"), 8084);
            try (Socket s = ss.accept()) {
                Throwable[] failure = new Throwable[1];
                Thread reader = new Thread(() -> {
                    try {
                        c.getInputStream().read();
                    } catch (Throwable t) {
                        failure[0] = t;
                    }
                });
                reader.start();
                awaitParked(reader);
                c.close();
                reader.join(5000);
                assertFalse(reader.isAlive());
                assertInstanceOf(SocketException.class, failure[0]);
                assertEquals("Socket closed", failure[0].getMessage());
                assertEquals(-1, s.getInputStream().read(), "the peer sees end of stream");
            }
        }
    }

    @Test
    void soLingerZeroResetsThePeer() throws Exception {
        try (ServerSocket ss = new ComServerSocket(server, 8085, 50)) {
            Socket c = new ComSocket(client, ip("192.168.0.5"), 8085);
            try (Socket s = ss.accept()) {
                c.setSoLinger(true, 0);
                c.close();
                SocketException e = assertThrows(SocketException.class, () -> s.getInputStream().read());
                assertEquals("Connection reset", e.getMessage());
            }
        }
    }

    @Test
    void blockedVirtualThreadsDoNotPinTheirCarriers() throws Exception {
        Method ofVirtual;
        try {
            ofVirtual = Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException java17) {
            Assumptions.abort("virtual threads need Java 21+");
            return;
        }
        int n = 64;
        try (ServerSocket ss = new ComServerSocket(server, 8086, n)) {
            List<Socket> clients = new ArrayList<>();
            List<Socket> accepted = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                clients.add(new ComSocket(client, ip("192.168.0.5"), 8086));
                accepted.add(ss.accept());
            }
            Object builder = ofVirtual.invoke(null);
            Method unstarted = Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class);
            List<Thread> threads = new ArrayList<>();
            int[] got = new int[n];
            for (int i = 0; i < n; i++) {
                int k = i;
                Thread t = (Thread) unstarted.invoke(builder, (Runnable) () -> {
                    try {
                        got[k] = clients.get(k).getInputStream().read();
                    } catch (IOException e) {
                        got[k] = -2;
                    }
                });
                threads.add(t);
                t.start();
            }
            // with pinning, only as many readers as there are carriers could be blocked at once
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (threads.stream().anyMatch(t -> t.getState() != Thread.State.WAITING
                    && t.getState() != Thread.State.TIMED_WAITING) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            for (Thread t : threads) {
                assertTrue(t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING,
                        "every reader is parked: " + t.getState());
            }
            for (int i = 0; i < n; i++) {
                accepted.get(i).getOutputStream().write(i);
            }
            for (int i = 0; i < n; i++) {
                threads.get(i).join(5000);
                assertEquals(i, got[i]);
            }
            for (int i = 0; i < n; i++) {
                clients.get(i).close();
                accepted.get(i).close();
            }
        }
    }

    @Test
    void interruptingAVirtualThreadClosesItsSocketAsTheJdkDoes() throws Exception {
        Method ofVirtual;
        try {
            ofVirtual = Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException java17) {
            Assumptions.abort("virtual threads need Java 21+");
            return;
        }
        try (ServerSocket ss = new ComServerSocket(server, 8087, 5)) {
            Socket c = new ComSocket(client, ip("192.168.0.5"), 8087);
            try (Socket s = ss.accept()) {
                Throwable[] failure = new Throwable[1];
                Object builder = ofVirtual.invoke(null);
                Thread reader = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                        .invoke(builder, (Runnable) () -> {
                            try {
                                c.getInputStream().read();
                            } catch (Throwable t) {
                                failure[0] = t;
                            }
                        });
                reader.start();
                awaitParked(reader);
                reader.interrupt();
                reader.join(5000);
                assertInstanceOf(SocketException.class, failure[0]);
                assertEquals("Closed by interrupt", failure[0].getMessage());
                assertEquals(-1, s.getInputStream().read(), "the interrupt closed the socket: the peer sees end of stream");
            }
        }
    }

    @Test
    void interruptingAPlatformThreadLeavesTheReadWaitingAndKeepsTheStatus() throws Exception {
        try (ServerSocket ss = new ComServerSocket(server, 8088, 5);
                Socket c = new ComSocket(client, ip("192.168.0.5"), 8088);
                Socket s = ss.accept()) {
            int[] got = {-2};
            boolean[] stillInterrupted = new boolean[1];
            Thread reader = new Thread(() -> {
                try {
                    got[0] = c.getInputStream().read();
                    stillInterrupted[0] = Thread.currentThread().isInterrupted();
                } catch (IOException e) {
                    got[0] = -3;
                }
            });
            reader.start();
            awaitParked(reader);
            reader.interrupt();
            awaitParked(reader);
            s.getOutputStream().write(7);
            reader.join(5000);
            assertEquals(7, got[0], "the read went on after the interrupt");
            assertTrue(stillInterrupted[0], "the interrupt status is kept");
        }
    }

    /** Waits until {@code t} is parked, so that the close meets a reader that really waits. */
    static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Thread.State state;
        // one reading per round: a timed park can end between two readings of the same round
        while ((state = t.getState()) != Thread.State.WAITING && state != Thread.State.TIMED_WAITING
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING, "the reader parked: " + state);
    }
}
