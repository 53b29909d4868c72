package io.comsock.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * An agent that does nothing: what the JVM itself charges for {@code -javaagent} (its
 * instrumentation module, the agent jar, the call of {@code premain}), the floor under any agent.
 */
public final class EmptyAgent {
    private EmptyAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        // nothing: only the JVM's own cost is measured
    }

    /** Writes a jar holding this class alone, as its premain class. */
    static Path jar(Path dir) throws IOException {
        Path jar = dir.resolve("empty-agent.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Premain-Class", EmptyAgent.class.getName());
        String entry = EmptyAgent.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
                InputStream in = EmptyAgent.class.getResourceAsStream("/" + entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
