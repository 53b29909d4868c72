package io.comsock.demo;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Downloads the server's file {@code times} times and checks the SHA-256 of each copy at the end
 * (the check is not part of the timed transfer). Args: host port times.
 */
public final class FileClient {
    private FileClient() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int times = Integer.parseInt(args[2]);
        Report report = new Report();
        long bytes = 0;
        long nanos = 0;
        boolean verified = true;
        long[] lat = new long[times];
        byte[] copy = null;
        for (int t = 0; t < times; t++) {
            String sha;
            long t0 = System.nanoTime();
            try (Socket s = new Socket(host, port)) {
                new DataOutputStream(s.getOutputStream()).writeUTF("demo.bin");
                DataInputStream in = new DataInputStream(s.getInputStream());
                int len = (int) in.readLong();
                sha = in.readUTF();
                if (copy == null || copy.length != len) {
                    copy = new byte[len];
                }
                in.readFully(copy);
                bytes += len;
            }
            lat[t] = System.nanoTime() - t0;
            nanos += lat[t];
            verified &= HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(copy)).equals(sha);
        }
        report.put("ops", Report.rate(times / (nanos / 1e9))).put("MBps", Report.rate(bytes / (nanos / 1e9) / 1e6)).put("bytes", bytes).latency(lat, times)
                .put("verified", verified).tcpSegments().print();
    }
}
