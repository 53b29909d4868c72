package io.comsock.bench;

import static org.junit.jupiter.api.Assertions.*;

import io.comsock.demo.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's two user-facing runs, small: the A/B demo in its quick mode and the figure-4
 * harness at a tiny scale with one run, each as its jar is run by {@code bin/demo} and
 * {@code bin/bench}. This JVM, and so every JVM they start, runs in a fresh network namespace
 * (the test launcher), and the runs make namespaces of their own inside it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SmokeIT {
    static final String JAVA = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    static final String AGENT = System.getProperty("comsock.agent.jar");
    static final String DEMO = System.getProperty("comsock.demo.jar");
    static final String BENCH = System.getProperty("comsock.bench.jar");
    static final String[] APPS = {"echo:", "key-value store:", "file transfer:", "chat room:"};

    @TempDir
    Path work;

    @Test
    void quickDemoPrintsAVerifiedTablePerApplication() throws Exception {
        List<String> out = run(90, JAVA, "-jar", DEMO, "--agent", AGENT, "--quick");
        String all = String.join("\n", out);
        assertTrue(out.contains("Every run verified its data."), all);
        assertFalse(all.contains("FAILED"), all);
        for (String app : APPS) {
            List<String> table = table(out, app);
            assertTrue(table.get(1).contains("com-socket vs TCP"), all);
            for (String row : List.of("/s ", "throughput (MB/s", "p50 ", "p99 ")) {
                String line = line(table, row);
                assertTrue(line.matches(".*\\d+\\.\\d\\dx (faster|slower)$") || line.endsWith("too few samples (8)"), line);
            }
            assertTrue(line(table, "data check").matches("\\s*data check\\s+verified\\s+verified"), all);
            if (all.contains("Each com-socket JVM runs in a network namespace of its own")) {
                assertTrue(line(table, "TCP segments").endsWith(" 0"), "com-socket used TCP: " + all);
            }
        }
        Matcher m = Pattern.compile("regions: a fresh directory on tmpfs, (\\S+), removed").matcher(all);
        assertTrue(m.find(), all);
        assertTrue(m.group(1).startsWith("/dev/shm/"), all);
        assertFalse(Files.exists(Path.of(m.group(1))), "the region directory was left behind: " + m.group(1));
    }

    @Test
    void tinyFigure4WritesItsReportAndChartWhereItIsTold() throws Exception {
        Path docs = Path.of("../docs/bench/fig4.md");
        byte[] committed = Files.readAllBytes(docs);
        Path dir = work.resolve("fig4");
        List<String> out = run(90, JAVA, "-Djava.awt.headless=true", "-cp", BENCH, Fig4Bench.class.getName(),
                "--agent", AGENT, "--runs", "1", "--scale", "0.001", "--out", dir.toString());
        String md = Files.readString(dir.resolve("fig4.md"));
        byte[] png = Files.readAllBytes(dir.resolve("fig4.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        assertTrue(out.contains("written: " + dir.resolve("fig4.md") + ", " + dir.resolve("fig4.png")), String.join("\n", out));
        assertArrayEquals(committed, Files.readAllBytes(docs), "the committed report was overwritten");

        assertTrue(md.contains(" at commit "), md);
        assertTrue(md.contains("1 run per figure"), md);
        for (String size : List.of("| 1 B |", "| 64 B |", "| 1 KB |", "| 8 KB |", "| 64 KB |", "| 512 KB |")) {
            assertEquals(2, md.split(Pattern.quote(size), -1).length - 1, size + " in the time and throughput tables: " + md);
        }
        for (String section : List.of("## Latency", "## Conditions of the run", "## Baseline against the reference",
                "## Targets")) {
            assertTrue(md.contains(section), section + ": " + md);
        }
        String targets = md.substring(md.indexOf("## Targets"));
        int met = targets.split("\\| met \\|", -1).length - 1;
        int missed = targets.split("\\| missed: ", -1).length - 1;
        assertEquals(9, met + missed, targets);
        int reasons = 0;
        for (String line : targets.split("\n")) {
            reasons += line.startsWith("- **") ? 1 : 0;
        }
        assertEquals(missed, reasons, "a reason line for each missed target: " + targets);
        Matcher m = Pattern.compile("regions: a fresh directory on tmpfs, (\\S+), removed").matcher(md);
        assertTrue(m.find(), md);
        assertFalse(Files.exists(Path.of(m.group(1))), "the region directory was left behind: " + m.group(1));
    }

    /** Runs a command in {@link #work}; returns its output (stdout and stderr) once it exited with 0. */
    private List<String> run(int seconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
        List<String> out = new ArrayList<>();
        Thread pump = new Thread(() -> {
            try {
                for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
                    synchronized (out) {
                        out.add(line);
                    }
                }
            } catch (IOException e) {
                out.add("IO " + e);
            }
        });
        pump.start();
        long t0 = System.nanoTime();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            // asked to stop first, so that the run's exit hooks remove its region directory
            Processes.stop(p);
        }
        pump.join(10_000);
        System.out.printf("%s: %.1f s%n", cmd[cmd.length - 1], (System.nanoTime() - t0) / 1e9);
        synchronized (out) {
            assertTrue(done, "still running after " + seconds + " s: " + out);
            assertEquals(0, p.exitValue(), String.join("\n", out));
            return new ArrayList<>(out);
        }
    }

    /** The lines of the table whose title starts with {@code title}, up to the blank line after it. */
    private static List<String> table(List<String> out, String title) {
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).startsWith(title)) {
                List<String> t = new ArrayList<>();
                for (int j = i; j < out.size() && !out.get(j).isBlank(); j++) {
                    t.add(out.get(j));
                }
                return t;
            }
        }
        throw new AssertionError("no table '" + title + "' in " + out);
    }

    private static String line(List<String> table, String label) {
        for (String l : table.subList(2, table.size())) {
            if (l.contains(label)) {
                return l.strip();
            }
        }
        throw new AssertionError("no row '" + label + "' in " + table);
    }
}
