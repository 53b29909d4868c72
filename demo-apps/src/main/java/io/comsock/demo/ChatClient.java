package io.comsock.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Chat load: {@code members} connections join; each says {@code messages} lines; every member must
 * hear every other member's lines, each sender's in order. Latency is from saying to hearing.
 * Args: host port members messages.
 */
public final class ChatClient {
    private ChatClient() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int members = Integer.parseInt(args[2]);
        int messages = Integer.parseInt(args[3]);
        int expected = (members - 1) * messages;
        Report report = new Report();
        Socket[] sockets = new Socket[members];
        for (int i = 0; i < members; i++) {
            sockets[i] = new Socket(host, port);
            sockets[i].setTcpNoDelay(true);
        }
        // nobody speaks before the room has welcomed every member
        CountDownLatch joined = new CountDownLatch(members);
        long[][] lat = new long[members][expected];
        AtomicBoolean verified = new AtomicBoolean(true);
        AtomicLong bytes = new AtomicLong();
        CountDownLatch heard = new CountDownLatch(members);
        for (int i = 0; i < members; i++) {
            int me = i;
            Thread reader = new Thread(() -> {
                try {
                    BufferedReader in = new BufferedReader(new InputStreamReader(sockets[me].getInputStream(), StandardCharsets.UTF_8));
                    if (!"WELCOME".equals(in.readLine())) {
                        verified.set(false);
                    }
                    joined.countDown();
                    int[] next = new int[members];
                    long heardBytes = 0;
                    for (int n = 0; n < expected; n++) {
                        String line = in.readLine();
                        if (line == null) {
                            verified.set(false);
                            return;
                        }
                        heardBytes += line.length() + 1;
                        String[] f = line.split(" ");
                        int from = Integer.parseInt(f[0]);
                        int seq = Integer.parseInt(f[1]);
                        if (from == me || seq != next[from]++) {
                            verified.set(false);
                        }
                        lat[me][n] = System.nanoTime() - Long.parseLong(f[2]);
                    }
                    bytes.addAndGet(heardBytes);
                } catch (IOException | RuntimeException e) {
                    System.err.println("chat member " + me + ": " + e);
                    verified.set(false);
                } finally {
                    heard.countDown();
                }
            });
            reader.start();
        }
        joined.await();
        long t0 = System.nanoTime();
        Thread[] speakers = new Thread[members];
        for (int i = 0; i < members; i++) {
            int me = i;
            speakers[i] = new Thread(() -> {
                try {
                    OutputStream out = sockets[me].getOutputStream();
                    for (int m = 0; m < messages; m++) {
                        out.write((me + " " + m + " " + System.nanoTime() + " hello from member " + me + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    System.err.println("chat member " + me + ": " + e);
                    verified.set(false);
                }
            });
            speakers[i].start();
        }
        heard.await();
        double secs = (System.nanoTime() - t0) / 1e9;
        for (Socket s : sockets) {
            s.close();
        }
        long[] all = new long[members * expected];
        for (int i = 0; i < members; i++) {
            System.arraycopy(lat[i], 0, all, i * expected, expected);
        }
        report.put("ops", Report.rate((double) members * expected / secs))
                .put("MBps", Report.rate(bytes.get() / secs / 1e6)).put("members", members)
                .latency(all, all.length).put("verified", verified.get()).tcpSegments().print();
    }
}
