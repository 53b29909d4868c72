package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The transport's in-process steps one at a time, for microbenchmarks (JMH, in {@code bench/}):
 * two domains in this JVM, a sender and a receiver, with one connection between them. The
 * receiver counts as polling all along, as it does while a reader spins, so no step rings its
 * daemon. Not for applications.
 */
public final class TransportParts implements Closeable {
    private static final int PORT = 7000;

    private final ComDomain receiver;
    private final ComDomain sender;
    private final ComConnection client;
    private final ComConnection server;
    private final Peer peer;
    /** A run of 64 blocks (512 KB) in the receiver's region, held for the copies. */
    private final int copyRun;

    private TransportParts(ComDomain receiver, ComDomain sender, ComConnection client, ComConnection server) {
        this.receiver = receiver;
        this.sender = sender;
        this.client = client;
        this.server = server;
        this.peer = client.peer;
        // in the last bitmap word, out of the way of the claims measured
        int run = peer.bitmap.claim(64, 64, (receiver.totalBlocks() >>> 6) - 1, peer.tag);
        if (run < 0) {
            throw new IllegalStateException("no free run of 64 blocks in a fresh region");
        }
        this.copyRun = run >>> 8;
        receiver.pollerEnter();
    }

    /** Opens the two domains (2 sends, 3 receives) with their regions in {@code dir}, and connects them. */
    public static TransportParts open(Path dir) throws IOException {
        ComDomain receiver = ComDomain.open(ComConfig.builder(3).dir(dir).build());
        ComDomain sender = null;
        try {
            sender = ComDomain.open(ComConfig.builder(2).dir(dir).build());
            ComListener listener = receiver.listen(PORT, 1);
            ComConnection client = sender.connect(3, PORT, 0, 10_000);
            ComConnection server = listener.accept(10_000);
            listener.close();
            return new TransportParts(receiver, sender, client, server);
        } catch (IOException | RuntimeException e) {
            if (sender != null) {
                sender.close();
            }
            receiver.close();
            throw e;
        }
    }

    /** The sending end of the connection (in domain 2). */
    public ComConnection client() {
        return client;
    }

    /** The receiving end of the connection (in domain 3). */
    public ComConnection server() {
        return server;
    }

    /**
     * The sender claims a run of {@code blocks} (1..8) in the receiver's bitmap, as a writer does,
     * and the receiver frees it, as a reader does once it has copied the data out.
     *
     * @return the run claimed, {@code first << 8 | count}
     */
    public int claimAndFree(int blocks) {
        int run = peer.claim(blocks);
        if (run < 0) {
            throw new IllegalStateException("no free block");
        }
        receiver.freeBlocks(run >>> 8, run & 0xFF);
        return run;
    }

    /**
     * The sender publishes {@code count} descriptors (NOTIFY, on the connection) into its lane of
     * the receiver's region, and the receiver drains and dispatches them.
     */
    public void publishAndDrain(int count) throws IOException {
        for (int i = 0; i < count; i++) {
            sender.send(peer, T_NOTIFY, client, 0, 0, 0);
        }
        ByteBuffer b = receiver.region.buf;
        int lane = receiver.region.layout.lane(peer.lane);
        while ((long) Region.I64.getAcquire(b, lane + L_HEAD) != (long) Region.I64.getAcquire(b, lane + L_TAIL)) {
            receiver.poll();
        }
    }

    /** Copy 1: the sender copies {@code len} (up to 512 KB) bytes into blocks of the receiver's region. */
    public void copyIn(byte[] src, int len) {
        peer.buf.put(peer.blockOffset(copyRun), src, 0, len);
    }

    /** Copy 2: the receiver copies {@code len} (up to 512 KB) bytes out of blocks of its own region. */
    public void copyOut(byte[] dst, int len) {
        receiver.region.buf.get(receiver.region.layout.block(copyRun), dst, 0, len);
    }

    @Override
    public void close() throws IOException {
        receiver.pollerExit();
        client.close();
        server.close();
        sender.close();
        receiver.close();
    }
}
