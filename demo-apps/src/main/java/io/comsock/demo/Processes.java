package io.comsock.demo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A runner's child processes: a network namespace each, a time limit, and a stop that waits for the exit. */
public final class Processes {
    private Processes() {
    }

    /**
     * The command prefix that starts a process in a fresh network namespace (as root, else in an
     * unprivileged user namespace), whose only interface is a loopback that is down; empty if no
     * namespace can be made here.
     */
    public static List<String> isolation() {
        for (List<String> prefix : List.of(List.of("unshare", "-n", "--"), List.of("unshare", "-r", "-n", "--"))) {
            try {
                List<String> probe = new ArrayList<>(prefix);
                probe.add("true");
                Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) {
                    return prefix;
                }
            } catch (IOException | InterruptedException e) {
                // try the next way
            }
        }
        return List.of();
    }

    /** Kills {@code p} if it still runs after {@code seconds}, so that a hung child cannot hang the run. */
    public static void limit(Process p, long seconds) {
        CompletableFuture.delayedExecutor(seconds, TimeUnit.SECONDS).execute(() -> {
            if (p.isAlive()) {
                System.err.println("process " + p.pid() + " still ran after " + seconds + " s: killed");
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        });
    }

    /**
     * Stops {@code p} and its descendants and returns once all have exited: a polite request first,
     * a kill after 10 s.
     *
     * @throws IOException if a process still runs 10 s after the kill
     */
    public static void stop(Process p) throws IOException, InterruptedException {
        List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
        all.add(p.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : all) {
            if (!awaitExit(h, 10)) {
                h.destroyForcibly();
                if (!awaitExit(h, 10)) {
                    throw new IOException("process " + h.pid() + " did not exit, even when killed");
                }
            }
        }
    }

    private static boolean awaitExit(ProcessHandle h, long seconds) throws InterruptedException {
        try {
            h.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !h.isAlive();
        }
    }
}
