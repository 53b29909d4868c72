package io.comsock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the machine was doing around a benchmark run, measured so that a report can explain its
 * figures: load averages, the CPU time that other processes took meanwhile, and the source the
 * run was built from.
 */
final class RunConditions {
    /** Linux reports CPU times in /proc in units of USER_HZ, which is 100 on every architecture. */
    private static final double TICKS_PER_SECOND = 100;

    private RunConditions() {
    }

    /** A reading of the CPU counters: every CPU's busy and stolen time, and this process's own. */
    static final class Cpu {
        final long nanos;
        final long busy;
        final long steal;
        final long own;

        private Cpu(long nanos, long busy, long steal, long own) {
            this.nanos = nanos;
            this.busy = busy;
            this.steal = steal;
            this.own = own;
        }

        /**
         * Reads the counters now; {@code own} counts this process and its children that have
         * exited (each peer JVM, once stopped).
         */
        static Cpu now() {
            long nanos = System.nanoTime();
            try {
                String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                // cpu user nice system idle iowait irq softirq steal ...
                long busy = 0;
                for (int i : new int[] {1, 2, 3, 6, 7}) {
                    busy += Long.parseLong(cpu[i]);
                }
                long steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
                String self = Files.readString(Path.of("/proc/self/stat"));
                String[] f = self.substring(self.lastIndexOf(')') + 2).trim().split(" ");
                // f[0] is field 3 (state): utime, stime, cutime, cstime are fields 14 to 17
                long own = 0;
                for (int i = 11; i <= 14; i++) {
                    own += Long.parseLong(f[i]);
                }
                return new Cpu(nanos, busy, steal, own);
            } catch (IOException | RuntimeException e) {
                return new Cpu(nanos, -1, -1, -1);
            }
        }

        /** CPUs kept busy on average by other processes between {@code before} and this reading; NaN if unknown. */
        double othersSince(Cpu before) {
            if (busy < 0 || before.busy < 0) {
                return Double.NaN;
            }
            return Math.max(0, (busy - before.busy) - (own - before.own)) / TICKS_PER_SECOND / seconds(before);
        }

        /** CPUs' worth of time the hypervisor took away meanwhile; NaN if unknown. */
        double stealSince(Cpu before) {
            return busy < 0 || before.busy < 0 ? Double.NaN : (steal - before.steal) / TICKS_PER_SECOND / seconds(before);
        }

        private double seconds(Cpu before) {
            return Math.max(1e-3, (nanos - before.nanos) / 1e9);
        }
    }

    /** The 1, 5 and 15 minute load averages; NaN where unknown. */
    static double[] loadAverage() {
        double[] v = {Double.NaN, Double.NaN, Double.NaN};
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            for (int i = 0; i < 3; i++) {
                v[i] = Double.parseDouble(f[i]);
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return v;
    }

    /** The short commit id of the working tree, with "+dirty" if tracked files differ from it; "unknown" outside git. */
    static String commit() {
        String id = git("rev-parse", "--short", "HEAD");
        if (id == null || id.isEmpty()) {
            return "unknown";
        }
        String status = git("status", "--porcelain", "--untracked-files=no");
        return status == null || !status.isEmpty() ? id + "+dirty" : id;
    }

    private static String git(String... args) {
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of("git"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }
}
