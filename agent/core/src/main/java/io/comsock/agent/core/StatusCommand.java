package io.comsock.agent.core;

import io.comsock.bridge.ComConfig;
import io.comsock.bridge.DomainInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/** {@code java -jar comsock-agent.jar status [dir]}: the domains of a region directory, like ss. */
public final class StatusCommand {
    private StatusCommand() {
    }

    public static int run(String[] args, PrintStream out) throws IOException {
        Path dir = args.length > 1 ? Paths.get(args[1]) : ComConfig.DEFAULT_DIR;
        List<DomainInfo> all = DomainInfo.survey(dir);
        out.printf(Locale.ROOT, "%-7s %-15s %-8s %-6s %6s %18s  %s%n", "domain", "address", "pid", "state", "conns",
                "blocks used", "daemon last awake");
        long now = System.currentTimeMillis();
        for (DomainInfo d : all) {
            if (d.problem != null) {
                out.printf(Locale.ROOT, "%-7d %-15s %-8s %-6s %6s %18s  %s%n", d.domain, d.address().getHostAddress(),
                        "-", "gone", "-", "-", d.problem);
                continue;
            }
            out.printf(Locale.ROOT, "%-7d %-15s %-8d %-6s %6d %8d/%-9d  %s%n", d.domain, d.address().getHostAddress(),
                    d.pid, "live", d.openConnections, d.blocksUsed, d.blocks,
                    d.heartbeatMillis == 0 ? "-" : ((now - d.heartbeatMillis) / 1000.0) + " s ago");
        }
        if (all.isEmpty()) {
            out.println("(no domains in " + dir + ")");
        }
        return 0;
    }
}
