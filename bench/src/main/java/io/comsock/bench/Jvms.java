package io.comsock.bench;

import io.comsock.demo.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starting the other JVMs of a benchmark: the same Java, the same class path. */
final class Jvms {
    private Jvms() {
    }

    /** The java launcher running this JVM. */
    static String java() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Starts {@code main} with this class path. {@code agentArg} (a whole {@code -javaagent:...}
     * option) may be null; with {@code isolate}, the JVM gets a network namespace of its own.
     */
    static Process start(boolean isolate, String agentArg, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (isolate) {
            cmd.addAll(ISOLATION);
        }
        cmd.add(java());
        if (agentArg != null) {
            cmd.add(agentArg);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The command prefix that gives a JVM an empty network namespace; empty if none can be made. */
    private static final List<String> ISOLATION = Processes.isolation();

    /** True if this process may create network namespaces (as root, or in a user namespace). */
    static boolean canIsolate() {
        return !ISOLATION.isEmpty();
    }
}
