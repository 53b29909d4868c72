package io.comsock.bench;

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
            cmd.addAll(List.of("unshare", "-n", "--"));
        }
        cmd.add(java());
        if (agentArg != null) {
            cmd.add(agentArg);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** True if this process may create network namespaces. */
    static boolean canIsolate() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
