package io.comsock.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Another JVM running an unmodified program, with or without the agent; its output is kept.
 *
 * <p>The tests run inside a network namespace of their own whose only interface is loopback,
 * brought up (see {@code bin/netns}). Each JVM started here gets a fresh namespace of its own
 * inside that one, with loopback down, so it has no network at all: programs that talk over
 * com-socket need none, and a connection that tried to leave over TCP fails at once. Only a test
 * that needs TCP (to compare with it, or to see what is left on it) lets its JVMs share the test's
 * namespace and its loopback ({@link #sharingLoopback}). Where no namespace can be made
 * (not root), the JVMs share the test's.
 */
final class Jvm implements AutoCloseable {
    static final String JAVA = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    static final String AGENT = System.getProperty("comsock.agent.jar");
    /** Whether {@code unshare -n} works here. */
    static final boolean OWN_NAMESPACES = canUnshare();
    private static volatile boolean loopback;

    final Process process;
    private final List<String> out = Collections.synchronizedList(new ArrayList<>());
    private final List<String> err = Collections.synchronizedList(new ArrayList<>());

    private Jvm(Process p) {
        this.process = p;
        pump(p.getInputStream(), out);
        pump(p.getErrorStream(), err);
    }

    /**
     * Starts {@code main} with the test classes; {@code agentArgs} null means without the agent.
     * {@code jvmArgs} come before the class name.
     */
    static Jvm start(String agentArgs, List<String> jvmArgs, Map<String, String> env, String main, String... args)
            throws IOException {
        return startWithClassPath(agentArgs, jvmArgs, env, System.getProperty("java.class.path"), main, args);
    }

    /** The same with a class path of the caller's. */
    static Jvm startWithClassPath(String agentArgs, List<String> jvmArgs, Map<String, String> env, String classPath,
            String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (OWN_NAMESPACES && !loopback) {
            cmd.addAll(List.of("unshare", "-n", "--")); // it execs the JVM: the process id stays
        }
        cmd.add(JAVA);
        if (agentArgs != null) {
            cmd.add("-javaagent:" + AGENT + (agentArgs.isEmpty() ? "" : "=" + agentArgs));
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(main);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("COMSOCK_"));
        pb.environment().putAll(env);
        return new Jvm(pb.start());
    }

    /** A test body. */
    interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} with the JVMs it starts sharing the test's network namespace and its
     * loopback (for tests that need TCP). Tests run one at a time.
     */
    static void sharingLoopback(Body body) throws Exception {
        loopback = true;
        try {
            body.run();
        } finally {
            loopback = false;
        }
    }

    /** The same for a whole test class: {@code @ExtendWith(Jvm.SharingLoopback.class)}. */
    static final class SharingLoopback implements org.junit.jupiter.api.extension.BeforeAllCallback,
            org.junit.jupiter.api.extension.AfterAllCallback {
        @Override
        public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) {
            loopback = true;
        }

        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) {
            loopback = false;
        }
    }

    private static boolean canUnshare() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs the agent jar itself: {@code java -jar comsock-agent.jar args}. */
    static Jvm agentJar(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-jar", AGENT));
        cmd.addAll(List.of(args));
        return new Jvm(new ProcessBuilder(cmd).start());
    }

    static Jvm start(String agentArgs, String main, String... args) throws IOException {
        return start(agentArgs, List.of(), Map.of(), main, args);
    }

    private static void pump(java.io.InputStream in, List<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in))) {
                for (String line; (line = r.readLine()) != null; ) {
                    sink.add(line);
                }
            } catch (IOException e) {
                sink.add("IO " + e);
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** The first stdout line starting with {@code prefix} (the rest of it), waiting up to 30 s. */
    String await(String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            synchronized (out) {
                for (String line : out) {
                    if (line.startsWith(prefix)) {
                        return line.substring(prefix.length());
                    }
                }
            }
            if (!process.isAlive()) {
                Thread.sleep(50); // let the pump read the last lines
                synchronized (out) {
                    for (String line : out) {
                        if (line.startsWith(prefix)) {
                            return line.substring(prefix.length());
                        }
                    }
                }
                throw new AssertionError("exited (" + process.exitValue() + ") before '" + prefix + "'; out=" + out + " err=" + err);
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no '" + prefix + "' within 30 s; out=" + out + " err=" + err);
    }

    /** Waits for the exit; returns the exit code. */
    int exit() throws InterruptedException {
        return exitWithin(30);
    }

    int exitWithin(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("still running after " + seconds + " s; out=" + out + " err=" + err);
        }
        Thread.sleep(50);
        return process.exitValue();
    }

    void send(String line) throws IOException {
        OutputStream o = process.getOutputStream();
        o.write((line + "\n").getBytes());
        o.flush();
    }

    List<String> out() {
        synchronized (out) {
            return new ArrayList<>(out);
        }
    }

    List<String> err() {
        synchronized (err) {
            return new ArrayList<>(err);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
