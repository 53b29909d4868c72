package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import com.sun.jna.Memory;
import java.io.Closeable;
import java.lang.invoke.VarHandle;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The local domain: this process's identity on the com-socket network, its region, its receive
 * daemon, its ports and its connections.
 *
 * <h2>The receive daemon</h2>
 * A platform thread drains the lanes of this domain's region: it validates each descriptor and
 * hands it to its connection or listener. Its status flag is the header word {@code POLLERS}, the
 * number of threads polling the lanes right now; senders ring the doorbell (a futex wake) only
 * when it is 0, as the paper sends its IPI only to an idle daemon. A reader that is spinning for
 * data counts as a poller and drains the lanes itself, so a busy connection needs no wake-up at
 * all. When nothing comes, the daemon sleeps in {@code futex(FUTEX_WAIT)}, a second at most; an
 * idle domain uses next to no CPU.
 *
 * <h2>Faults</h2>
 * Every descriptor is checked before use: its type, its connection id and generation, that its
 * sender is the connection's peer, that a run lies inside the region, is claimed and tagged by
 * the sending lane, is attached to no connection yet, and continues the stream exactly. A bad one
 * resets the one connection it names; a lane header or owner written behind this domain's back
 * resets the connections of that lane's sender; a failure that no check foresaw is counted (as a
 * protocol error), resets the connection it concerns, and never stops the daemon. Every 200 ms
 * while connections are open (1 s while it only knows peers; never while it knows nobody),
 * the daemon probes its peers' locks: a dead peer's connections fail at once ("Connection
 * reset", or end of stream if the peer had finished writing), and the blocks and lane it held
 * in this region are reclaimed.
 */
public final class ComDomain implements Closeable {
    private static final int EPHEMERAL_FIRST = 49152;
    private static final int EPHEMERAL_LAST = 65535;
    private static final long TICK_BUSY_NANOS = 200_000_000L;
    private static final long TICK_IDLE_NANOS = 1_000_000_000L;
    /** How long a control descriptor waits for room in a lane before the daemon takes it over. */
    private static final long CONTROL_WAIT_NANOS = 5_000_000L;

    final ComConfig config;
    final Region region;
    final Stats stats = new Stats();
    private final BlockBitmap bitmap;
    private final AtomicLongArray attached;
    private final ReentrantLock drainLock = new ReentrantLock();
    private final long[] laneHead;
    private final long[] laneOwner;
    private final AtomicReferenceArray<ComConnection> conns;
    private final int[] generations;
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private final AtomicInteger open = new AtomicInteger();
    private final Map<Integer, Peer> peers = new ConcurrentHashMap<>();
    private final Map<Integer, ComListener> listeners = new ConcurrentHashMap<>();
    private final Set<Integer> ports = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextEphemeral = new AtomicInteger(EPHEMERAL_FIRST);
    /** Control descriptors waiting for room in a peer's lane; posted by the daemon. */
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> deferred = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<Integer> leakSuspects = new ArrayList<>();
    private final java.util.Queue<Peer> buried = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Listeners with held SYNs that may have room now (see {@link ComListener}). */
    private final java.util.Queue<ComListener> roomy = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Thread daemon;
    private final Doorbell doorbell;
    private volatile boolean stopping;
    /** Closes the domain when the JVM exits, so that peers see clean closes and the file goes. */
    private final Thread shutdownHook;
    private long lastTick;

    private ComDomain(ComConfig config, Region region) {
        this.config = config;
        this.region = region;
        this.bitmap = new BlockBitmap(region.buf, region.layout);
        this.attached = new AtomicLongArray(region.layout.blocks >>> 6);
        this.laneHead = new long[region.layout.lanes];
        this.laneOwner = new long[region.layout.lanes];
        this.conns = new AtomicReferenceArray<>(config.slots);
        this.generations = new int[config.slots];
        for (int i = 0; i < config.slots; i++) {
            freeSlots.add(i);
        }
        this.doorbell = new Doorbell(region.buf, H_DOORBELL);
        // plain classes rather than lambdas: an agent starting a JVM should not pay for the first
        // invokedynamic bootstrap
        this.daemon = new Thread(new Runnable() {
            @Override
            public void run() {
                daemonLoop();
            }
        }, "comsock-daemon-" + config.domain);
        this.shutdownHook = new Thread(new Runnable() {
            @Override
            public void run() {
                closeQuietly();
            }
        }, "comsock-exit");
        this.daemon.setDaemon(true);
    }

    /**
     * Makes this process domain {@code config.domain}: creates its region and starts its receive
     * daemon.
     *
     * @throws DomainInUseException if a live process owns the domain
     */
    public static ComDomain open(ComConfig config) throws IOException {
        return claim(config).open();
    }

    /**
     * Takes domain {@code config.domain} for this process without starting it: its region is
     * created and published, so no other process can take the domain and peers may already
     * connect (their connections wait for {@link Claim#open}), but nothing is mapped and no thread
     * runs yet. Taking a domain costs a few system calls; opening it, the mapping and the daemon.
     *
     * @throws DomainInUseException if a live process owns the domain
     */
    public static Claim claim(ComConfig config) throws IOException {
        return new Claim(config, Region.Claim.take(config));
    }

    /**
     * Loads the native part of the wake-ups (the futex binding) now, on the caller's thread, if no
     * one has yet: otherwise the first daemon loads it before it first sleeps, and a sender that
     * rings before then waits for it. Returns null, or why it cannot load (then daemons poll).
     */
    public static Throwable loadNatives() {
        return Doorbell.loadNative();
    }

    /** A domain taken by {@link #claim} and not opened yet. */
    public static final class Claim implements Closeable {
        private final ComConfig config;
        private final Region.Claim region;

        private Claim(ComConfig config, Region.Claim region) {
            this.config = config;
            this.region = region;
        }

        /** The domain id taken. */
        public int id() {
            return config.domain;
        }

        /**
         * Maps the region and starts the receive daemon, which then serves what peers posted
         * meanwhile. Once only; a failure gives the domain up.
         */
        public ComDomain open() throws IOException {
            ComDomain d = new ComDomain(config, region.map());
            d.region.buf.putInt(H_POLLERS, 1); // the daemon counts as a poller until it sleeps
            VarHandle.fullFence();
            d.daemon.start();
            Runtime.getRuntime().addShutdownHook(d.shutdownHook);
            return d;
        }

        /** Gives the domain up if it was not opened; does nothing once it was. */
        @Override
        public void close() throws IOException {
            region.close();
        }
    }

    public int id() {
        return config.domain;
    }

    public InetAddress address() {
        return ComAddress.addressOf(config.domain);
    }

    long identity() {
        return region.identity;
    }

    /** Counters of this domain. */
    public Stats stats() {
        return stats;
    }

    /** Blocks of this domain's region not claimed right now. */
    public int freeBlocks() {
        return bitmap.freeCount();
    }

    /** Total blocks of this domain's region. */
    public int totalBlocks() {
        return bitmap.blocks();
    }

    /** Connections not yet released. */
    public int openConnections() {
        return open.get();
    }

    // ------------------------------------------------------------------ ports

    /** Reserves {@code port}, or an ephemeral port when 0. */
    int reservePort(int port) throws BindException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port=" + port + " is out of range (0..65535)");
        }
        if (port != 0) {
            if (!ports.add(port)) {
                throw new BindException("Address already in use: port " + port + " of domain " + id());
            }
            return port;
        }
        for (int i = 0; i <= EPHEMERAL_LAST - EPHEMERAL_FIRST; i++) {
            int p = EPHEMERAL_FIRST + Math.floorMod(nextEphemeral.getAndIncrement() - EPHEMERAL_FIRST,
                    EPHEMERAL_LAST - EPHEMERAL_FIRST + 1);
            if (ports.add(p)) {
                return p;
            }
        }
        throw new BindException("Address already in use: no free ephemeral port in domain " + id());
    }

    void releasePort(int port) {
        ports.remove(port);
    }

    // ------------------------------------------------------------------ listen, connect

    /**
     * Listens on a port reserved with {@link #reservePort}.
     */
    ComListener listenReserved(int reservedPort, int backlog) {
        ComListener l = new ComListener(this, reservedPort, backlog <= 0 ? 50 : backlog);
        listeners.put(reservedPort, l);
        return l;
    }

    /** Opens a listener on {@code port} (0: ephemeral). */
    public ComListener listen(int port, int backlog) throws IOException {
        checkOpen();
        return listenReserved(reservePort(port), backlog);
    }

    void unlisten(ComListener l) {
        listeners.remove(l.port, l);
        releasePort(l.port);
    }

    /**
     * Connects to {@code port} of domain {@code remoteDomain}.
     *
     * @param localPort a port reserved with {@link #reservePort}, or 0 for an ephemeral one
     * @param timeoutMillis 0 for no limit
     * @throws java.net.ConnectException when nobody listens there
     * @throws java.net.NoRouteToHostException when the domain is absent or dead
     */
    public ComConnection connect(int remoteDomain, int port, int localPort, int timeoutMillis)
            throws IOException {
        checkOpen();
        ComAddress.checkDomain(remoteDomain);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port=" + port + " is out of range (1..65535)");
        }
        Peer p = peerFor(remoteDomain, 0);
        int lp = localPort != 0 ? localPort : reservePort(0);
        ComConnection c;
        try {
            c = newConnection(lp, remoteDomain, port, p);
        } catch (IOException e) {
            releasePort(lp);
            throw e;
        }
        c.ownsPort = true;
        try {
            send(p, T_SYN, c, 0, c.window, 0);
            c.awaitEstablished(timeoutMillis * 1_000_000L);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private ComConnection newConnection(int localPort, int remoteDomain, int remotePort, Peer p)
            throws SocketException {
        int slot;
        int id;
        synchronized (freeSlots) {
            Integer s = freeSlots.poll();
            if (s == null) {
                throw new SocketException("No buffer space available: all " + config.slots
                        + " connection slots of domain " + id() + " are in use");
            }
            slot = s;
            int gen = (generations[slot] + 1) & 0xFFFF;
            if (gen == 0) {
                gen = 1;
            }
            generations[slot] = gen;
            id = gen << 16 | slot;
        }
        ComConnection c = new ComConnection(this, slot, id, localPort, remoteDomain, remotePort, p);
        conns.set(slot, c);
        Region.I32.setRelease(region.buf, H_OPEN, open.incrementAndGet());
        return c;
    }

    /** A connection whose connect was given up: forget it; a late SYNACK is answered with RST. */
    void abandon(ComConnection c) {
        c.peerWriterDone = true;
        // a SYN may wait in the listener's full backlog: withdraw it (RST with no receiver id)
        postQuietly(c.peer, T_RST, c, 0, 0, 0);
    }

    /** A listener has room again, or closed: the daemon answers the SYNs it holds. */
    void roomAt(ComListener l) {
        roomy.add(l);
        doorbell.ringLocal();
    }

    /** Daemon: admits held SYNs while their listener has room; refuses them once it is closed. */
    private void admitHeld() {
        for (ComListener l; (l = roomy.poll()) != null; ) {
            while (l.hasHeld()) {
                if (l.isClosed()) {
                    long[] syn = l.nextHeld();
                    Peer p = peers.get((int) syn[1]);
                    if (p != null && p.region.identity == syn[0]) {
                        int ports = (int) syn[2];
                        reply(p, T_REFUSED, (ports & 0xFFFF) << 16 | ports >>> 16, 0, (int) syn[3], 0);
                    }
                    continue;
                }
                if (!l.hasRoom()) {
                    break;
                }
                long[] syn = l.nextHeld();
                admit(l, syn[0], (int) syn[1], (int) syn[2], (int) syn[3], (int) syn[4]);
            }
        }
    }

    /** Frees the slot and port of a connection that nobody will use again. */
    void release(ComConnection c) {
        if (conns.compareAndSet(c.slot, c, null)) {
            synchronized (freeSlots) {
                freeSlots.add(c.slot);
            }
            Region.I32.setRelease(region.buf, H_OPEN, open.decrementAndGet());
            if (c.ownsPort) {
                releasePort(c.localPort);
            }
        }
    }

    private ComConnection lookup(int id) {
        int slot = id & 0xFFFF;
        if (slot >= config.slots) {
            return null;
        }
        ComConnection c = conns.get(slot);
        return c != null && c.id == id ? c : null;
    }

    // ------------------------------------------------------------------ peers

    /**
     * The link to {@code domain}, attached on first use. {@code identity} 0 accepts any live
     * owner; otherwise the link must lead to that very process.
     */
    Peer peerFor(int domain, long identity) throws IOException {
        Peer p = peers.get(domain);
        if (p != null && !p.dead && (identity == 0 || p.region.identity == identity)) {
            return p;
        }
        synchronized (peers) {
            p = peers.get(domain);
            if (p != null && !p.dead && (identity == 0 || p.region.identity == identity)) {
                return p;
            }
            if (p != null && !p.dead && p.region.ownerAlive()) {
                // the process we know still lives, so no other process can own the domain: the
                // identity asked for is not one (a corrupted lane owner names it)
                throw Region.noRoute(domain, "has no process " + Long.toHexString(identity));
            }
            if (p != null) {
                // the old process is gone or was replaced; the daemon cleans up after it
                p.dead = true;
                peers.remove(domain, p);
                buried.add(p);
            }
            Region r = domain == id() ? region : Region.attach(config.dir, domain);
            if (identity != 0 && r.identity != identity) {
                if (r != region) {
                    r.close();
                }
                throw Region.noRoute(domain, "was restarted");
            }
            try {
                p = Peer.open(this, r);
            } catch (IOException e) {
                if (r != region) {
                    r.close();
                }
                throw e;
            }
            peers.put(domain, p);
            return p;
        }
    }

    // ------------------------------------------------------------------ sending descriptors

    void send(Peer p, int type, ComConnection c, int block, int count, long value) throws SocketException {
        p.post(type, c.localPort << 16 | c.remotePort, c.id, c.remoteId, block, count, value);
        stats.sent.increment();
    }

    /**
     * Posts a control descriptor of {@code c} (RST, FIN, CLOSE) without waiting for long: a peer
     * whose lane stays full (a stopped process, or a hostile one) must hold up neither the daemon
     * nor an application's close. After a few milliseconds without room, or while earlier ones
     * wait (so that they keep their order), it is left to the daemon, which posts it once there is
     * room; a peer that dies meanwhile loses it (counted).
     */
    void postQuietly(Peer p, int type, ComConnection c, int block, int count, long value) {
        if (p.dead) {
            return;
        }
        int ports = c.localPort << 16 | c.remotePort;
        if (!waiting(p)) {
            long deadline = System.nanoTime() + CONTROL_WAIT_NANOS;
            long backoff = 1_000;
            while (true) {
                if (p.tryPost(type, ports, c.id, c.remoteId, block, count, value)) {
                    stats.sent.increment();
                    return;
                }
                if (p.dead || System.nanoTime() > deadline) {
                    break;
                }
                LockSupport.parkNanos(backoff);
                backoff = Math.min(backoff * 2, 1_000_000);
            }
        }
        defer(p, type, ports, c.id, c.remoteId, block, count, value);
        doorbell.ringLocal();
    }

    /** A reply from the daemon: never waits for lane space; parks it for the next pass instead. */
    private void reply(Peer p, int type, int ports, int src, int dst, int count) {
        if (waiting(p) || !p.tryPost(type, ports, src, dst, 0, count, 0)) {
            defer(p, type, ports, src, dst, 0, count, 0);
        }
    }

    private void defer(Peer p, int type, int ports, int src, int dst, int block, int count, long value) {
        deferred.add(new long[] {p.domain, p.region.identity, type, ports, src, dst, block, count, value});
    }

    /** Whether descriptors for {@code p} wait for room (later ones must queue behind them). */
    private boolean waiting(Peer p) {
        for (long[] r : deferred) {
            if ((int) r[0] == p.domain) {
                return true;
            }
        }
        return false;
    }

    /**
     * Posts what waits for room, each peer's in order, as far as its lane has room; a full lane
     * holds up only its own peer's. Caller holds {@link #drainLock}.
     */
    private void flushDeferred() {
        long full = 0; // bit per domain id mod 64: a lane found full this pass (a false hit only waits)
        for (java.util.Iterator<long[]> it = deferred.iterator(); it.hasNext(); ) {
            long[] r = it.next();
            int domain = (int) r[0];
            if ((full & (1L << domain)) != 0) {
                continue;
            }
            Peer p = peers.get(domain);
            if (p == null || p.dead || p.region.identity != r[1]) {
                it.remove();
                stats.lostControl.increment();
            } else if (p.tryPost((int) r[2], (int) r[3], (int) r[4], (int) r[5], (int) r[6], (int) r[7], r[8])) {
                it.remove();
                stats.sent.increment();
            } else {
                full |= 1L << domain;
            }
        }
    }

    // ------------------------------------------------------------------ blocks

    /**
     * Gives back blocks of a connection's run (inside one bitmap word): detaches them, then frees
     * them in the bitmap. False (counted) if some block of the run was not claimed any more: the
     * bitmap was changed behind this domain's back, and nothing was freed.
     */
    boolean freeBlocks(int first, int count) {
        detach(first, count);
        if (bitmap.tryFree(first, count)) {
            return true;
        }
        stats.protocolErrors.increment();
        return false;
    }

    private boolean attach(int first, int count) {
        int w = first >>> 6;
        long mask = BlockBitmap.runMask(first, count);
        while (true) {
            long v = attached.get(w);
            if ((v & mask) != 0) {
                return false;
            }
            if (attached.compareAndSet(w, v, v | mask)) {
                return true;
            }
        }
    }

    private void detach(int first, int count) {
        int w = first >>> 6;
        long mask = BlockBitmap.runMask(first, count);
        long v;
        do {
            v = attached.get(w);
        } while (!attached.compareAndSet(w, v, v & ~mask));
    }

    // ------------------------------------------------------------------ polling and the daemon

    /** A thread starts polling: senders need not ring while it does. */
    boolean pollerEnter() {
        Region.I32.getAndAdd(region.buf, H_POLLERS, 1);
        return true;
    }

    /** Threads polling the lanes now (busy-waiting readers, the daemon while awake). */
    int pollers() {
        return (int) Region.I32.getOpaque(region.buf, H_POLLERS);
    }

    /** A thread stops polling; if it was the last and work is waiting, wake the daemon. */
    void pollerExit() {
        int left = (int) Region.I32.getAndAdd(region.buf, H_POLLERS, -1) - 1;
        if (left == 0 && pending()) {
            doorbell.ringLocal();
        }
    }

    /** Drains the lanes if no other thread is doing it. */
    void poll() {
        if (drainLock.tryLock()) {
            try {
                drain();
            } catch (RuntimeException | InternalError e) {
                // the daemon's work, done by a waiting thread: not a failure of that thread's call
                unexpected(e);
            } finally {
                drainLock.unlock();
            }
        }
    }

    private boolean pending() {
        if (!roomy.isEmpty()) {
            return true;
        }
        long active = (long) Region.I64.getVolatile(region.buf, H_ACTIVE_LANES);
        RegionLayout l = region.layout;
        while (active != 0) {
            int lane = Long.numberOfTrailingZeros(active);
            active &= active - 1;
            if (lane < l.lanes && (long) Region.I64.getVolatile(region.buf, l.lane(lane) + L_TAIL) != laneHead[lane]) {
                return true;
            }
        }
        return false;
    }

    private void daemonLoop() {
        Memory[] timespec = new Memory[1];
        int idle = 0;
        boolean nativeLoaded = false;
        while (!stopping) {
            int n = 0;
            long tick = 0;
            try {
                drainLock.lock();
                try {
                    if (!deferred.isEmpty()) {
                        flushDeferred();
                    }
                    n = drain();
                    if (!roomy.isEmpty()) {
                        admitHeld();
                    }
                } finally {
                    drainLock.unlock();
                }
                long now = System.nanoTime();
                tick = open.get() > 0 || !deferred.isEmpty() || !buried.isEmpty() ? TICK_BUSY_NANOS
                        : foreignLanes() ? TICK_IDLE_NANOS : 0;
                if (tick > 0 && now - lastTick >= tick) {
                    lastTick = now;
                    tick();
                }
            } catch (RuntimeException | InternalError e) {
                // whatever a region holds, the daemon goes on serving the other connections
                // (an InternalError is a fault in a mapping whose file was cut short)
                unexpected(e);
                tick = TICK_BUSY_NANOS;
                LockSupport.parkNanos(1_000_000); // no busy loop if it fails again at once
            }
            if (n > 0) {
                idle = 0;
                continue;
            }
            if (++idle < 200) {
                Thread.onSpinWait();
                continue;
            }
            idle = 0;
            if (!nativeLoaded) {
                // the futex binding loads before the first sleep, not before the first drain:
                // what peers posted while this domain was being opened is served first
                nativeLoaded = true;
                Throwable noFutex = Doorbell.loadNative();
                if (noFutex != null) {
                    System.err.println("comsock: futex wake-ups unavailable, the daemon polls every millisecond: " + noFutex);
                }
                continue;
            }
            int bell = doorbell.value();
            Region.I32.getAndAdd(region.buf, H_POLLERS, -1);
            if (!pending() && !stopping) {
                // nothing to watch at all (tick 0): sleep until a sender rings, or a second at
                // most: a sender whose futex binding failed cannot ring, and what it posts is
                // then seen within a second instead of never
                long sleep = tick == 0 ? TICK_IDLE_NANOS : Math.max(0, tick - (System.nanoTime() - lastTick));
                stats.sleeps.increment();
                beat();
                doorbell.await(bell, sleep, timespec);
            }
            Region.I32.getAndAdd(region.buf, H_POLLERS, 1);
        }
    }

    /** True if a process other than this one owns a lane here (its liveness must be watched). */
    private boolean foreignLanes() {
        long active = (long) Region.I64.getVolatile(region.buf, H_ACTIVE_LANES);
        while (active != 0) {
            int lane = Long.numberOfTrailingZeros(active);
            active &= active - 1;
            if (lane < region.layout.lanes
                    && (long) Region.I64.getVolatile(region.buf, region.layout.lane(lane) + L_OWNER) != region.identity) {
                return true;
            }
        }
        return !peers.isEmpty() && !(peers.size() == 1 && peers.containsKey(id()));
    }

    /** Drains every lane once. Caller holds {@link #drainLock}. */
    private int drain() {
        RegionLayout l = region.layout;
        long active = (long) Region.I64.getVolatile(region.buf, H_ACTIVE_LANES);
        int n = 0;
        while (active != 0) {
            int lane = Long.numberOfTrailingZeros(active);
            active &= active - 1;
            if (lane >= l.lanes) {
                continue;
            }
            int off = l.lane(lane);
            long tail = (long) Region.I64.getAcquire(region.buf, off + L_TAIL);
            long head = laneHead[lane];
            if (tail == head) {
                continue;
            }
            long owner = (long) Region.I64.getVolatile(region.buf, off + L_OWNER);
            if (owner != laneOwner[lane]) {
                // a new sender took this lane: start from where it says the ring starts
                checkSender(lane, owner);
                laneOwner[lane] = owner;
                head = (long) Region.I64.getVolatile(region.buf, off + L_HEAD);
                laneHead[lane] = head;
                if (tail == head) {
                    continue;
                }
            }
            boolean badOwner = owner == 0 || (owner & 0xFF) > ComAddress.MAX_DOMAIN;
            if (badOwner || tail - head < 0 || tail - head > l.laneCapacity) {
                if (badOwner) {
                    stats.protocolErrors.increment();
                } else {
                    // descriptors were lost: the sender's connections cannot go on
                    badLane(lane, owner, "has tail=" + tail + " and head=" + head + " for "
                            + l.laneCapacity + " descriptors");
                }
                laneHead[lane] = tail;
                Region.I64.setRelease(region.buf, off + L_HEAD, tail);
                continue;
            }
            while (head != tail) {
                int d = l.descriptor(lane, head);
                try {
                    dispatch(lane, owner, d);
                } catch (RuntimeException | InternalError bad) {
                    blame(owner, d, bad);
                }
                head++;
                n++;
            }
            laneHead[lane] = head;
            Region.I64.setRelease(region.buf, off + L_HEAD, head);
        }
        if (n > 0) {
            stats.received.add(n);
        }
        return n;
    }

    private void dispatch(int lane, long owner, int d) {
        var buf = region.buf;
        int type = buf.getInt(d + D_TYPE);
        int ports = buf.getInt(d + D_PORTS);
        int src = buf.getInt(d + D_SRC_CONN);
        int dst = buf.getInt(d + D_DST_CONN);
        int block = buf.getInt(d + D_BLOCK);
        int count = buf.getInt(d + D_COUNT);
        long value = buf.getLong(d + D_VALUE);
        int from = (int) (owner & 0xFF);
        if (type == T_SYN) {
            onSyn(owner, from, ports, src, count);
            return;
        }
        if (type < 1 || type > T_MAX) {
            stats.protocolErrors.increment();
            ComConnection c = lookup(dst);
            if (c != null && c.remoteDomain == from) {
                protocolError(c, "descriptor type=" + type + " is unknown");
            }
            return;
        }
        ComConnection c = lookup(dst);
        if (c == null || c.remoteDomain != from || c.peer.region.identity != owner
                || (c.state == ComConnection.ESTABLISHED && c.remoteId != src)) {
            onStale(lane, owner, from, type, ports, src, dst);
            return;
        }
        if (c.state == ComConnection.CONNECTING && type != T_SYNACK && (type != T_REFUSED || src != 0)) {
            // the remote id is not known yet: only the answer to our SYN can come
            protocolError(c, "descriptor type=" + type + " source=" + src + " before the connection was established");
            return;
        }
        switch (type) {
            case T_SYNACK:
                if (c.state != ComConnection.CONNECTING || !validWindow(count) || !validId(c.peer, src)) {
                    protocolError(c, "unexpected SYNACK source=" + src + " window=" + count);
                    return;
                }
                c.established(src, count);
                c.wakeConnector();
                return;
            case T_REFUSED:
                if (c.state == ComConnection.CONNECTING) {
                    c.peerWriterDone = true;
                    c.state = ComConnection.REFUSED;
                    c.wakeConnector();
                }
                return;
            case T_DATA:
                onData(lane, c, block, count, value);
                return;
            case T_FIN:
                if (value < 0 || value > c.expectNext || c.finOffset >= 0) {
                    protocolError(c, "FIN at offset=" + value + " beyond the announced " + c.expectNext);
                    return;
                }
                c.finOffset = value;
                c.peerWriterDone = true;
                c.wakeReader();
                c.releaseIfDone();
                return;
            case T_CLOSE:
                c.peerClosed = true;
                c.wakeWriter();
                c.finishWriting();
                return;
            case T_RST:
                c.fail("Connection reset");
                return;
            case T_NOTIFY:
                c.wakeReader();
                return;
            case T_CREDIT:
                c.wakeWriter();
                return;
            default:
                protocolError(c, "descriptor type=" + type + " is not valid on a connection");
        }
    }

    private void onData(int lane, ComConnection c, int first, int count, long start) {
        if (c.state != ComConnection.ESTABLISHED) {
            protocolError(c, "DATA before the connection was established");
            return;
        }
        if (count < 1 || count > MAX_RUN || !bitmap.ownedBy(first, count, lane + 1)) {
            protocolError(c, "DATA run block=" + first + " count=" + count
                    + " is out of range or not claimed by its sender");
            return;
        }
        if (start != c.expectNext || c.finOffset >= 0) {
            protocolError(c, "DATA at stream offset=" + start + " but expected " + c.expectNext);
            return;
        }
        if (!attach(first, count)) {
            protocolError(c, "DATA run block=" + first + " count=" + count + " is already in use");
            return;
        }
        if (!c.appendRun(first, count, start)) {
            // left claimed, as after every rejected DATA: a run named by a bad descriptor may be
            // one the same sender claimed for another of its connections
            detach(first, count);
            protocolError(c, "DATA beyond the receive window");
            return;
        }
        c.wakeReader();
    }

    /** Daemon: the link to the process that sent a descriptor, or null (counted) if it is gone. */
    private Peer sender(int from, long owner) {
        try {
            return peerFor(from, owner);
        } catch (IOException gone) {
            stats.lostControl.increment();
            return null;
        }
    }

    private void onSyn(long owner, int from, int ports, int src, int window) {
        int dstPort = ports & 0xFFFF;
        int srcPort = ports >>> 16;
        Peer p = sender(from, owner);
        if (p == null) {
            return;
        }
        ComListener l = listeners.get(dstPort);
        if (l == null || !validWindow(window) || !validId(p, src)) {
            reply(p, T_REFUSED, dstPort << 16 | srcPort, 0, src, 0);
            return;
        }
        if (l.hasHeld() || !l.hasRoom()) {
            // the backlog is full (or others wait already): the connect waits its turn
            if (!l.hold(new long[] {owner, from, ports, src, window})) {
                reply(p, T_REFUSED, dstPort << 16 | srcPort, 0, src, 0);
            }
            // an accept may have made room between hasRoom and hold, while nothing was held yet
            // (so it did not call roomAt): look again on this pass
            roomy.add(l);
            return;
        }
        admit(l, owner, from, ports, src, window);
    }

    /** Daemon: completes a handshake and queues the connection on its listener. */
    private void admit(ComListener l, long owner, int from, int ports, int src, int window) {
        int dstPort = ports & 0xFFFF;
        int srcPort = ports >>> 16;
        Peer p = sender(from, owner);
        if (p == null) {
            return;
        }
        ComConnection c;
        try {
            c = newConnection(dstPort, from, srcPort, p);
        } catch (SocketException full) {
            reply(p, T_REFUSED, dstPort << 16 | srcPort, 0, src, 0);
            return;
        }
        c.established(src, window);
        reply(p, T_SYNACK, dstPort << 16 | srcPort, c.id, src, c.window);
        boolean queued;
        try {
            queued = l.offer(c);
        } catch (RuntimeException sinkFailed) {
            unexpected(sinkFailed);
            queued = false;
        }
        if (!queued) {
            c.abort();
        }
    }

    /** A descriptor for a connection that is gone (or never was). */
    private void onStale(int lane, long owner, int from, int type, int ports, int src, int dst) {
        if (type == T_RST && dst == 0) {
            // a connect that gave up while its SYN waited for room
            ComListener l = listeners.get(ports & 0xFFFF);
            if (l != null) {
                l.dropHeld(from, src);
            }
            return;
        }
        if (type == T_DATA || type == T_SYNACK) {
            // the sender believes in a connection we do not have: tell it to stop
            if (type == T_DATA) {
                stats.protocolErrors.increment();
            }
            Peer p = peers.get(from);
            if (p != null && p.region.identity == owner) {
                reply(p, T_RST, (ports & 0xFFFF) << 16 | ports >>> 16, dst, src, 0);
            }
        }
    }

    private static boolean validWindow(int w) {
        return w >= 2 * BLOCK_SIZE && w <= (1 << 30);
    }

    /** A connection id a peer announces: a generation (never 0) and a slot its region has. */
    private static boolean validId(Peer p, int id) {
        return (id >>> 16) != 0 && (id & 0xFFFF) < p.region.layout.slots;
    }

    /**
     * Caller holds {@link #drainLock}. A lane's owner word changed from the sender we knew to
     * {@code owner} although we never freed the lane: someone wrote it behind our back, and the
     * sender's descriptors can no longer be told from anyone else's. Its connections are reset.
     */
    private void checkSender(int lane, long owner) {
        long was = laneOwner[lane];
        if (was != 0 && was != owner) {
            badLane(lane, was, "was taken from its sender " + Long.toHexString(was) + " (owner="
                    + Long.toHexString(owner) + ")");
        }
    }

    /** A lane that breaks the protocol: every connection of its sender is reset, naming it. */
    private void badLane(int lane, long sender, String what) {
        stats.protocolErrors.increment();
        for (int i = 0; i < conns.length(); i++) {
            ComConnection c = conns.get(i);
            if (c != null && c.peer.region.identity == sender) {
                protocolError(c, "lane " + lane + " " + what);
            }
        }
    }

    /**
     * A descriptor whose handling failed in a way no check foresaw: counted, and the connection
     * it names, if it is the sender's, is reset; the daemon goes on.
     */
    private void blame(long owner, int d, Throwable e) {
        unexpected(e);
        ComConnection c = lookup(region.buf.getInt(d + D_DST_CONN));
        if (c != null && c.peer.region.identity == owner) {
            protocolError(c, "descriptor type=" + region.buf.getInt(d + D_TYPE) + " could not be handled: " + e);
        }
    }

    /** Counts a failure of the daemon's own work (as a protocol error) and keeps the last one. */
    private void unexpected(Throwable e) {
        stats.protocolErrors.increment();
        stats.lastError = e.toString();
    }

    /** Resets a connection whose peer broke the protocol. */
    void protocolError(ComConnection c, String what) {
        stats.protocolErrors.increment();
        postQuietly(c.peer, T_RST, c, 0, 0, 0);
        c.fail("Connection reset (protocol error: " + what + ")");
    }

    // ------------------------------------------------------------------ liveness

    /** The header's stamp: when the daemon was last awake. */
    private void beat() {
        Region.I64.setRelease(region.buf, H_HEARTBEAT, System.currentTimeMillis());
    }

    private void tick() {
        beat();
        List<Peer> dead = null;
        for (Peer p : peers.values()) {
            if (p.region != region && !p.region.ownerAlive()) {
                (dead == null ? dead = new ArrayList<>() : dead).add(p);
            }
        }
        for (Peer p; (p = buried.poll()) != null; ) {
            (dead == null ? dead = new ArrayList<>() : dead).add(p);
        }
        if (dead != null) {
            // what a peer published before it died is in the queue now: take its FINs and last
            // data first, so that a peer that closed and exited reads as an orderly close
            drainLock.lock();
            try {
                drain();
            } finally {
                drainLock.unlock();
            }
            for (Peer p : dead) {
                peerDied(p);
            }
        }
        checkLaneOwners();
        sweepLeaks();
    }

    /** Fails every connection with a dead peer and reclaims what it held here. */
    private void peerDied(Peer p) {
        p.dead = true;
        peers.remove(p.domain, p);
        for (int i = 0; i < conns.length(); i++) {
            ComConnection c = conns.get(i);
            if (c == null || c.peer != p) {
                continue;
            }
            c.peerWriterDone = true;
            if (c.state == ComConnection.CONNECTING) {
                c.state = ComConnection.UNREACHABLE;
                c.wakeConnector();
            } else if (c.finOffset < 0) {
                c.fail("Connection reset (domain " + p.domain + " died)");
            } else {
                c.peerClosed = true;
                c.wakeAll();
                c.releaseIfDone();
            }
        }
        for (ComListener l : listeners.values()) {
            l.peerDied(p);
        }
        drainLock.lock();
        try {
            RegionLayout l = region.layout;
            for (int lane = 0; lane < l.lanes; lane++) {
                if ((long) Region.I64.getVolatile(region.buf, l.lane(lane) + L_OWNER) == p.region.identity) {
                    reclaimLane(lane);
                }
            }
        } finally {
            drainLock.unlock();
        }
        try {
            p.region.close();
        } catch (IOException ignored) {
            stats.lostControl.increment();
        }
    }

    private void checkLaneOwners() {
        RegionLayout l = region.layout;
        for (int lane = 0; lane < l.lanes; lane++) {
            long owner = (long) Region.I64.getVolatile(region.buf, l.lane(lane) + L_OWNER);
            if (owner == 0 || owner == region.identity) {
                continue;
            }
            int from = (int) (owner & 0xFF);
            Peer p = peers.get(from);
            if (p != null && p.region.identity == owner && !p.dead) {
                continue;
            }
            boolean alive;
            try {
                alive = from <= ComAddress.MAX_DOMAIN && peerFor(from, owner) != null;
            } catch (IOException dead) {
                alive = false;
            }
            if (!alive) {
                drainLock.lock();
                try {
                    reclaimLane(lane);
                } finally {
                    drainLock.unlock();
                }
            }
        }
    }

    /** Frees a dead sender's lane and the blocks it claimed that no connection holds. */
    private void reclaimLane(int lane) {
        RegionLayout l = region.layout;
        int off = l.lane(lane);
        checkSender(lane, (long) Region.I64.getVolatile(region.buf, off + L_OWNER));
        long tail = (long) Region.I64.getVolatile(region.buf, off + L_TAIL);
        laneHead[lane] = tail;
        laneOwner[lane] = 0;
        Region.I64.setVolatile(region.buf, off + L_HEAD, tail);
        int tag = lane + 1;
        for (int b = 0; b < l.blocks; b++) {
            if (!bitmap.claimed(b) || (attached.get(b >>> 6) & (1L << (b & 63))) != 0) {
                continue;
            }
            int t = bitmap.tag(b);
            if (t == tag) {
                reclaim(b);
            } else if (t == 0) {
                // a sender killed between claiming a block and tagging it leaves it untagged:
                // if it is still untagged on the next tick, nobody is about to tag it
                leakSuspects.add(b);
            }
        }
        Region.I64.getAndBitwiseAnd(region.buf, H_ACTIVE_LANES, ~(1L << lane));
        Region.I64.setVolatile(region.buf, off + L_OWNER, 0L);
    }

    private void sweepLeaks() {
        if (leakSuspects.isEmpty()) {
            return;
        }
        List<Integer> now = new ArrayList<>(leakSuspects);
        leakSuspects.clear();
        for (int b : now) {
            if (bitmap.claimed(b) && bitmap.tag(b) == 0 && (attached.get(b >>> 6) & (1L << (b & 63))) == 0) {
                reclaim(b);
            }
        }
    }

    /** Frees a block that no live sender holds; one freed behind our back meanwhile is counted. */
    private void reclaim(int block) {
        if (bitmap.tryFree(block, 1)) {
            stats.reclaimedBlocks.increment();
        } else {
            stats.protocolErrors.increment();
        }
    }

    // ------------------------------------------------------------------ close

    private void checkOpen() throws SocketException {
        if (stopping) {
            throw new SocketException("domain " + id() + " is closed");
        }
    }

    /** Resets every connection, stops the daemon and removes the region. */
    @Override
    public void close() throws IOException {
        if (stopping) {
            return;
        }
        boolean atExit = Thread.currentThread() == shutdownHook;
        if (!atExit) {
            // at JVM exit the application's accept calls simply end with the JVM, as with TCP;
            // closing the listeners under them would hand them errors during the exit
            for (ComListener l : listeners.values()) {
                l.close();
            }
        }
        // like a process exit with TCP: each connection closes (FIN, or RST if input was unread)
        for (int i = 0; i < conns.length(); i++) {
            ComConnection c = conns.get(i);
            if (c != null) {
                c.close();
            }
        }
        stopping = true;
        boolean exiting = atExit;
        if (!exiting) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyExiting) {
                exiting = true;
            }
        }
        doorbell.ringLocal();
        LockSupport.unpark(daemon);
        if (!exiting) {
            // at JVM exit the daemon simply ends with the JVM; otherwise wait for it to stop
            try {
                daemon.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Peer p : peers.values()) {
            if (p.region != region) {
                p.region.close();
            }
        }
        region.close();
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            System.err.println("comsock: closing domain " + id() + " at exit: " + e);
        }
    }

    /** Counters, for status output and tests. */
    public static final class Stats {
        final LongAdder sent = new LongAdder();
        final LongAdder received = new LongAdder();
        final LongAdder wakeups = new LongAdder();
        final LongAdder sleeps = new LongAdder();
        final LongAdder protocolErrors = new LongAdder();
        final LongAdder lostControl = new LongAdder();
        final LongAdder blockWaits = new LongAdder();
        final LongAdder reclaimedBlocks = new LongAdder();
        volatile String lastError;

        public long descriptorsSent() {
            return sent.sum();
        }

        public long descriptorsReceived() {
            return received.sum();
        }

        /** Doorbell rings sent to idle daemons (the paper's IPIs). */
        public long wakeupsSent() {
            return wakeups.sum();
        }

        public long protocolErrors() {
            return protocolErrors.sum();
        }

        public long reclaimedBlocks() {
            return reclaimedBlocks.sum();
        }

        public long blockWaits() {
            return blockWaits.sum();
        }

        /**
         * The last failure of the receive daemon's own work that it survived (counted among the
         * protocol errors), or null.
         */
        public String lastError() {
            return lastError;
        }

        @Override
        public String toString() {
            return "sent=" + sent + " received=" + received + " wakeups=" + wakeups + " sleeps=" + sleeps
                    + " protocolErrors=" + protocolErrors + " lostControl=" + lostControl
                    + " blockWaits=" + blockWaits + " reclaimedBlocks=" + reclaimedBlocks
                    + (lastError != null ? " lastError=" + lastError : "");
        }
    }
}
