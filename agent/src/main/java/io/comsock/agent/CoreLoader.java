package io.comsock.agent;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The class loader of the agent's core: it reads the nested jar and nothing of the application
 * (its parent is the platform loader). Its classes go to one named module once the launcher has
 * defined one to it (Java 22+), else to its own unnamed module.
 *
 * <p>The agent's JNA gets settings of its own as its classes load (see {@link PropertyRedirect}).
 *
 * <p>It is also how the core hands the launcher its entry point without reflection: the core's
 * {@code Entry} class, when initialised, passes an instance of itself to its loader's
 * {@link #accept}. (Each first reflective call costs a JVM from Java 18 on several generated
 * classes, a few milliseconds of every start.)
 */
final class CoreLoader extends ClassLoader implements Consumer<Object> {
    static {
        registerAsParallelCapable();
    }

    private final ZipFile zip;
    private final URI location;
    private final String module;
    private final ProtectionDomain domain;
    /** The scheme of the resource URLs this loader gives out. */
    private static final String SCHEME = "comsock-core";
    private volatile Object entry;

    /**
     * @param module the name of the module the core's packages belong to, or null for none
     */
    CoreLoader(Path jar, String module) throws IOException {
        super("comsock-agent", ClassLoader.getPlatformClassLoader());
        // kept open for the JVM's life: classes and resources load from it
        this.zip = new ZipFile(jar.toFile());
        this.location = jar.toUri();
        this.module = module;
        this.domain = new ProtectionDomain(new CodeSource(location.toURL(), (CodeSigner[]) null), null, this, null);
    }

    /**
     * The packages of the jar (directories of its entries that are legal package names, as for an
     * automatic module), but for {@code except}.
     */
    Set<String> packages(String except) {
        Set<String> packages = new HashSet<>();
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
            String entry = e.nextElement().getName();
            int slash = entry.lastIndexOf('/');
            if (slash > 0 && slash < entry.length() - 1 && !entry.startsWith("META-INF/")) {
                String pkg = entry.substring(0, slash).replace('/', '.');
                if (!pkg.equals(except) && legal(pkg)) {
                    packages.add(pkg);
                }
            }
        }
        return packages;
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

    URI location() {
        return location;
    }

    /** Initialises the core's entry class and returns what it handed over. */
    @SuppressWarnings("unchecked")
    Function<Object[], Object> entry(String className) throws ClassNotFoundException {
        Class.forName(className, true, this);
        Object e = entry;
        if (!(e instanceof Function)) {
            throw new IllegalStateException(className + " did not hand over its entry point");
        }
        return (Function<Object[], Object>) e;
    }

    @Override
    public void accept(Object handedOver) {
        entry = handedOver;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        ZipEntry e = zip.getEntry(name.replace('.', '/') + ".class");
        if (e == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(e)) {
            bytes = in.readAllBytes();
        } catch (IOException io) {
            throw new ClassNotFoundException(name + ": cannot read it from " + location, io);
        }
        if (PropertyRedirect.applies(name)) {
            try {
                bytes = PropertyRedirect.redirect(bytes);
            } catch (IllegalArgumentException bad) {
                throw new ClassFormatError(name + " in " + location + ": " + bad.getMessage());
            }
        }
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    @Override
    protected Class<?> findClass(String moduleName, String name) {
        if (!Objects.equals(moduleName, module)) {
            return null;
        }
        try {
            return findClass(name);
        } catch (ClassNotFoundException absent) {
            return null;
        }
    }

    @Override
    protected URL findResource(String moduleName, String name) {
        return Objects.equals(moduleName, module) ? findResource(name) : null;
    }

    @Override
    protected URL findResource(String name) {
        ZipEntry e = zip.getEntry(name);
        if (e == null || e.isDirectory()) {
            return null;
        }
        try {
            // read through the jar this loader holds open, not by opening its path again
            return new URL(SCHEME, "", -1, "/" + name, resources);
        } catch (MalformedURLException bad) {
            return null;
        }
    }

    /** Opens this loader's resource URLs on its own open jar. */
    private final URLStreamHandler resources = new URLStreamHandler() {
        @Override
        protected URLConnection openConnection(URL url) throws IOException {
            ZipEntry e = zip.getEntry(url.getPath().substring(1));
            if (e == null) {
                throw new FileNotFoundException(url + " is not in " + location);
            }
            return new URLConnection(url) {
                @Override
                public void connect() {
                    connected = true;
                }

                @Override
                public InputStream getInputStream() throws IOException {
                    return zip.getInputStream(e);
                }

                @Override
                public long getContentLengthLong() {
                    return e.getSize();
                }
            };
        }
    };

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.emptyEnumeration() : Collections.enumeration(Collections.singletonList(url));
    }
}
