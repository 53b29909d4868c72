package io.comsock.bench;

import static io.comsock.bench.Fig4Bench.SIZES;
import static io.comsock.bench.Fig4Bench.fmt;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The figure-4 report: Markdown tables with medians, min-max and ratios, and the chart. */
final class Fig4Report {
    private Fig4Report() {
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    /** The reference figures for this machine (Java 17): TCP loopback and UNIX sockets, 1 B..512 KB. */
    static final double REF_TCP_RTT_US = 14.8;
    static final double REF_UNIX_RTT_US = 8.3;
    static final double[] REF_TCP_MBPS = {0.9, 56, 353, 1943, 4716, 4741};
    static final double[] REF_UNIX_MBPS = {0.9, 62, 810, 3311, 5853, 6774};
    /** The smallest throughput ratio com-socket / TCP targeted at each size. */
    static final double[] NEED = {10, 10, 3, 3, 2.5, 2.5};
    /** Average CPUs kept busy by other processes above which the machine does not count as idle. */
    static final double BUSY_OTHERS = 0.15;

    static String markdown(Map<String, Fig4Bench.Result> r, Fig4Bench.Conditions c) throws IOException {
        Fig4Bench.Result com = r.get("com-socket");
        Fig4Bench.Result tcp = r.get("TCP loopback");
        Fig4Bench.Result unix = r.get("UNIX socket");
        Fig4Bench.Result mem = r.get("memcpy");
        int cpus = Runtime.getRuntime().availableProcessors();
        StringBuilder sb = new StringBuilder();
        sb.append("# Figure 4, reproduced: time to send 1 GB between two processes\n\n");
        sb.append(fmt("Measured %s at commit %s on %s, %d CPUs, Java %s; %d run%s per figure (median, min-max).%n",
                c.date, c.commit, cpu(), cpus, System.getProperty("java.version"), c.runs, c.runs == 1 ? "" : "s"));
        sb.append("com-socket: an unmodified `java.net.Socket` program in two JVMs started with `-javaagent` (domains 2 "
                + "and 3)" + (c.isolated ? ", each JVM in a network namespace of its own whose only interface is a "
                + "loopback that is down" : ", without network namespaces (none could be made here; the agent fails "
                + "closed)") + ". "
                + "TCP loopback: the same program without the agent, to 127.0.0.1. UNIX socket: `SocketChannel` with "
                + "`UnixDomainSocketAddress`. memcpy: `System.arraycopy` of the same chunks in one thread, the "
                + "physical limit. " + c.regions + "\n\n");
        sb.append("Amount actually sent per run (the time for 1 GB is scaled from it, as the tiny messages would take "
                + "minutes over TCP): ");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append(i > 0 ? ", " : "").append(Fig4Bench.sizeName(SIZES[i])).append(": ")
                    .append(sizeOf(Math.max(SIZES[i], (long) (Fig4Bench.SENT[i] * c.scale))));
        }
        sb.append(".\n\n![time to send 1 GB](fig4.png)\n\n");
        sb.append("## Time to send 1 GB (seconds; lower is better)\n\n");
        sb.append("| message | com-socket | TCP loopback | UNIX socket | memcpy | com-socket vs TCP | com-socket vs UNIX |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append("| ").append(Fig4Bench.sizeName(SIZES[i])).append(" | ").append(cell(com.secondsPerGb[i]))
                    .append(" | ").append(cell(tcp.secondsPerGb[i])).append(" | ").append(cell(unix.secondsPerGb[i]))
                    .append(" | ").append(cell(mem.secondsPerGb[i])).append(" | ")
                    .append(versus(median(tcp.secondsPerGb[i]) / median(com.secondsPerGb[i]))).append(" | ")
                    .append(versus(median(unix.secondsPerGb[i]) / median(com.secondsPerGb[i]))).append(" |\n");
        }
        sb.append("\n## Throughput (MB/s, medians)\n\n| message | com-socket | TCP loopback | UNIX socket | memcpy |\n"
                + "| --- | --- | --- | --- | --- |\n");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append("| ").append(Fig4Bench.sizeName(SIZES[i]));
            for (Fig4Bench.Result x : new Fig4Bench.Result[] {com, tcp, unix, mem}) {
                sb.append(fmt(" | %.1f", mbps(x, i)));
            }
            sb.append(" |\n");
        }
        sb.append("\n## Latency (µs)\n\n| | com-socket | TCP loopback | UNIX socket |\n| --- | --- | --- | --- |\n");
        sb.append("| 64 B round trip, median | ").append(cell(com.pingMedian)).append(" | ").append(cell(tcp.pingMedian))
                .append(" | ").append(cell(unix.pingMedian)).append(" |\n");
        sb.append("| 64 B round trip, p99 | ").append(cell(com.pingP99)).append(" | ").append(cell(tcp.pingP99))
                .append(" | ").append(cell(unix.pingP99)).append(" |\n");
        sb.append("| connect + accept + 1-byte answer + close, median | ").append(cell(com.connect)).append(" | ")
                .append(cell(tcp.connect)).append(" | ").append(cell(unix.connect)).append(" |\n");
        conditions(sb, c, cpus);
        baseline(sb, com, tcp, unix);

        sb.append("\n## Targets\n\n| target | measured | |\n| --- | --- | --- |\n");
        Why why = new Why(c, cpus);
        double rttCom = median(com.pingMedian);
        double rttTcp = median(tcp.pingMedian);
        double rttUnix = median(unix.pingMedian);
        String rttTarget = "round trip at most 1/4 of TCP's";
        if (target(sb, rttTarget, fmt("%.2f µs vs %.2f µs (%.2f of TCP's)", rttCom, rttTcp, rttCom / rttTcp),
                rttCom <= rttTcp / 4, fmt("%.1fx over", rttCom / (rttTcp / 4)))) {
            why.latency(rttTarget, com, fmt("TCP's round trip here is %.1f µs against the reference %.1f µs",
                    rttTcp, REF_TCP_RTT_US));
        }
        String unixTarget = "round trip below UNIX sockets'";
        if (target(sb, unixTarget, fmt("%.2f µs vs %.2f µs", rttCom, rttUnix), rttCom < rttUnix,
                fmt("%.1fx over", rttCom / rttUnix))) {
            why.latency(unixTarget, com, fmt("UNIX sockets' round trip here is %.1f µs against the reference %.1f µs",
                    rttUnix, REF_UNIX_RTT_US));
        }
        for (int i = 0; i < SIZES.length; i++) {
            double x = median(tcp.secondsPerGb[i]) / median(com.secondsPerGb[i]);
            String what = fmt("throughput at %s at least %.1fx TCP", Fig4Bench.sizeName(SIZES[i]), NEED[i]);
            if (target(sb, what, fmt("%.1fx", x), x >= NEED[i], fmt("%.0f%% short", 100 * (1 - x / NEED[i])))) {
                why.throughput(what, i, com, tcp, mem);
            }
        }
        double cCom = median(com.connect);
        double cTcp = median(tcp.connect);
        String connectTarget = "connect + accept faster than TCP's";
        if (target(sb, connectTarget, fmt("%.1f µs vs %.1f µs", cCom, cTcp), cCom < cTcp,
                fmt("%.1fx slower", cCom / cTcp))) {
            why.connect(connectTarget, com);
        }
        sb.append(why.lines.length() == 0 ? "\nEvery target was met.\n"
                : "\n### Why targets were missed\n\nWhat this run measured that explains each miss (see also "
                        + "[README.md](README.md)):\n\n" + why.lines);
        return sb.toString();
    }

    /** The machine's state during the run. */
    private static void conditions(StringBuilder sb, Fig4Bench.Conditions c, int cpus) {
        sb.append("\n## Conditions of the run\n\n");
        sb.append(fmt("- %d CPUs. com-socket wants a core per spinning thread: on each side a reader, and the receive "
                + "daemon while it polls.%n", cpus));
        sb.append(fmt("- Load average (1, 5, 15 min) before the run: %s; after it: %s (the run itself keeps up to two "
                + "threads busy).%n", load(c.loadBefore), load(c.loadAfter)));
        sb.append("- CPUs kept busy by other processes meanwhile, on average: ");
        int n = 0;
        for (Map.Entry<String, Double> e : c.others.entrySet()) {
            sb.append(n++ > 0 ? ", " : "").append(e.getKey()).append(fmt(" %.2f", e.getValue()));
        }
        sb.append(fmt("; the whole run %.2f%s. Time stolen by the hypervisor: %.2f CPUs.%n", c.othersTotal,
                c.othersTotal > BUSY_OTHERS ? " (**not idle**)" : " (idle)", c.steal));
    }

    /** TCP and UNIX sockets as measured here beside the reference figures for this machine. */
    private static void baseline(StringBuilder sb, Fig4Bench.Result com, Fig4Bench.Result tcp, Fig4Bench.Result unix) {
        sb.append("\n## Baseline against the reference figures (Java 17, this machine)\n\n");
        sb.append("| | TCP here | TCP reference | here / reference | UNIX here | UNIX reference "
                + "| com-socket vs reference TCP |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        sb.append(fmt("| 64 B round trip (µs) | %.1f | %.1f | %.2f | %.1f | %.1f | %s |%n", median(tcp.pingMedian),
                REF_TCP_RTT_US, median(tcp.pingMedian) / REF_TCP_RTT_US, median(unix.pingMedian), REF_UNIX_RTT_US,
                versus(REF_TCP_RTT_US / median(com.pingMedian))));
        for (int i = 0; i < SIZES.length; i++) {
            sb.append(fmt("| %s (MB/s) | %.1f | %.1f | %.2f | %.1f | %.1f | %s |%n", Fig4Bench.sizeName(SIZES[i]),
                    mbps(tcp, i), REF_TCP_MBPS[i], mbps(tcp, i) / REF_TCP_MBPS[i], mbps(unix, i), REF_UNIX_MBPS[i],
                    versus(mbps(com, i) / REF_TCP_MBPS[i])));
        }
    }

    /** The reason lines for missed targets, each from figures this run measured. */
    private static final class Why {
        final StringBuilder lines = new StringBuilder();
        private final Fig4Bench.Conditions c;
        private final int cpus;

        Why(Fig4Bench.Conditions c, int cpus) {
            this.c = c;
            this.cpus = cpus;
        }

        void latency(String target, Fig4Bench.Result com, String baseline) {
            add(target, Arrays.asList(busy("com-socket"), fewCores(),
                    fmt("%s. com-socket's own p99 is %.1f µs against a median of %.2f µs: a round trip that finds "
                            + "its reader parked pays a futex wake-up on each side", baseline, median(com.pingP99),
                            median(com.pingMedian))));
        }

        void throughput(String target, int i, Fig4Bench.Result com, Fig4Bench.Result tcp, Fig4Bench.Result mem) {
            List<String> why = new ArrayList<>(Arrays.asList(busy("com-socket"), fewCores()));
            double[] v = com.secondsPerGb[i];
            if (max(v) > 1.5 * min(v)) {
                why.add(fmt("com-socket's runs ranged from %.3g to %.3g s per GB (%.1fx apart), so the median "
                        + "depends on which mode each run fell into", min(v), max(v), max(v) / min(v)));
            }
            double ceiling = mbps(mem, i) / 2;
            if (ceiling / mbps(tcp, i) < NEED[i]) {
                why.add(fmt("out of reach here: com-socket copies each byte twice, so half the memcpy rate (%.0f MB/s) "
                        + "is its ceiling, only %.1fx TCP's %.0f MB/s, which copies each byte twice as well",
                        ceiling, ceiling / mbps(tcp, i), mbps(tcp, i)));
            } else if (i >= 4) {
                why.add(fmt("com-socket moved %.0f MB/s, %.0f%% of half the memcpy rate (%.0f MB/s, the ceiling for "
                        + "two copies per byte): the copies are not what held it back", mbps(com, i),
                        100 * mbps(com, i) / ceiling, ceiling));
            }
            why.add(fmt("TCP here moved %.1f MB/s against the reference %.1f MB/s; against the reference TCP figure "
                    + "com-socket's %.1f MB/s would be %s", mbps(tcp, i), REF_TCP_MBPS[i], mbps(com, i),
                    versus(mbps(com, i) / REF_TCP_MBPS[i])));
            add(target, why);
        }

        void connect(String target, Fig4Bench.Result com) {
            add(target, Arrays.asList(busy("com-socket"), fewCores(),
                    "a com-socket connect takes a SYN and a SYNACK descriptor through the two receive daemons, and "
                            + "the timed 1-byte answer and close two more; each one that finds a daemon asleep costs a "
                            + "futex wake-up, where TCP's handshake stays inside the kernel"));
        }

        private String busy(String transport) {
            Double others = c.others.get(transport);
            return others != null && others > BUSY_OTHERS
                    ? fmt("the machine was not idle: other processes kept %.2f CPUs busy on average during the %s "
                            + "part (load average %s before the run)", others, transport, load(c.loadBefore))
                    : null;
        }

        private String fewCores() {
            return cpus <= 2 ? fmt("%d CPUs for two JVMs whose readers spin: when a reader cannot keep a core it "
                    + "parks, and waking it takes the receive daemon and then the reader", cpus) : null;
        }

        private void add(String target, List<String> reasons) {
            lines.append("- **").append(target).append("**: ");
            int n = 0;
            for (String reason : reasons) {
                if (reason != null) {
                    lines.append(n++ > 0 ? "; " : "").append(reason);
                }
            }
            lines.append(".\n");
        }
    }

    private static double mbps(Fig4Bench.Result x, int i) {
        return 1024.0 / median(x.secondsPerGb[i]);
    }

    private static String versus(double gain) {
        return gain >= 1 ? fmt("%.1fx faster", gain) : fmt("%.1fx slower", 1 / gain);
    }

    private static String load(double[] v) {
        return fmt("%.2f, %.2f, %.2f", v[0], v[1], v[2]);
    }

    private static String sizeOf(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MB" : bytes >= 1024 ? (bytes >> 10) + " KB" : bytes + " B";
    }

    /** Adds a target's row; true if it was missed. */
    private static boolean target(StringBuilder sb, String what, String measured, boolean met, String miss) {
        sb.append("| ").append(what).append(" | ").append(measured).append(" | ")
                .append(met ? "met" : "missed: " + miss).append(" |\n");
        return !met;
    }

    private static String cell(double[] v) {
        return fmt("%.3g (%.3g-%.3g)", median(v), min(v), max(v));
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // the report does without it
        }
        return "an unknown CPU";
    }

    /** The chart in the style of the paper's figure: time to send 1 GB against message size, log-log. */
    static void chart(Map<String, Fig4Bench.Result> r, Path png) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, Fig4Bench.Result> e : r.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            for (int i = 0; i < SIZES.length; i++) {
                s.add(SIZES[i], median(e.getValue().secondsPerGb[i]));
            }
            data.addSeries(s);
        }
        LogAxis x = new LogAxis("message size (bytes)");
        x.setBase(2);
        x.setTickUnit(new NumberTickUnit(3));
        x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
        LogAxis y = new LogAxis("time to send 1 GB (s)");
        y.setBase(10);
        y.setTickUnit(new NumberTickUnit(1));
        y.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        Color[] colors = {new Color(0xC0392B), new Color(0x2471A3), new Color(0x229954), new Color(0x7F8C8D)};
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, colors[i % colors.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Time to send 1 GB between two processes", new Font("SansSerif", Font.BOLD, 15),
                plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(png.getParent());
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 560);
    }
}
