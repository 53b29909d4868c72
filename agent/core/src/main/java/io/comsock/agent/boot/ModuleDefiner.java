package io.comsock.agent.boot;

import java.lang.module.ModuleDescriptor;
import java.net.URI;
import java.util.function.Consumer;
import java.util.function.Function;
import jdk.internal.access.JavaLangAccess;
import jdk.internal.access.SharedSecrets;

/**
 * Defines the agent core's named module to its class loader, as the JDK defines its own dynamic
 * modules: straight to the class loader, without resolving a configuration or creating a module
 * layer (which costs about 30 ms of generated classes at every start). Like an automatic module,
 * it reads every module of the boot layer and every unnamed module, and exports and opens all
 * its packages.
 *
 * <p>This class lives in a package of its own that is not part of that module: it is loaded
 * before the module exists, into the loader's unnamed module, to which the launcher has exported
 * {@code jdk.internal.access} alone. It is handed over to the launcher like the core's entry
 * point, by passing an instance to its class loader.
 */
public final class ModuleDefiner implements Function<Object[], Object> {
    static {
        ClassLoader loader = ModuleDefiner.class.getClassLoader();
        if (loader instanceof Consumer) {
            @SuppressWarnings("unchecked")
            Consumer<Object> mailbox = (Consumer<Object>) loader;
            mailbox.accept(new ModuleDefiner());
        }
    }

    private ModuleDefiner() {
    }

    /** {@code {loader, descriptor, location}}: defines the module and returns it. */
    @Override
    public Object apply(Object[] what) {
        JavaLangAccess jla = SharedSecrets.getJavaLangAccess();
        Module module = jla.defineModule((ClassLoader) what[0], (ModuleDescriptor) what[1], (URI) what[2]);
        for (Module other : ModuleLayer.boot().modules()) {
            jla.addReads(module, other);
        }
        jla.addReadsAllUnnamed(module);
        return module;
    }
}
