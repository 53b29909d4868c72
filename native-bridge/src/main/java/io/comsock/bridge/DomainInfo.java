package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a region directory says about one domain, read without joining it (no lane is taken):
 * for status tools.
 */
public final class DomainInfo {
    private static final Pattern NAME = Pattern.compile("domain-(\\d+)\\.region");

    public final int domain;
    public final long pid;
    public final boolean alive;
    public final int openConnections;
    public final int blocksUsed;
    public final int blocks;
    /** When the daemon was last awake (wall-clock ms; an idle domain sleeps and keeps an old one). */
    public final long heartbeatMillis;
    /** Null when the region could be read, else why not. */
    public final String problem;

    private DomainInfo(int domain, long pid, boolean alive, int open, int used, int blocks, long heartbeat,
            String problem) {
        this.domain = domain;
        this.pid = pid;
        this.alive = alive;
        this.openConnections = open;
        this.blocksUsed = used;
        this.blocks = blocks;
        this.heartbeatMillis = heartbeat;
        this.problem = problem;
    }

    public InetAddress address() {
        return ComAddress.addressOf(domain);
    }

    /** Every region in {@code dir}, in domain order; an absent directory has none. */
    public static List<DomainInfo> survey(Path dir) throws IOException {
        List<DomainInfo> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "domain-*.region")) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (!m.matches() || Integer.parseInt(m.group(1)) > ComAddress.MAX_DOMAIN) {
                    continue;
                }
                out.add(read(dir, Integer.parseInt(m.group(1))));
            }
        }
        out.sort((a, b) -> Integer.compare(a.domain, b.domain));
        return out;
    }

    private static DomainInfo read(Path dir, int domain) {
        try (Region r = Region.attach(dir, domain)) {
            BlockBitmap bm = new BlockBitmap(r.buf, r.layout);
            return new DomainInfo(domain, r.ownerPid, true, (int) Region.I32.getAcquire(r.buf, H_OPEN),
                    bm.blocks() - bm.freeCount(), bm.blocks(), (long) Region.I64.getAcquire(r.buf, H_HEARTBEAT), null);
        } catch (IOException e) {
            return new DomainInfo(domain, -1, false, 0, 0, 0, 0, e.getMessage());
        }
    }
}
