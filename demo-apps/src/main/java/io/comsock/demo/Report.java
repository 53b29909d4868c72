package io.comsock.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a demo client prints at the end: one {@code RESULT key=value ...} line. Made when the
 * client starts, so that the TCP segments it counts are those of the client's own run.
 */
final class Report {
    private final StringBuilder sb = new StringBuilder("RESULT");
    private final long segmentsAtStart = segments();

    Report put(String key, Object value) {
        sb.append(' ').append(key).append('=').append(value);
        return this;
    }

    /** The median, and the 99th and 99.9th percentiles where there are enough samples for them. */
    Report latency(long[] nanos, int n) {
        long[] c = Arrays.copyOf(nanos, n);
        Arrays.sort(c);
        put("samples", n).put("p50us", us(c[n / 2]));
        if (n >= 100) {
            put("p99us", us(c[(int) (n * 0.99)]));
        }
        if (n >= 1000) {
            put("p999us", us(c[(int) (n * 0.999)]));
        }
        return this;
    }

    /**
     * TCP segments this process's network namespace saw while the client ran: 0 proves that
     * nothing went over TCP.
     */
    Report tcpSegments() {
        long now = segments();
        return put("tcpSegments", now < 0 || segmentsAtStart < 0 ? "unknown" : Long.toString(now - segmentsAtStart));
    }

    /** Segments in and out so far, in this process's network namespace; -1 if unknown. */
    private static long segments() {
        try {
            List<String> snmp = Files.readAllLines(Path.of("/proc/self/net/snmp"));
            String[] names = null;
            for (String line : snmp) {
                if (!line.startsWith("Tcp:")) {
                    continue;
                }
                String[] f = line.substring(4).trim().split("\\s+");
                if (names == null) {
                    names = f;
                    continue;
                }
                long segs = 0;
                for (int i = 0; i < names.length; i++) {
                    if (names[i].equals("InSegs") || names[i].equals("OutSegs")) {
                        segs += Long.parseLong(f[i]);
                    }
                }
                return segs;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    void print() {
        System.out.println(sb);
        System.out.flush();
    }

    static String us(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }

    static String rate(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
