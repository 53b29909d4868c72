package io.comsock.bench;

import static io.comsock.bench.Fig4Bench.SIZES;
import static io.comsock.bench.Fig4Bench.fmt;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

    static String markdown(Map<String, Fig4Bench.Result> r, int runs, double scale, boolean isolated) throws IOException {
        Fig4Bench.Result com = r.get("com-socket");
        Fig4Bench.Result tcp = r.get("TCP loopback");
        Fig4Bench.Result unix = r.get("UNIX socket");
        Fig4Bench.Result mem = r.get("memcpy");
        StringBuilder sb = new StringBuilder();
        sb.append("# Figure 4, reproduced: time to send 1 GB between two processes\n\n");
        sb.append(fmt("Measured %s on %s, %d cores, Java %s; %d runs per figure (median, min-max).%n", Fig4Bench.today(),
                cpu(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), runs));
        sb.append("com-socket: an unmodified `java.net.Socket` program in two JVMs started with `-javaagent` (domains 2 "
                + "and 3)" + (isolated ? ", each JVM in a network namespace of its own with no interface" : "") + ". "
                + "TCP loopback: the same program without the agent, to 127.0.0.1. UNIX socket: `SocketChannel` with "
                + "`UnixDomainSocketAddress`. memcpy: `System.arraycopy` of the same chunks in one thread, the "
                + "physical limit.\n\n");
        sb.append("Amount actually sent per run (the time for 1 GB is scaled from it, as the tiny messages would take "
                + "minutes over TCP): ");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append(i > 0 ? ", " : "").append(Fig4Bench.sizeName(SIZES[i])).append(": ")
                    .append(Math.max(SIZES[i], (long) (Fig4Bench.SENT[i] * scale)) >> 20).append(" MB");
        }
        sb.append(".\n\n![time to send 1 GB](fig4.png)\n\n");
        sb.append("## Time to send 1 GB (seconds; lower is better)\n\n");
        sb.append("| message | com-socket | TCP loopback | UNIX socket | memcpy | com-socket vs TCP | com-socket vs UNIX |\n");
        sb.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append("| ").append(Fig4Bench.sizeName(SIZES[i])).append(" | ").append(cell(com.secondsPerGb[i]))
                    .append(" | ").append(cell(tcp.secondsPerGb[i])).append(" | ").append(cell(unix.secondsPerGb[i]))
                    .append(" | ").append(cell(mem.secondsPerGb[i])).append(" | ")
                    .append(fmt("%.1fx faster", median(tcp.secondsPerGb[i]) / median(com.secondsPerGb[i]))).append(" | ")
                    .append(fmt("%.1fx faster", median(unix.secondsPerGb[i]) / median(com.secondsPerGb[i]))).append(" |\n");
        }
        sb.append("\n## Throughput (MB/s, medians)\n\n| message | com-socket | TCP loopback | UNIX socket | memcpy |\n"
                + "| --- | --- | --- | --- | --- |\n");
        for (int i = 0; i < SIZES.length; i++) {
            sb.append("| ").append(Fig4Bench.sizeName(SIZES[i]));
            for (Fig4Bench.Result x : new Fig4Bench.Result[] {com, tcp, unix, mem}) {
                sb.append(fmt(" | %.1f", 1024.0 / median(x.secondsPerGb[i])));
            }
            sb.append(" |\n");
        }
        sb.append("\n## Latency (µs)\n\n| | com-socket | TCP loopback | UNIX socket |\n| --- | --- | --- | --- |\n");
        sb.append("| 64 B round trip, median | ").append(cell(com.pingMedian)).append(" | ").append(cell(tcp.pingMedian))
                .append(" | ").append(cell(unix.pingMedian)).append(" |\n");
        sb.append("| 64 B round trip, p99 | ").append(cell(com.pingP99)).append(" | ").append(cell(tcp.pingP99))
                .append(" | ").append(cell(unix.pingP99)).append(" |\n");
        sb.append("| connect + accept, median | ").append(cell(com.connect)).append(" | ").append(cell(tcp.connect))
                .append(" | ").append(cell(unix.connect)).append(" |\n");
        sb.append("\n## Targets\n\n| target | measured | |\n| --- | --- | --- |\n");
        double rttCom = median(com.pingMedian);
        double rttTcp = median(tcp.pingMedian);
        double rttUnix = median(unix.pingMedian);
        target(sb, "round trip at most 1/4 of TCP's", fmt("%.2f µs vs %.2f µs (%.2f of TCP's)", rttCom, rttTcp, rttCom / rttTcp),
                rttCom <= rttTcp / 4, fmt("%.1fx over", rttCom / (rttTcp / 4)));
        target(sb, "round trip below UNIX sockets'", fmt("%.2f µs vs %.2f µs", rttCom, rttUnix), rttCom < rttUnix,
                fmt("%.1fx over", rttCom / rttUnix));
        double[] need = {10, 10, 3, 3, 2.5, 2.5};
        for (int i = 0; i < SIZES.length; i++) {
            double x = median(tcp.secondsPerGb[i]) / median(com.secondsPerGb[i]);
            target(sb, fmt("throughput at %s at least %.1fx TCP", Fig4Bench.sizeName(SIZES[i]), need[i]), fmt("%.1fx", x),
                    x >= need[i], fmt("%.0f%% short", 100 * (1 - x / need[i])));
        }
        double cCom = median(com.connect);
        double cTcp = median(tcp.connect);
        target(sb, "connect + accept faster than TCP's", fmt("%.1f µs vs %.1f µs", cCom, cTcp), cCom < cTcp,
                fmt("%.1fx slower", cCom / cTcp));
        return sb.toString();
    }

    private static void target(StringBuilder sb, String what, String measured, boolean met, String miss) {
        sb.append("| ").append(what).append(" | ").append(measured).append(" | ")
                .append(met ? "met" : "missed: " + miss).append(" |\n");
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
