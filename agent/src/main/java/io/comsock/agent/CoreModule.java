package io.comsock.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The agent core's jar as an automatic module, described straight from its entries. This is what
 * {@code ModuleFinder.of(jar)} finds, without what makes that cost about 15 ms of every start:
 * deriving a name, compiling its patterns, parsing service files the core does not have. The
 * module's packages are the directories of its entries that are legal package names, as there.
 */
final class CoreModule {
    private CoreModule() {
    }

    static ModuleFinder finder(Path jar, String name) throws IOException {
        // kept open for the JVM's life: the module's class loader reads classes from it
        ZipFile zip = new ZipFile(jar.toFile());
        Set<String> packages = new HashSet<>();
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
            String entry = e.nextElement().getName();
            int slash = entry.lastIndexOf('/');
            if (slash > 0 && slash < entry.length() - 1 && !entry.startsWith("META-INF/")) {
                String pkg = entry.substring(0, slash).replace('/', '.');
                if (legal(pkg)) {
                    packages.add(pkg);
                }
            }
        }
        ModuleDescriptor descriptor = ModuleDescriptor.newAutomaticModule(name).packages(packages).build();
        URI location = jar.toUri();
        ModuleReference ref = new ModuleReference(descriptor, location) {
            @Override
            public ModuleReader open() {
                return new Reader(zip, location);
            }
        };
        return new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String module) {
                return module.equals(name) ? Optional.of(ref) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(ref);
            }
        };
    }

    private static boolean legal(String pkg) {
        for (String part : pkg.split("\\.", -1)) {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.charAt(0))) {
                return false;
            }
            for (int i = 1; i < part.length(); i++) {
                if (!Character.isJavaIdentifierPart(part.charAt(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Reads the module's entries from the open jar. */
    private static final class Reader implements ModuleReader {
        private final ZipFile zip;
        private final URI location;

        Reader(ZipFile zip, URI location) {
            this.zip = zip;
            this.location = location;
        }

        @Override
        public Optional<URI> find(String name) {
            return zip.getEntry(name) == null ? Optional.empty() : Optional.of(URI.create("jar:" + location + "!/" + name));
        }

        @Override
        public Optional<InputStream> open(String name) throws IOException {
            ZipEntry e = zip.getEntry(name);
            return e == null || e.isDirectory() ? Optional.empty() : Optional.of(zip.getInputStream(e));
        }

        @Override
        public Stream<String> list() {
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                names.add(e.nextElement().getName());
            }
            return names.stream();
        }

        @Override
        public void close() {
            // the jar stays open: classes load from it for the JVM's life
        }
    }
}
