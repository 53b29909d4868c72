package io.comsock.agent;

import com.sun.tools.attach.VirtualMachine;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.lang.module.ModuleDescriptor;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * The agent's entry points, and the only classes of it on the application's class path.
 *
 * <p>Everything else (the routing, the transport, Byte Buddy relocated, JNA) sits in a jar nested
 * inside this one, which only the agent's own class loader reads: the application never sees a
 * class of it, so it can bring its own Byte Buddy or JNA at any version. JNA cannot be relocated
 * (its native stub is bound to the names {@code com.sun.jna.*}), which is why the isolation is by
 * class loader. One tiny generated class, {@code java.net.ComsockSocketHook}, is defined inside
 * {@code java.base} so that the JDK's patched {@code SocketImpl} can reach the agent.
 *
 * <pre>
 * java -javaagent:comsock-agent.jar=domain=3 -jar app.jar      start an application as domain 3
 * java -jar comsock-agent.jar status [dir]                     list the live domains
 * java -jar comsock-agent.jar attach PID domain=3[,key=value]  load the agent into a running JVM
 * </pre>
 */
public final class Agent {
    private static final String CORE = "comsock-agent-core.jar";
    private static final String CORE_MODULE = "comsock.agent.core";
    private static final String ENTRY = "io.comsock.agent.core.Entry";
    private static final String BOOT_PACKAGE = "io.comsock.agent.boot";
    private static boolean started;

    private Agent() {
    }

    public static void premain(String args, Instrumentation inst) {
        String problem = start(args, inst, false);
        if (problem != null) {
            // bad configuration stops the JVM before main runs, with one line that says why
            System.err.println("comsock: " + problem);
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    public static void agentmain(String args, Instrumentation inst) {
        String problem = start(args, inst, true);
        if (problem != null) {
            System.err.println("comsock: " + problem);
            // the attaching tool reports this; the running application is left as it was
            throw new IllegalArgumentException(problem);
        }
    }

    /** Starts the agent once; returns null, or the one-line reason it cannot run. */
    private static synchronized String start(String args, Instrumentation inst, boolean attached) {
        if (started || disabled(args)) {
            return null;
        }
        try {
            Path cache = cacheDir();
            Object problem = coreLoader(cache, inst).entry(ENTRY).apply(new Object[] {"start", args, inst, attached});
            started = problem == null;
            return (String) problem;
        } catch (Throwable t) {
            return "the agent could not start: " + t;
        }
    }

    /**
     * True when the first of the agent arguments, the system property and the environment that
     * sets {@code enabled} says {@code false}: then nothing of the agent loads at all. (A rules
     * file can say it too, read by the core, which then changes nothing either.)
     */
    private static boolean disabled(String args) {
        String value = null;
        if (args != null) {
            for (String part : args.split(",")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).trim().equals("enabled")) {
                    value = part.substring(eq + 1).trim();
                }
            }
        }
        if (value == null) {
            value = System.getProperty("comsock.enabled", System.getenv("COMSOCK_ENABLED"));
        }
        return "false".equalsIgnoreCase(value);
    }

    /**
     * The agent's own class loader over the nested jar (extracted once per content into a
     * per-user directory). With {@code inst}, also opens to the loader what the routing
     * implementation needs of {@code java.base}.
     */
    static CoreLoader coreLoader(Path cache, Instrumentation inst) throws IOException, ClassNotFoundException {
        // the extracted copy is named after the agent jar's size and time, so a start normally
        // reads nothing of the nested jar; it is written only when missing
        URL self = Agent.class.getProtectionDomain().getCodeSource().getLocation();
        Path agentJar;
        try {
            agentJar = Paths.get(self.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException("cannot locate the agent jar from " + self, e);
        }
        String tag = Long.toHexString(Files.size(agentJar)) + "-" + Long.toHexString(Files.getLastModifiedTime(agentJar).toMillis());
        Path coreJar = cache.resolve("core-" + tag + ".jar");
        boolean named = inst != null && Runtime.version().feature() >= 22;
        CoreLoader loader = null;
        for (int attempt = 0; loader == null; attempt++) {
            if (!Files.isRegularFile(coreJar)) {
                extract(agentJar, coreJar);
            }
            try {
                loader = new CoreLoader(coreJar, named ? CORE_MODULE : null);
            } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException gone) {
                // removed between the check and the opening, as a stale copy, by a JVM starting
                // another version of the agent: written again
                if (attempt >= 2) {
                    throw gone;
                }
            }
        }
        Module agent;
        if (named) {
            // the core is a named module of its own, so that the native access it grants itself
            // concerns it alone (an unnamed module's grant would reach the application's unnamed
            // modules too); it is defined by a class of the core that java.base's internal access
            // is exported to, before anything else of the core loads
            inst.redefineModule(Object.class.getModule(), Set.of(),
                    Map.of("jdk.internal.access", Set.of(loader.getUnnamedModule())), Map.of(), Set.of(), Map.of());
            ModuleDescriptor descriptor = ModuleDescriptor.newAutomaticModule(CORE_MODULE)
                    .packages(packages(loader, coreJar)).build();
            agent = (Module) loader.entry(BOOT_PACKAGE + ".ModuleDefiner").apply(new Object[] {loader, descriptor,
                loader.location()});
        } else {
            // before Java 22 there is no native access to grant: the loader's own unnamed
            // module keeps what java.base opens to the agent just as private
            agent = loader.getUnnamedModule();
        }
        if (inst != null) {
            // the agent implements sun.net.PlatformSocketImpl, builds the JDK's NioSocketImpl,
            // calls SocketImpl's protected methods on other instances, defines its hook class in
            // java.net, and (Java 22+) grants its own module native access for JNA
            inst.redefineModule(Object.class.getModule(), Set.of(),
                    Map.of("sun.net", Set.of(agent), "sun.nio.ch", Set.of(agent), "jdk.internal.access", Set.of(agent)),
                    Map.of("java.net", Set.of(agent)), Set.of(), Map.of());
        }
        return loader;
    }

    /**
     * The packages of the core's module: those of the core jar but the boot package, listed once
     * in a file beside the extracted jar (reading a few lines is cheaper than walking the jar).
     */
    private static Set<String> packages(CoreLoader loader, Path coreJar) {
        Path list = coreJar.resolveSibling(coreJar.getFileName() + ".packages");
        try {
            // (no reader: decoding the bytes as a whole loads no decoder classes; a one-character
            // split needs no regular expression)
            Set<String> packages = new java.util.HashSet<>();
            for (String pkg : new String(Files.readAllBytes(list), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                if (!pkg.isEmpty()) {
                    packages.add(pkg);
                }
            }
            if (packages.isEmpty()) {
                throw new IOException(list + " is empty");
            }
            return packages;
        } catch (IOException | RuntimeException absent) {
            Set<String> packages = loader.packages(BOOT_PACKAGE);
            try {
                materialize(list, String.join("\n", packages).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException notWritten) {
                // listed again next time
            }
            return packages;
        }
    }

    /**
     * Writes the nested core jar to {@code coreJar}, and removes what other versions of the agent
     * left that is older than a day (a JVM running one keeps its open files; one starting one
     * writes them again if they went).
     */
    private static void extract(Path agentJar, Path coreJar) throws IOException {
        try (InputStream in = Agent.class.getResourceAsStream(CORE)) {
            if (in == null) {
                throw new IOException(CORE + " is missing from the agent jar " + agentJar);
            }
            materialize(coreJar, in.readAllBytes());
        }
        // what other versions left: their core jars, JNA stubs ("jna-core-..."), patch checks
        // ("patchable-..."), and files of runs killed midway ("map...", "part...")
        long dayAgo = System.currentTimeMillis() - 24L * 3600 * 1000;
        Path ownStub = coreJar.resolveSibling("jna-" + coreJar.getFileName());
        try (var old = Files.newDirectoryStream(coreJar.getParent(), "{core-,jna-core-,patchable-,map,part}*")) {
            for (Path p : old) {
                // (this version's own files: its core jar, the list of its packages, its stub)
                if (!p.getFileName().toString().startsWith(coreJar.getFileName().toString()) && !p.equals(ownStub)
                        && Files.getLastModifiedTime(p).toMillis() < dayAgo) {
                    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        try (var inside = Files.newDirectoryStream(p)) {
                            for (Path q : inside) {
                                Files.deleteIfExists(q);
                            }
                        }
                    }
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Path cacheDir() throws IOException {
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "comsock-agent-" + System.getProperty("user.name", "user"));
        try {
            // one stat of the directory (not following a link) and one of /proc/self, whose owner
            // is our uid: comparing numbers needs no user database lookup
            Map<String, Object> a;
            try {
                a = Files.readAttributes(dir, "unix:uid,mode,isDirectory", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException absent) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // made meanwhile by another JVM: checked below like any
                }
                a = Files.readAttributes(dir, "unix:uid,mode,isDirectory", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
            Object me = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
            if (Boolean.TRUE.equals(a.get("isDirectory")) && me.equals(a.get("uid"))
                    && (((Integer) a.get("mode")) & 0777) == 0700) {
                return dir;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException notUnix) {
            // fall back to a fresh private directory
        }
        return Files.createTempDirectory("comsock-agent");
    }

    /** Writes {@code bytes} to {@code target} atomically. */
    private static Path materialize(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "part", ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /** {@code status [dir]}, {@code attach PID ARGS}. */
    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("status")) {
            Object rc = coreLoader(cacheDir(), null).entry(ENTRY).apply(new Object[] {"status", args, System.out});
            System.exit((Integer) rc);
        }
        if (args.length >= 2 && args[0].equals("attach")) {
            String jar = new File(Agent.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
            VirtualMachine vm = VirtualMachine.attach(args[1]);
            try {
                vm.loadAgent(jar, args.length > 2 ? args[2] : "");
            } finally {
                vm.detach();
            }
            System.out.println("comsock: agent loaded into process " + args[1]);
            return;
        }
        OutputStream err = System.err;
        err.write(("usage: java -jar comsock-agent.jar status [dir]\n"
                + "       java -jar comsock-agent.jar attach PID domain=N[,key=value...]\n"
                + "       java -javaagent:comsock-agent.jar=domain=N[,key=value...] ...\n").getBytes());
        System.exit(2);
    }
}
