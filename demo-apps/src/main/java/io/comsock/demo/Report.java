package io.comsock.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What a demo client prints at the end: one {@code RESULT key=value ...} line. */
final class Report {
    private final StringBuilder sb = new StringBuilder("RESULT");

    Report put(String key, Object value) {
        sb.append(' ').append(key).append('=').append(value);
        return this;
    }

    Report latency(long[] nanos, int n) {
        long[] c = Arrays.copyOf(nanos, n);
        Arrays.sort(c);
        return put("p50us", us(c[n / 2])).put("p99us", us(c[(int) (n * 0.99)])).put("p999us", us(c[(int) (n * 0.999)]));
    }

    /** TCP segments this process's network namespace has seen: 0 proves nothing went over TCP. */
    Report tcpSegments() {
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
                return put("tcpSegments", segs);
            }
        } catch (IOException | RuntimeException e) {
            return put("tcpSegments", "unknown");
        }
        return put("tcpSegments", "unknown");
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
