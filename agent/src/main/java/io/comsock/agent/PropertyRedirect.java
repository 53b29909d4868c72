package io.comsock.agent;

/**
 * Gives the agent's JNA settings of its own: in a class file of {@code com.sun.jna}, every call of
 * {@code System.getProperty}, {@code System.setProperty}, {@code System.clearProperty} and
 * {@code Boolean.getBoolean} is sent to the static method of the same name and type of
 * {@link #TARGET} instead, which keeps JNA's own keys ({@code jna.*}, {@code jnidispatch.*}) in a
 * table of the agent's and passes every other key to the JVM's properties.
 *
 * <p>JNA takes its native stub, the directories it searches and its debugging switches from
 * JVM-wide properties, which the application may set for its own JNA (and which JNA writes
 * back). With this, the agent's JNA neither sees the application's settings nor changes them, and
 * it can load whenever the agent needs it, not only while the application cannot yet run.
 *
 * <p>The change is to the constant pool alone: each matching method reference gets a new class,
 * {@link #TARGET}, appended to the pool; no instruction moves.
 */
final class PropertyRedirect {
    /** The class the calls go to, a class of the agent's core. */
    static final String TARGET = "io/comsock/agent/core/JnaSettings";

    private static final int UTF8 = 1;
    private static final int CLASS = 7;
    private static final int METHODREF = 10;
    private static final int NAME_AND_TYPE = 12;

    private PropertyRedirect() {
    }

    /** Whether classes of this name get their calls redirected. */
    static boolean applies(String className) {
        return className.startsWith("com.sun.jna.");
    }

    /**
     * {@code bytes} with the property calls redirected, or {@code bytes} itself when it makes
     * none.
     *
     * @throws IllegalArgumentException for bytes that are not a class file this can read
     */
    static byte[] redirect(byte[] bytes) {
        try {
            return redirectOrThrow(bytes);
        } catch (IndexOutOfBoundsException truncated) {
            throw new IllegalArgumentException("truncated class file");
        }
    }

    private static byte[] redirectOrThrow(byte[] bytes) {
        if (bytes.length < 10 || u4(bytes, 0) != 0xCAFEBABE) {
            throw new IllegalArgumentException("not a class file");
        }
        int count = u2(bytes, 8);
        int[] offset = new int[count];
        int p = 10;
        for (int i = 1; i < count; i++) {
            offset[i] = p;
            int tag = bytes[p] & 0xFF;
            switch (tag) {
                case UTF8:
                    p += 3 + u2(bytes, p + 1);
                    break;
                case 3: case 4: // integer, float
                case 9: case METHODREF: case 11: // field, method, interface method references
                case NAME_AND_TYPE: case 17: case 18: // name and type, dynamic, invokedynamic
                    p += 5;
                    break;
                case 5: case 6: // long, double: two entries
                    p += 9;
                    i++;
                    break;
                case CLASS: case 8: case 16: case 19: case 20: // class, string, method type, module, package
                    p += 3;
                    break;
                case 15: // method handle
                    p += 4;
                    break;
                default:
                    throw new IllegalArgumentException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        int poolEnd = p;
        // the method references to redirect (offsets of their entries)
        int[] matches = new int[count];
        int n = 0;
        for (int i = 1; i < count; i++) {
            int e = offset[i];
            if (e == 0 || (bytes[e] & 0xFF) != METHODREF) {
                continue;
            }
            String owner = utf8(bytes, offset, u2(bytes, offset[u2(bytes, e + 1)] + 1));
            int nat = offset[u2(bytes, e + 3)];
            if (redirected(owner, utf8(bytes, offset, u2(bytes, nat + 1)), utf8(bytes, offset, u2(bytes, nat + 3)))) {
                matches[n++] = e;
            }
        }
        if (n == 0) {
            return bytes;
        }
        if (count + 2 > 0xFFFF) {
            throw new IllegalArgumentException("constant pool full");
        }
        // appended: the utf8 of the target's name (entry count), its class entry (count + 1)
        byte[] name = TARGET.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int added = 3 + name.length + 3;
        byte[] out = new byte[bytes.length + added];
        System.arraycopy(bytes, 0, out, 0, poolEnd);
        System.arraycopy(bytes, poolEnd, out, poolEnd + added, bytes.length - poolEnd);
        out[8] = (byte) ((count + 2) >>> 8);
        out[9] = (byte) (count + 2);
        out[poolEnd] = UTF8;
        out[poolEnd + 1] = (byte) (name.length >>> 8);
        out[poolEnd + 2] = (byte) name.length;
        System.arraycopy(name, 0, out, poolEnd + 3, name.length);
        out[poolEnd + 3 + name.length] = CLASS;
        out[poolEnd + 4 + name.length] = (byte) (count >>> 8);
        out[poolEnd + 5 + name.length] = (byte) count;
        for (int k = 0; k < n; k++) {
            out[matches[k] + 1] = (byte) ((count + 1) >>> 8);
            out[matches[k] + 2] = (byte) (count + 1);
        }
        return out;
    }

    private static boolean redirected(String owner, String name, String desc) {
        if (owner.equals("java/lang/System")) {
            return name.equals("getProperty") && (desc.equals("(Ljava/lang/String;)Ljava/lang/String;")
                    || desc.equals("(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;"))
                || name.equals("setProperty") && desc.equals("(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;")
                || name.equals("clearProperty") && desc.equals("(Ljava/lang/String;)Ljava/lang/String;");
        }
        return owner.equals("java/lang/Boolean") && name.equals("getBoolean") && desc.equals("(Ljava/lang/String;)Z");
    }

    /** The text of utf8 entry {@code index}, if it is plain ASCII (names here are), else "". */
    private static String utf8(byte[] b, int[] offset, int index) {
        int e = offset[index];
        if ((b[e] & 0xFF) != UTF8) {
            throw new IllegalArgumentException("entry " + index + " is not utf8");
        }
        int len = u2(b, e + 1);
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            int v = b[e + 3 + i];
            if (v < 0) {
                return "";
            }
            c[i] = (char) v;
        }
        return new String(c);
    }

    private static int u2(byte[] b, int p) {
        return ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
    }

    private static int u4(byte[] b, int p) {
        return (u2(b, p) << 16) | u2(b, p + 2);
    }
}
