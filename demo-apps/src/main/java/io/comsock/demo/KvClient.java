package io.comsock.demo;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Key-value load: SETs {@code keys} keys, then GETs them all back and checks every value, in
 * pipelined batches of {@code depth} requests. Args: host port keys depth.
 */
public final class KvClient {
    private KvClient() {
    }

    public static void main(String[] args) throws IOException {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int keys = Integer.parseInt(args[2]);
        int depth = Integer.parseInt(args[3]);
        Report report = new Report();
        long[] lat = new long[2 * ((keys + depth - 1) / depth)];
        int batches = 0;
        boolean verified = true;
        long bytes = 0;
        long t0;
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 65536);
            BufferedInputStream in = new BufferedInputStream(s.getInputStream(), 65536);
            t0 = System.nanoTime();
            for (int phase = 0; phase < 2; phase++) {
                for (int k = 0; k < keys; k += depth) {
                    int n = Math.min(depth, keys - k);
                    long t = System.nanoTime();
                    for (int i = k; i < k + n; i++) {
                        String req = phase == 0 ? "SET key" + i + " value-" + i + "-" + Integer.toHexString(i * 31) + "\n"
                                : "GET key" + i + "\n";
                        byte[] b = req.getBytes(StandardCharsets.US_ASCII);
                        out.write(b);
                        bytes += b.length;
                    }
                    out.flush();
                    for (int i = k; i < k + n; i++) {
                        String reply = KvServer.readLine(in);
                        String want = phase == 0 ? "OK" : "VALUE value-" + i + "-" + Integer.toHexString(i * 31);
                        verified &= want.equals(reply);
                        bytes += reply == null ? 0 : reply.length() + 1;
                    }
                    lat[batches++] = System.nanoTime() - t;
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        report.put("ops", Report.rate(2.0 * keys / secs)).put("MBps", Report.rate(bytes / secs / 1e6)).put("depth", depth).latency(lat, batches)
                .put("verified", verified).tcpSegments().print();
    }
}
