package io.comsock.agent;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The agent's JNA reads and writes its own settings: what the constant-pool redirect does. */
class PropertyRedirectTest {
    /** Calls every redirected method, as JNA's classes do. */
    public static final class Reads {
        public static String[] run() {
            String before = System.setProperty("jna.redirect.test", "mine");
            return new String[] {before, System.getProperty("jna.redirect.test"), System.getProperty("jna.redirect.absent", "default"),
                String.valueOf(Boolean.getBoolean("jna.redirect.test")), System.getProperty("java.version"),
                System.clearProperty("jna.redirect.test"), System.getProperty("jna.redirect.test")};
        }
    }

    /** Reads no property at all. */
    public static final class Quiet {
        public static int run() {
            return 42;
        }
    }

    private static byte[] bytesOf(Class<?> c) throws Exception {
        try (InputStream in = c.getResourceAsStream(c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class")) {
            return in.readAllBytes();
        }
    }

    private static Class<?> define(Class<?> c, byte[] bytes) throws Exception {
        ClassLoader loader = new ClassLoader(PropertyRedirectTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.equals(c.getName())) {
                    return defineClass(name, bytes, 0, bytes.length);
                }
                return super.loadClass(name, resolve);
            }
        };
        return Class.forName(c.getName(), true, loader);
    }

    @Test
    void jnaKeysGoToTheAgentsTableAndEveryOtherKeyToTheJvm() throws Exception {
        String[] asIs = (String[]) define(Reads.class, bytesOf(Reads.class)).getMethod("run").invoke(null);
        assertEquals("mine", asIs[1], "unchanged, the class uses the JVM's properties");
        assertNull(System.getProperty("jna.redirect.test"));

        System.setProperty("jna.redirect.test", "the application's");
        try {
            String[] r = (String[]) define(Reads.class, PropertyRedirect.redirect(bytesOf(Reads.class))).getMethod("run")
                    .invoke(null);
            assertNull(r[0], "the agent's table did not have it");
            assertEquals("mine", r[1]);
            assertEquals("default", r[2]);
            assertEquals("false", r[3]);
            assertEquals(System.getProperty("java.version"), r[4], "other keys are the JVM's");
            assertEquals("mine", r[5]);
            assertNull(r[6]);
            assertEquals("the application's", System.getProperty("jna.redirect.test"), "the JVM's value is untouched");
        } finally {
            System.clearProperty("jna.redirect.test");
        }
    }

    @Test
    void aClassThatReadsNoPropertyIsLeftAsItIs() throws Exception {
        byte[] quiet = bytesOf(Quiet.class);
        assertSame(quiet, PropertyRedirect.redirect(quiet));
        assertEquals(42, define(Quiet.class, quiet).getMethod("run").invoke(null));
    }

    @Test
    void onlyJnaClassesAreRedirected() {
        assertTrue(PropertyRedirect.applies("com.sun.jna.Native"));
        assertTrue(PropertyRedirect.applies("com.sun.jna.ptr.IntByReference"));
        assertFalse(PropertyRedirect.applies("io.comsock.agent.core.AgentRuntime"));
        assertFalse(PropertyRedirect.applies("com.sun.jnax.Other"));
    }

    @Test
    void whatIsNotAClassFileIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PropertyRedirect.redirect(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
        assertEquals("not a class file", e.getMessage());
    }
}
