package io.comsock.bridge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A second JVM running {@link PeerMain}, with its output lines readable by the test. */
final class ChildProcess implements AutoCloseable {
    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final List<String> unmatched = new ArrayList<>();

    private ChildProcess(Process process) {
        this.process = process;
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("error=" + e);
            }
            lines.add("EXIT");
        });
        t.setDaemon(true);
        t.start();
    }

    static ChildProcess start(String mode, Path dir, int domain, int port, String... extra) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                PeerMain.class.getName(), mode, dir.toString(), Integer.toString(domain), Integer.toString(port)));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new ChildProcess(p);
    }

    /** The next line that starts with {@code prefix}, waiting up to {@code seconds}. */
    String await(String prefix, int seconds) throws InterruptedException {
        for (String earlier : unmatched) {
            if (earlier.startsWith(prefix)) {
                unmatched.remove(earlier);
                return earlier.substring(prefix.length());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError("no line starting with '" + prefix + "' within " + seconds
                        + " s; saw " + seen);
            }
            seen.add(line);
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length());
            }
            unmatched.add(line);
            if (line.equals("EXIT")) {
                throw new AssertionError("child exited before '" + prefix + "'; saw " + seen);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
