package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One endpoint of a com-socket stream connection: the byte stream both ways, half-close, close
 * and reset, with blocking reads and writes that spin briefly and then park (never a native wait,
 * so virtual threads unmount).
 *
 * <h2>Data path</h2>
 * The writer claims a run of blocks in the peer's region, announces it with a DATA descriptor,
 * then copies bytes in (copy 1) and publishes the stream position in the peer's connection slot
 * ({@code COMMITTED}). The reader copies out of runs in its own region (copy 2), frees each block
 * once it has read past it, and publishes {@code CONSUMED} in its slot, which is the writer's
 * credit: a writer never has more than the peer's window unread.
 *
 * <h2>Locks</h2>
 * {@code readLock} serialises readers and guards the run list's head and the freeing of blocks;
 * {@code writeLock} serialises writers and guards the writer's run. The receive daemon appends
 * runs (single producer) and flips state flags; it never takes either lock except by
 * {@code tryLock}.
 */
public final class ComConnection implements Closeable {
    static final int CONNECTING = 0;
    static final int ESTABLISHED = 1;
    static final int REFUSED = 2;
    static final int UNREACHABLE = 3;

    private static final long PARK_MAX = 250_000_000L;

    final ComDomain domain;
    final int slot;
    final int id;
    final int localPort;
    final int remoteDomain;
    final int remotePort;
    final Peer peer;
    final int window;
    private final ByteBuffer mine;
    private final int mySlot;

    volatile int state;
    volatile int remoteId;
    volatile int peerWindow;
    private int peerSlot;

    // ---- receive side: runs are appended by the daemon, consumed under readLock
    private final ReentrantLock readLock = new ReentrantLock();
    private final int runCap;
    private final int[] runBlock;
    private final int[] runCount;
    private final long[] runStart;
    private volatile int runTail;
    private int runHead;
    long expectNext;               // daemon only: stream offset the next run must start at
    private volatile long knownEnd; // end of the last announced run
    private long readPos;
    private long readBudget; // how long a reader busy-waits before it parks (adaptive)
    private long freedTo;
    private volatile Thread reader;
    volatile long finOffset = -1;   // peer's final stream length once its FIN arrived
    volatile boolean peerWriterDone;
    private boolean inputShutdown;
    private boolean runsDiscarded;

    // ---- send side, under writeLock
    private final ReentrantLock writeLock = new ReentrantLock();
    private long written;
    private long runBase;
    private long runEnd;
    private int runOff;
    private int runSize = 1;
    private long consumedSeen;
    private volatile Thread writer;
    private volatile boolean finSent;
    private volatile boolean outputShutdown;

    // ---- lifecycle
    volatile boolean closed;
    volatile String failure;       // set once the connection is reset, with the reason
    volatile boolean peerClosed;   // peer will read no more: writes fail
    private volatile Thread connector;
    private boolean released;
    boolean ownsPort;

    ComConnection(ComDomain domain, int slot, int id, int localPort, int remoteDomain, int remotePort,
            Peer peer) {
        this.domain = domain;
        this.slot = slot;
        this.id = id;
        this.localPort = localPort;
        this.remoteDomain = remoteDomain;
        this.remotePort = remotePort;
        this.peer = peer;
        this.window = domain.config.window;
        this.mine = domain.region.buf;
        this.mySlot = domain.region.layout.slot(slot);
        this.runCap = window / BLOCK_SIZE + 2;
        this.runBlock = new int[runCap];
        this.runCount = new int[runCap];
        this.runStart = new long[runCap];
        this.readBudget = domain.config.spinNanos + domain.config.yieldNanos;
        Region.I64.setVolatile(mine, mySlot + S_COMMITTED, 0L);
        Region.I64.setVolatile(mine, mySlot + S_CONSUMED, 0L);
        Region.I32.setVolatile(mine, mySlot + S_WANT_DATA, 0);
        Region.I32.setVolatile(mine, mySlot + S_WANT_CREDIT, 0);
    }

    /** The daemon learned the peer's connection id: the connection is established. */
    void established(int peerId, int peerWindowBytes) {
        this.remoteId = peerId;
        this.peerSlot = peer.slotOffset(peerId);
        this.peerWindow = peerWindowBytes;
        this.state = ESTABLISHED;
    }

    public InetSocketAddress localAddress() {
        return new InetSocketAddress(ComAddress.addressOf(domain.id()), localPort);
    }

    public InetSocketAddress remoteAddress() {
        return new InetSocketAddress(ComAddress.addressOf(remoteDomain), remotePort);
    }

    // ------------------------------------------------------------------ connect

    /** Waits for the peer's answer to our SYN; called by the connecting thread only. */
    void awaitEstablished(long timeoutNanos) throws IOException {
        long start = System.nanoTime();
        long deadline = start + (timeoutNanos > 0 ? timeoutNanos : Options.CONNECT_GIVE_UP_NANOS);
        connector = Thread.currentThread();
        boolean interrupted = false;
        // like a reader, the connecting thread first polls the lanes itself for the answer: while
        // it does, the peer need not ring our daemon, and no thread has to be woken for it
        long spinStart = System.nanoTime();
        boolean polling = domain.pollerEnter();
        try {
            while (state == CONNECTING) {
                if (closed) {
                    throw new SocketException("Socket closed");
                }
                if (failure != null) {
                    throw new SocketException(failure);
                }
                long now = System.nanoTime();
                long wait = deadline - now;
                if (wait <= 0) {
                    if (timeoutNanos > 0) {
                        throw new SocketTimeoutException("Connect timed out");
                    }
                    throw new java.net.ConnectException("Connection timed out");
                }
                if (polling) {
                    if (stillBusyWaiting(now - spinStart, readBudget)) {
                        domain.poll();
                        continue;
                    }
                    domain.pollerExit();
                    polling = false;
                    continue;
                }
                LockSupport.parkNanos(this, Math.min(wait, PARK_MAX));
                interrupted |= checkInterrupt();
            }
        } finally {
            if (polling) {
                domain.pollerExit();
            }
            connector = null;
            restoreInterrupt(interrupted);
        }
        if (state == REFUSED) {
            throw new java.net.ConnectException("Connection refused");
        }
        if (state == UNREACHABLE) {
            throw Region.noRoute(remoteDomain, "went away during connect");
        }
    }

    // ------------------------------------------------------------------ receive side

    /** Daemon: appends an announced run. Returns false if the run list is full (a protocol error). */
    boolean appendRun(int first, int count, long start) {
        int t = runTail;
        if (t - runHeadVolatile() >= runCap) {
            return false;
        }
        int i = t % runCap;
        runBlock[i] = first;
        runCount[i] = count;
        runStart[i] = start;
        expectNext = start + ((long) count << BLOCK_SHIFT);
        knownEnd = expectNext;
        runTail = t + 1;
        return true;
    }

    private volatile int runHeadPublished;

    private int runHeadVolatile() {
        return runHeadPublished;
    }

    /**
     * Reads up to {@code len} bytes; blocks until at least one byte, end of stream (-1), or an
     * error.
     *
     * @param timeoutMillis 0 for no limit, else the SO_TIMEOUT
     */
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        readLock.lock();
        try {
            long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
            long spinStart = 0;
            boolean polling = false;
            boolean parked = false;
            boolean interrupted = false;
            try {
                while (true) {
                    if (closed) {
                        throw new SocketException("Socket closed");
                    }
                    if (inputShutdown) {
                        return -1;
                    }
                    if (failure != null) {
                        // as with TCP, a reset discards what was not read yet
                        throw new SocketException(failure);
                    }
                    int n;
                    try {
                        n = readSome(b, off, len);
                    } catch (RuntimeException | InternalError fault) {
                        // a value in the region that no check foresaw, or a fault in its mapping
                        // (a file cut short; compiled code may raise that one later, though)
                        throw protocolFailure("reading the region failed: " + fault);
                    }
                    if (n != 0) {
                        if (spinStart != 0) {
                            // adaptive: busy-waiting that pays off may last longer next time,
                            // busy-waiting that ended in a park is halved
                            long max = domain.config.spinNanos + domain.config.yieldNanos;
                            readBudget = parked ? Math.max(MIN_BUDGET, readBudget / 2) : Math.min(max, readBudget * 2);
                        }
                        return n;
                    }
                    long now = System.nanoTime();
                    if (deadline != 0 && now - deadline >= 0) {
                        throw new SocketTimeoutException("Read timed out");
                    }
                    if (spinStart == 0) {
                        spinStart = now;
                        polling = domain.pollerEnter();
                    }
                    if (stillBusyWaiting(now - spinStart, readBudget)) {
                        domain.poll();
                        continue;
                    }
                    if (polling) {
                        domain.pollerExit();
                        polling = false;
                    }
                    // announce that we sleep, then look once more before parking
                    reader = Thread.currentThread();
                    Region.I32.setVolatile(mine, mySlot + S_WANT_DATA, 1);
                    if (dataOrEvent()) {
                        Region.I32.setVolatile(mine, mySlot + S_WANT_DATA, 0);
                    } else {
                        long wait = deadline == 0 ? PARK_MAX : Math.min(PARK_MAX, deadline - now);
                        parked = true;
                        LockSupport.parkNanos(this, wait);
                        interrupted |= checkInterrupt();
                    }
                    reader = null;
                    spinStart = 0;
                }
            } finally {
                reader = null;
                if (polling) {
                    domain.pollerExit();
                }
                restoreInterrupt(interrupted);
            }
        } finally {
            readLock.unlock();
            releaseIfDone();
        }
    }

    private boolean dataOrEvent() {
        long committed = (long) Region.I64.getVolatile(mine, mySlot + S_COMMITTED);
        return closed || failure != null || finOffset >= 0
                || (runHeadPublished != runTail && Math.min(committed, knownEnd) > readPos);
    }

    /** Copies what is readable now. Returns bytes read, -1 at end of stream, 0 if nothing yet. */
    private int readSome(byte[] b, int off, int len) throws IOException {
        long committed = (long) Region.I64.getAcquire(mine, mySlot + S_COMMITTED);
        int total = 0;
        int tail = runTail;
        while (total < len && runHead != tail) {
            int i = runHead % runCap;
            long start = runStart[i];
            long end = start + ((long) runCount[i] << BLOCK_SHIFT);
            long avail = Math.min(committed, end) - readPos;
            if (avail > 0) {
                int n = (int) Math.min(avail, len - total);
                mine.get(domain.region.layout.block(runBlock[i]) + (int) (readPos - start), b, off + total, n);
                readPos += n;
                total += n;
            }
            // free the blocks read past
            while (freedTo + BLOCK_SIZE <= readPos && freedTo < end) {
                int blk = runBlock[i] + (int) ((freedTo - start) >>> BLOCK_SHIFT);
                freedTo += BLOCK_SIZE;
                if (!domain.freeBlocks(blk, 1)) {
                    throw protocolFailure("block " + blk + " was freed by another process while this "
                            + "connection held it (double free)");
                }
            }
            if (readPos >= end) {
                runHead++;
                runHeadPublished = runHead;
                continue;
            }
            if (avail <= 0) {
                break;
            }
        }
        if (total > 0) {
            Region.I64.setVolatile(mine, mySlot + S_CONSUMED, readPos);
            if ((int) Region.I32.getVolatile(mine, mySlot + S_WANT_CREDIT) != 0
                    && (int) Region.I32.getAndSet(mine, mySlot + S_WANT_CREDIT, 0) != 0) {
                domain.send(peer, T_CREDIT, this, 0, 0, 0);
            }
            return total;
        }
        long fin = finOffset;
        if (fin >= 0 && readPos >= fin) {
            return -1;
        }
        return 0;
    }

    /** Bytes that can be read without blocking. */
    public int available() throws IOException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
        if (inputShutdown) {
            return 0;
        }
        long committed = (long) Region.I64.getAcquire(mine, mySlot + S_COMMITTED);
        long readable = Math.min(committed, knownEnd) - readPos;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, readable));
    }

    // ------------------------------------------------------------------ send side

    /** Writes all of {@code b[off, off+len)}; blocks while the peer's window is full. */
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        writeLock.lock();
        try {
            ByteBuffer theirs = peer.buf;
            while (len > 0) {
                checkWritable();
                if (written == runEnd) {
                    if (!nextRun()) {
                        continue;
                    }
                }
                long credit = peerWindow - (written - consumedSeen);
                if (credit <= 0) {
                    refreshCredit();
                    credit = peerWindow - (written - consumedSeen);
                    if (credit <= 0) {
                        awaitCredit();
                        continue;
                    }
                }
                int n = (int) Math.min(Math.min(len, runEnd - written), credit);
                theirs.put(runOff + (int) (written - runBase), b, off, n);
                written += n;
                off += n;
                len -= n;
                Region.I64.setVolatile(theirs, peerSlot + S_COMMITTED, written);
                if ((int) Region.I32.getVolatile(theirs, peerSlot + S_WANT_DATA) != 0
                        && (int) Region.I32.getAndSet(theirs, peerSlot + S_WANT_DATA, 0) != 0) {
                    domain.send(peer, T_NOTIFY, this, 0, 0, 0);
                }
            }
        } catch (RuntimeException | InternalError fault) {
            // a value in the peer's region that no check foresaw, or a fault in its mapping
            // (a file cut short; compiled code may raise that one later, though)
            throw protocolFailure("writing to the region of domain " + remoteDomain + " failed: " + fault);
        } finally {
            writeLock.unlock();
            if (closed || failure != null || peerClosed) {
                finishWriting();
            }
        }
    }

    /** Claims and announces the next run. False if it had to wait (the caller re-checks state). */
    private boolean nextRun() throws IOException {
        long credit = peerWindow - (written - consumedSeen);
        if (credit < BLOCK_SIZE) {
            refreshCredit();
            credit = peerWindow - (written - consumedSeen);
        }
        if (credit <= 0) {
            awaitCredit();
            return false;
        }
        int want = (int) Math.min(runSize, Math.max(1, (credit + BLOCK_SIZE - 1) >> BLOCK_SHIFT));
        int r = peer.claim(want);
        if (r < 0) {
            awaitBlocks();
            return false;
        }
        int first = r >>> 8;
        int count = r & 0xFF;
        domain.send(peer, T_DATA, this, first, count, written);
        runBase = written;
        runEnd = written + ((long) count << BLOCK_SHIFT);
        runOff = peer.blockOffset(first);
        runSize = Math.min(runSize * 2, MAX_RUN);
        return true;
    }

    private void refreshCredit() throws IOException {
        long c = (long) Region.I64.getAcquire(peer.buf, peerSlot + S_CONSUMED);
        if (c < consumedSeen || c > written) {
            throw protocolFailure("peer reported consumed=" + c + " outside " + consumedSeen + ".." + written);
        }
        consumedSeen = c;
    }

    /** Resets this connection for a broken protocol; the exception to throw to the caller. */
    private SocketException protocolFailure(String what) {
        domain.protocolError(this, what);
        return new SocketException(failure);
    }

    private void awaitCredit() throws IOException {
        writer = Thread.currentThread();
        boolean interrupted = false;
        try {
            long spinStart = System.nanoTime();
            while (true) {
                checkWritable();
                refreshCredit();
                if (peerWindow - (written - consumedSeen) > 0) {
                    return;
                }
                if (stillBusyWaiting(System.nanoTime() - spinStart)) {
                    continue;
                }
                Region.I32.setVolatile(peer.buf, peerSlot + S_WANT_CREDIT, 1);
                refreshCredit();
                if (peerWindow - (written - consumedSeen) > 0) {
                    return;
                }
                LockSupport.parkNanos(this, PARK_MAX);
                interrupted |= checkInterrupt();
            }
        } finally {
            writer = null;
            restoreInterrupt(interrupted);
        }
    }

    /** The target has no free block: back off until the owner frees some. */
    private void awaitBlocks() throws IOException {
        writer = Thread.currentThread();
        boolean interrupted = false;
        try {
            domain.stats.blockWaits.increment();
            long backoff = 10_000;
            for (int i = 0; i < 64 && !peer.bitmap.hasFree(); i++) {
                checkWritable();
                LockSupport.parkNanos(this, backoff);
                interrupted |= checkInterrupt();
                backoff = Math.min(backoff * 2, 1_000_000);
            }
        } finally {
            writer = null;
            restoreInterrupt(interrupted);
        }
    }

    private void checkWritable() throws IOException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
        if (outputShutdown) {
            throw new SocketException("Socket output is shutdown");
        }
        if (failure != null) {
            throw new SocketException(failure);
        }
        if (peerClosed || finSent) {
            throw new SocketException("Broken pipe (the peer closed the connection)");
        }
        if (peer.dead) {
            throw new SocketException("Connection reset (domain " + remoteDomain + " is gone)");
        }
    }

    /**
     * Sends our FIN once no writer is active: the holder of the write lock sends it, so no copy
     * into the peer's blocks can still be running. Called when output ends for any reason.
     */
    void finishWriting() {
        if (finSent || state != ESTABLISHED || !writeLock.tryLock()) {
            return;
        }
        try {
            if (!finSent) {
                finSent = true;
                domain.postQuietly(peer, T_FIN, this, 0, 0, written);
            }
        } finally {
            writeLock.unlock();
        }
        releaseIfDone();
    }

    // ------------------------------------------------------------------ shutdown, close, events

    /** Half-close: the peer reads end of stream after the data already written. */
    public void shutdownOutput() throws IOException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
        writeLock.lock();
        try {
            outputShutdown = true;
            if (!finSent && failure == null) {
                finSent = true;
                domain.send(peer, T_FIN, this, 0, 0, written);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Reads return end of stream from now on; data that arrives is discarded. */
    public void shutdownInput() throws IOException {
        if (closed) {
            throw new SocketException("Socket closed");
        }
        readLock.lock();
        try {
            inputShutdown = true;
        } finally {
            readLock.unlock();
        }
    }

    /** Closes like TCP: a FIN, or a reset if received data was left unread. */
    @Override
    public void close() {
        abortOrClose(false);
    }

    /** Closes with a reset, like {@code SO_LINGER} 0. */
    public void abort() {
        abortOrClose(true);
    }

    private void abortOrClose(boolean reset) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        wakeAll();
        if (state == ESTABLISHED) {
            boolean unread = (long) Region.I64.getAcquire(mine, mySlot + S_COMMITTED) > readPos;
            // the RST goes first so that the peer reads a reset, not the end of stream our FIN
            // would give it; the FIN still follows, to say that our writer is done
            if (reset || unread) {
                domain.postQuietly(peer, T_RST, this, 0, 0, 0);
            }
            finishWriting();
            if (!reset && !unread && !peerWriterDone) {
                domain.postQuietly(peer, T_CLOSE, this, 0, 0, 0);
            }
        } else if (state == CONNECTING) {
            domain.abandon(this);
        }
        releaseIfDone();
    }

    /** Daemon: the peer reset the connection, or it died, or it broke the protocol. */
    void fail(String reason) {
        if (failure == null) {
            failure = reason;
        }
        wakeAll();
        finishWriting();
        releaseIfDone();
    }

    void wakeAll() {
        LockSupport.unpark(reader);
        LockSupport.unpark(writer);
        LockSupport.unpark(connector);
    }

    void wakeReader() {
        LockSupport.unpark(reader);
    }

    void wakeWriter() {
        LockSupport.unpark(writer);
    }

    void wakeConnector() {
        LockSupport.unpark(connector);
    }

    /**
     * Frees what this connection holds once nobody can use it: the peer's writer is done (FIN,
     * reset acknowledged, or death) and we will read no more (closed, or reset). Whoever calls it
     * last does the work; it takes the read lock only by {@code tryLock}, and the reader calls it
     * again on its way out.
     */
    void releaseIfDone() {
        boolean discard = closed || failure != null;
        if (!discard || !peerWriterDone || !readLock.tryLock()) {
            return;
        }
        try {
            if (!runsDiscarded) {
                runsDiscarded = true;
                discardRuns();
            }
            if (closed && !released) {
                released = true;
                domain.release(this);
            }
        } finally {
            readLock.unlock();
        }
    }

    private void discardRuns() {
        int tail = runTail;
        while (runHead != tail) {
            int i = runHead % runCap;
            long start = runStart[i];
            long end = start + ((long) runCount[i] << BLOCK_SHIFT);
            long from = Math.max(freedTo, start);
            int first = runBlock[i] + (int) ((from - start) >>> BLOCK_SHIFT);
            int last = runBlock[i] + runCount[i];
            if (first < last) {
                domain.freeBlocks(first, last - first);
            }
            freedTo = end;
            runHead++;
        }
        runHeadPublished = runHead;
    }

    /**
     * The waiting strategy before a park: spin on the CPU, then yield it between looks (so that
     * an oversubscribed machine runs the peer), then give up. False once it is time to park.
     */
    private boolean stillBusyWaiting(long waitedNanos) {
        return stillBusyWaiting(waitedNanos, domain.config.spinNanos + domain.config.yieldNanos);
    }

    /**
     * The same within {@code budget} nanoseconds. Spinning gives way to yielding at once when more
     * threads of this domain are busy-waiting than there are cores: they would only take the CPU
     * from the threads they wait for.
     */
    private boolean stillBusyWaiting(long waitedNanos, long budget) {
        if (waitedNanos >= budget) {
            return false;
        }
        if (waitedNanos < domain.config.spinNanos && domain.pollers() <= CORES) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return true;
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final long MIN_BUDGET = 2_000;

    private static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After a park: an interrupted virtual thread closes the socket, as the JDK does ("Closed by
     * interrupt", an {@link InterruptedIOException} that {@code java.net.Socket} reports as a
     * {@code SocketException}); a platform thread, which the JDK's blocking socket calls ignore, keeps waiting
     * and gets its interrupt status back when the call returns. Returns true if it took one.
     */
    private boolean checkInterrupt() throws IOException {
        Thread t = Thread.currentThread();
        if (!t.isInterrupted()) {
            return false;
        }
        if (Threads.isVirtual(t)) {
            // the JDK's Socket streams turn this (with the interrupt status still set) into
            // "SocketException: Closed by interrupt" and close the Socket, as for its own sockets
            close();
            throw new InterruptedIOException("Closed by interrupt");
        }
        return Thread.interrupted();
    }

    /** For tests and status: bytes written and read so far. */
    long writtenBytes() {
        return written;
    }

    @Override
    public String toString() {
        return "ComConnection[" + localAddress() + " -> " + remoteAddress() + ", id=" + Integer.toHexString(id)
                + (failure != null ? ", " + failure : "") + (closed ? ", closed" : "") + "]";
    }
}
