package io.comsock.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;

/**
 * Echo load: {@code connections} threads, each sending {@code requests} 64-byte messages one at a
 * time and checking each echo. Args: host port connections requests.
 */
public final class EchoClient {
    private EchoClient() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int conns = Integer.parseInt(args[2]);
        int requests = Integer.parseInt(args[3]);
        Report report = new Report();
        long[] lat = new long[conns * requests];
        boolean[] ok = new boolean[conns];
        Thread[] threads = new Thread[conns];
        long t0 = System.nanoTime();
        for (int c = 0; c < conns; c++) {
            int id = c;
            threads[c] = new Thread(() -> ok[id] = run(host, port, requests, lat, id * requests, id));
            threads[c].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        boolean verified = true;
        for (boolean b : ok) {
            verified &= b;
        }
        long total = (long) conns * requests;
        report.put("ops", Report.rate(total / secs)).put("MBps", Report.rate(total * 128.0 / secs / 1e6))
                .latency(lat, lat.length).put("verified", verified).tcpSegments().print();
    }

    private static boolean run(String host, int port, int requests, long[] lat, int base, int seed) {
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] msg = new byte[64];
            byte[] back = new byte[64];
            Random r = new Random(seed);
            boolean same = true;
            for (int i = 0; i < requests; i++) {
                r.nextBytes(msg);
                long t = System.nanoTime();
                out.write(msg);
                for (int got = 0; got < 64; ) {
                    int n = in.read(back, got, 64 - got);
                    if (n < 0) {
                        return false;
                    }
                    got += n;
                }
                lat[base + i] = System.nanoTime() - t;
                same &= Arrays.equals(msg, back);
            }
            return same;
        } catch (IOException e) {
            System.err.println("echo client: " + e);
            return false;
        }
    }
}
