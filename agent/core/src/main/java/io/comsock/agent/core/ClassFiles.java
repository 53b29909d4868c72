package io.comsock.agent.core;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The class-file work of the agent's start-up, done directly on the bytes: the hook class, and
 * the patches of the JDK methods that {@link JdkPatcher} lists, each a call to the hook at the
 * entry or before each return ({@link Site}). Loading and running a bytecode library for them
 * costs more start-up than everything else the agent does; when the JDK's method has a shape
 * this does not handle, {@link #patch} returns null and the caller falls back to ASM.
 */
final class ClassFiles {
    private static final int CONSTANT_UTF8 = 1;
    private static final int CONSTANT_CLASS = 7;
    private static final int CONSTANT_FIELDREF = 9;
    private static final int CONSTANT_METHODREF = 10;
    private static final int CONSTANT_INTERFACE_METHODREF = 11;
    private static final int CONSTANT_NAME_AND_TYPE = 12;
    private static final int ACC_STATIC = 0x0008;
    private static final int ARETURN = 0xb0;
    private static final int RETURN = 0xb1;
    private static final int IFEQ = 0x99;
    private static final int TABLESWITCH = 0xaa;
    private static final int LOOKUPSWITCH = 0xab;
    static final int ILOAD_0 = 0x1a;
    static final int ALOAD_0 = 0x2a;
    private static final int ASTORE_0 = 0x4b;
    private static final int INVOKESTATIC = 0xb8;

    /**
     * Where a patch puts its call, in a static or an instance method, the local variables
     * (slots 0..3, {@code iload_n} or {@code aload_n}) it loads for it, and what follows the call:
     * nothing, a store of its result into a reference slot ({@code astore_n}), or a return from
     * the method when it answers true. A call before a return (not at the entry) takes the value
     * being returned and gives the one to return instead.
     */
    static final class Site {
        private static final int NONE = -1;

        final boolean atEntry;
        final boolean isStatic;
        final byte[] loads;
        final String hookMethod;
        final String hookDesc;
        /** The reference slot the call's result is stored into, or -1. */
        final int store;
        /** Whether the method returns at once when the call answers true. */
        final boolean returnIfTrue;

        private Site(boolean atEntry, boolean isStatic, byte[] loads, String hookMethod, String hookDesc, int store,
                boolean returnIfTrue) {
            this.atEntry = atEntry;
            this.isStatic = isStatic;
            this.loads = loads;
            this.hookMethod = hookMethod;
            this.hookDesc = hookDesc;
            this.store = store;
            this.returnIfTrue = returnIfTrue;
        }

        /** The instructions inserted: the loads, the call, then the store or the return. */
        byte[] code(int methodref) {
            ByteBuffer b = ByteBuffer.allocate(loads.length + 3 + (store != NONE ? 1 : 0) + (returnIfTrue ? 4 : 0));
            b.put(loads).put((byte) INVOKESTATIC).putShort((short) methodref);
            if (store != NONE) {
                b.put((byte) (ASTORE_0 + store));
            }
            if (returnIfTrue) {
                b.put((byte) IFEQ).putShort((short) 4).put((byte) RETURN); // ifeq over the return
            }
            return b.array();
        }

        /** {@code iload_0; invokestatic hook.wrap} before each {@code areturn}. */
        static final Site WRAP_RETURNS = new Site(false, true, new byte[] {ILOAD_0}, "wrap", SocketHook.WRAP_DESC, NONE,
                false);
        /** {@code aload_2; iload_3; invokestatic hook.checkConnect} at the entry. */
        static final Site CHECK_CONNECT = new Site(true, true, new byte[] {ALOAD_0 + 2, ILOAD_0 + 3}, "checkConnect",
                SocketHook.CHECK_DESC, NONE, false);
        /** {@code aload_3; invokestatic hook.checkSend} at the entry of an instance method. */
        static final Site CHECK_SEND = new Site(true, false, new byte[] {ALOAD_0 + 3}, "checkSend",
                SocketHook.SEND_DESC, NONE, false);
        /**
         * {@code aload_0; aload_1; iload_2; invokestatic hook.connectDirect; ifeq +4; return} at the
         * entry of {@code connect(SocketAddress, int)} of a proxy's socket implementation.
         */
        static final Site CONNECT_DIRECT = new Site(true, false, new byte[] {ALOAD_0, ALOAD_0 + 1, ILOAD_0 + 2},
                "connectDirect", SocketHook.DIRECT_DESC, NONE, true);
        /** {@code invokestatic hook.selector} before each {@code areturn}: the selector returned is filtered. */
        static final Site SELECTOR_RETURNS = new Site(false, true, new byte[0], "selector", SocketHook.SELECTOR_DESC,
                NONE, false);
        /** {@code aload_1; invokestatic hook.selector; astore_1} at the entry of an instance method. */
        static final Site SELECTOR_ARGUMENT = new Site(true, false, new byte[] {ALOAD_0 + 1}, "selector",
                SocketHook.SELECTOR_DESC, 1, false);

        /** {@code aload_<url>; aload_<proxy>; invokestatic hook.proxyFor; astore_<proxy>} at the entry of a static method. */
        static Site proxyArgument(int url, int proxy) {
            return new Site(true, true, new byte[] {(byte) (ALOAD_0 + url), (byte) (ALOAD_0 + proxy)}, "proxyFor",
                    SocketHook.PROXY_DESC, proxy, false);
        }
    }

    private ClassFiles() {
    }

    /** A constant pool being written: each entry once, numbered from 1. */
    private static final class Pool {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);
        private final java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        private int next = 1;

        private int entry(String key, int tag, int a, int b, String utf) throws IOException {
            Integer i = seen.get(key);
            if (i != null) {
                return i;
            }
            out.writeByte(tag);
            if (tag == CONSTANT_UTF8) {
                out.writeUTF(utf);
            } else {
                out.writeShort(a);
                if (tag != CONSTANT_CLASS) {
                    out.writeShort(b);
                }
            }
            seen.put(key, next);
            return next++;
        }

        int utf(String s) throws IOException {
            return entry("U" + s, CONSTANT_UTF8, 0, 0, s);
        }

        int cls(String name) throws IOException {
            int n = utf(name);
            return entry("C" + name, CONSTANT_CLASS, n, 0, null);
        }

        int ref(int tag, String owner, String name, String desc) throws IOException {
            int c = cls(owner);
            int n = utf(name);
            int d = utf(desc);
            int nat = entry("N" + name + ":" + desc, CONSTANT_NAME_AND_TYPE, n, d, null);
            return entry("R" + tag + owner + "." + name + desc, tag, c, nat, null);
        }
    }

    /** The hook class (see {@link SocketHook}), written out field by field. */
    static byte[] hookClass() {
        try {
            String biFunction = "Ljava/util/function/BiFunction;";
            Pool pool = new Pool();
            int self = pool.cls(SocketHook.NAME);
            int object = pool.cls("java/lang/Object");
            int[] fields = new int[SocketHook.FIELDS.length];
            for (int f = 0; f < fields.length; f++) {
                fields[f] = pool.ref(CONSTANT_FIELDREF, SocketHook.NAME, SocketHook.FIELDS[f], biFunction);
            }
            int wrapper = fields[0];
            int guard = fields[1];
            int direct = fields[2];
            int proxies = fields[3];
            int selectors = fields[4];
            int valueOfZ = pool.ref(CONSTANT_METHODREF, "java/lang/Boolean", "valueOf", "(Z)Ljava/lang/Boolean;");
            int valueOfI = pool.ref(CONSTANT_METHODREF, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;");
            int getAddress = pool.ref(CONSTANT_METHODREF, "java/net/InetSocketAddress", "getAddress",
                    "()Ljava/net/InetAddress;");
            int getPort = pool.ref(CONSTANT_METHODREF, "java/net/InetSocketAddress", "getPort", "()I");
            int apply = pool.ref(CONSTANT_INTERFACE_METHODREF, "java/util/function/BiFunction", "apply",
                    "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;");
            int delegating = pool.cls("java/net/DelegatingSocketImpl");
            int delegate = pool.ref(CONSTANT_FIELDREF, "java/net/DelegatingSocketImpl", "delegate", "Ljava/net/SocketImpl;");
            int intPredicate = pool.cls("java/util/function/IntPredicate");
            int test = pool.ref(CONSTANT_INTERFACE_METHODREF, "java/util/function/IntPredicate", "test", "(I)Z");
            int socketImpl = pool.cls("java/net/SocketImpl");
            int proxy = pool.cls("java/net/Proxy");
            int proxySelector = pool.cls("java/net/ProxySelector");
            int code = pool.utf("Code");
            int fieldDesc = pool.utf(biFunction);
            int[] fieldNames = new int[fields.length];
            for (int f = 0; f < fields.length; f++) {
                fieldNames[f] = pool.utf(SocketHook.FIELDS[f]);
            }
            // each method: its name, its descriptor, its local variables (its arguments) and its
            // code: getstatic of its field, what it passes to BiFunction.apply, the call, then what
            // it does with the answer
            Object[][] methods = {
                {"wrap", SocketHook.WRAP_DESC, 2, apply(wrapper, apply, new byte[] {
                    0x2a,                                               // aload_0
                    0x1b,                                               // iload_1
                    (byte) INVOKESTATIC, hi(valueOfZ), lo(valueOfZ),    // Boolean.valueOf
                }, new byte[] {
                    (byte) 0xc0, hi(socketImpl), lo(socketImpl),        // checkcast SocketImpl
                    (byte) ARETURN,
                })},
                {"checkConnect", SocketHook.CHECK_DESC, 2, apply(guard, apply, new byte[] {
                    0x2a,                                               // aload_0
                    0x1b,                                               // iload_1
                    (byte) INVOKESTATIC, hi(valueOfI), lo(valueOfI),    // Integer.valueOf
                }, new byte[] {
                    0x57,                                               // pop
                    (byte) RETURN,
                })},
                {"checkSend", SocketHook.SEND_DESC, 1, apply(guard, apply, new byte[] {
                    0x2a,                                               // aload_0
                    (byte) 0xb6, hi(getAddress), lo(getAddress),        // invokevirtual getAddress
                    0x2a,                                               // aload_0
                    (byte) 0xb6, hi(getPort), lo(getPort),              // invokevirtual getPort
                    (byte) INVOKESTATIC, hi(valueOfI), lo(valueOfI),    // Integer.valueOf
                }, new byte[] {
                    0x57,                                               // pop
                    (byte) RETURN,
                })},
                {"connectDirect", SocketHook.DIRECT_DESC, 3, apply(direct, apply, new byte[] {
                    0x2a,                                               // aload_0
                    (byte) 0xc0, hi(delegating), lo(delegating),        // checkcast DelegatingSocketImpl
                    (byte) 0xb4, hi(delegate), lo(delegate),            // getfield delegate
                    0x2b,                                               // aload_1
                }, new byte[] {
                    (byte) 0xc0, hi(intPredicate), lo(intPredicate),    // checkcast IntPredicate
                    0x1c,                                               // iload_2
                    (byte) 0xb9, hi(test), lo(test), 2, 0,              // invokeinterface IntPredicate.test
                    (byte) 0xac,                                        // ireturn
                })},
                {"proxyFor", SocketHook.PROXY_DESC, 2, apply(proxies, apply, new byte[] {
                    0x2a,                                               // aload_0
                    0x2b,                                               // aload_1
                }, new byte[] {
                    (byte) 0xc0, hi(proxy), lo(proxy),                  // checkcast Proxy
                    (byte) ARETURN,
                })},
                {"selector", SocketHook.SELECTOR_DESC, 1, apply(selectors, apply, new byte[] {
                    0x2a,                                               // aload_0
                    0x01,                                               // aconst_null
                }, new byte[] {
                    (byte) 0xc0, hi(proxySelector), lo(proxySelector),  // checkcast ProxySelector
                    (byte) ARETURN,
                })},
            };
            int[][] names = new int[methods.length][];
            for (int m = 0; m < methods.length; m++) {
                names[m] = new int[] {pool.utf((String) methods[m][0]), pool.utf((String) methods[m][1])};
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(1536);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(0xCAFEBABE);
            out.writeShort(0);
            out.writeShort(55); // Java 11 class file: no stack map needed, no method has a branch
            out.writeShort(pool.next);
            pool.bytes.writeTo(out);
            out.writeShort(0x0001 | 0x0010 | 0x0020); // public final super
            out.writeShort(self);
            out.writeShort(object);
            out.writeShort(0); // interfaces
            out.writeShort(fieldNames.length); // public static volatile BiFunction each
            for (int name : fieldNames) {
                out.writeShort(0x0001 | ACC_STATIC | 0x0040);
                out.writeShort(name);
                out.writeShort(fieldDesc);
                out.writeShort(0);
            }
            out.writeShort(methods.length); // public static, each
            for (int m = 0; m < methods.length; m++) {
                byte[] body = (byte[]) methods[m][3];
                out.writeShort(0x0001 | ACC_STATIC);
                out.writeShort(names[m][0]);
                out.writeShort(names[m][1]);
                out.writeShort(1);
                out.writeShort(code);
                out.writeInt(2 + 2 + 4 + body.length + 2 + 2);
                out.writeShort(3); // max stack
                out.writeShort((Integer) methods[m][2]); // max locals
                out.writeInt(body.length);
                out.write(body);
                out.writeShort(0); // exception table
                out.writeShort(0); // attributes
            }
            out.writeShort(0); // class attributes
            out.flush();
            return bytes.toByteArray();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** {@code getstatic field}, {@code arguments}, {@code invokeinterface BiFunction.apply}, {@code after}. */
    private static byte[] apply(int field, int apply, byte[] arguments, byte[] after) {
        return ByteBuffer.allocate(3 + arguments.length + 5 + after.length)
                .put((byte) 0xb2).putShort((short) field)
                .put(arguments)
                .put((byte) 0xb9).putShort((short) apply).put((byte) 3).put((byte) 0) // receiver and two arguments
                .put(after).array();
    }

    private static byte hi(int index) {
        return (byte) (index >> 8);
    }

    private static byte lo(int index) {
        return (byte) index;
    }

    /**
     * Returns {@code classFile} with the call of {@code site} in the method {@code name desc}
     * (static or not, as the site says), or null if that method is absent or not of a shape this
     * handles (see {@link #patchedCode}).
     */
    static byte[] patch(byte[] classFile, String name, String desc, Site site) {
        try {
            return patchOrNull(classFile, name, desc, site);
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    private static byte[] patchOrNull(byte[] b, String name, String desc, Site site) {
        ByteBuffer in = ByteBuffer.wrap(b);
        if (in.getInt() != 0xCAFEBABE) {
            return null;
        }
        in.getInt(); // versions
        int cpCount = in.getShort() & 0xFFFF;
        int[] utf = new int[cpCount];
        for (int i = 1; i < cpCount; i++) {
            int tag = in.get() & 0xFF;
            switch (tag) {
                case CONSTANT_UTF8: {
                    utf[i] = in.position();
                    in.position(in.position() + 2 + (in.getShort() & 0xFFFF));
                    break;
                }
                case 3: case 4: case 9: case CONSTANT_METHODREF: case 11: case CONSTANT_NAME_AND_TYPE: case 17: case 18:
                    in.position(in.position() + 4);
                    break;
                case 5: case 6:
                    in.position(in.position() + 8);
                    i++;
                    break;
                case CONSTANT_CLASS: case 8: case 16: case 19: case 20:
                    in.position(in.position() + 2);
                    break;
                case 15:
                    in.position(in.position() + 3);
                    break;
                default:
                    return null;
            }
        }
        int cpEnd = in.position();
        in.position(in.position() + 6); // access, this, super
        int interfaces = in.getShort() & 0xFFFF;
        in.position(in.position() + 2 * interfaces);
        skipMembers(in);
        int methods = in.getShort() & 0xFFFF;
        for (int m = 0; m < methods; m++) {
            int methodStart = in.position();
            int access = in.getShort() & 0xFFFF;
            int nameIndex = in.getShort() & 0xFFFF;
            int descIndex = in.getShort() & 0xFFFF;
            boolean target = ((access & ACC_STATIC) != 0) == site.isStatic && isUtf(b, utf, nameIndex, name)
                    && isUtf(b, utf, descIndex, desc);
            int attrs = in.getShort() & 0xFFFF;
            for (int a = 0; a < attrs; a++) {
                int attrStart = in.position();
                int aName = in.getShort() & 0xFFFF;
                int len = in.getInt();
                int body = in.position();
                if (target && isUtf(b, utf, aName, "Code")) {
                    byte[] code = patchedCode(b, body, len, utf, cpCount, site);
                    if (code == null) {
                        return null;
                    }
                    return assemble(b, cpCount, cpEnd, attrStart, body + len, code, site);
                }
                in.position(body + len);
            }
            if (target) {
                return null;
            }
            if (in.position() <= methodStart) {
                return null;
            }
        }
        return null;
    }

    /**
     * The UTF-8 constant {@code i} of a class file whose UTF-8 constants start (their lengths) at
     * {@code utf[i]} (0 for other constants), or null. Constants are read only when asked for:
     * most are never needed, and decoding them all costs more than the rest of the patch in a JVM
     * that has just started.
     */
    private static String utf(byte[] b, int[] utf, int i) {
        return i < utf.length && utf[i] != 0 ? new String(b, utf[i] + 2, utfLength(b, utf, i), StandardCharsets.UTF_8) : null;
    }

    /** Whether the UTF-8 constant {@code i} is the ASCII text {@code s}, compared byte by byte. */
    private static boolean isUtf(byte[] b, int[] utf, int i, String s) {
        if (i >= utf.length || utf[i] == 0 || utfLength(b, utf, i) != s.length()) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            if (b[utf[i] + 2 + k] != s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static int utfLength(byte[] b, int[] utf, int i) {
        return (b[utf[i]] & 0xFF) << 8 | (b[utf[i] + 1] & 0xFF);
    }

    private static void skipMembers(ByteBuffer in) {
        int count = in.getShort() & 0xFFFF;
        for (int i = 0; i < count; i++) {
            in.position(in.position() + 6);
            int attrs = in.getShort() & 0xFFFF;
            for (int a = 0; a < attrs; a++) {
                in.position(in.position() + 2);
                int len = in.getInt();
                in.position(in.position() + len);
            }
        }
    }

    /**
     * The new Code attribute (from its length on), or null for a shape this does not handle.
     * Code may hold any instruction but {@code wide}, {@code jsr}, {@code ret} and the four-byte
     * branches; branch and switch offsets (a switch's padding is redone at its new place), the
     * exception table, the line and local-variable tables and the stack map are moved with the
     * code. A branch to an {@code areturn} lands on the inserted call, so every return is hooked;
     * a branch to the first instruction lands after a call inserted at the entry, which runs once.
     */
    private static byte[] patchedCode(byte[] b, int body, int len, int[] utf, int cpCount, Site site) {
        ByteBuffer c = ByteBuffer.wrap(b, body, len);
        int maxStack = c.getShort() & 0xFFFF;
        int maxLocals = c.getShort() & 0xFFFF;
        int codeLen = c.getInt();
        int codeStart = c.position();
        byte[] call = site.code(cpCount + 5); // the methodref is the last of the six entries assemble() appends
        byte[] entry = site.atEntry ? call : new byte[0];
        // newPos[pc]: where the instruction at pc (for an areturn: its inserted call) moves to
        int[] newPos = new int[codeLen + 1];
        int at = entry.length;
        boolean jumps = false;
        for (int pc = 0; pc < codeLen; ) {
            int op = b[codeStart + pc] & 0xFF;
            int size = instructionSize(b, codeStart, pc);
            if (size == 0) {
                return null;
            }
            jumps |= isBranch(op) || isSwitch(op);
            for (int k = 0; k < size; k++) {
                newPos[pc + k] = at + k;
            }
            if (op == ARETURN && !site.atEntry) {
                at += call.length;
            }
            at += size + (isSwitch(op) ? padding(at) - padding(pc) : 0);
            pc += size;
        }
        newPos[codeLen] = at;
        if (at == codeLen) {
            return null;
        }
        ByteBuffer code = ByteBuffer.allocate(at);
        code.put(entry);
        for (int pc = 0; pc < codeLen; ) {
            int op = b[codeStart + pc] & 0xFF;
            int size = instructionSize(b, codeStart, pc);
            if (op == ARETURN && !site.atEntry) {
                code.put(call);
            }
            if (isBranch(op)) {
                int offset = moved(newPos, pc, ByteBuffer.wrap(b, codeStart + pc + 1, 2).getShort(), codeLen);
                if (offset != (short) offset) {
                    return null;
                }
                code.put((byte) op).putShort((short) offset);
            } else if (isSwitch(op)) {
                // opcode, padding to a multiple of four, default, then low, high and offsets, or pairs
                ByteBuffer in = ByteBuffer.wrap(b, codeStart + pc + 1 + padding(pc), size - 1 - padding(pc));
                code.put((byte) op).put(new byte[padding(code.position() - 1)]);
                code.putInt(moved(newPos, pc, in.getInt(), codeLen));
                int low = in.getInt();
                int count = op == TABLESWITCH ? in.getInt() - low + 1 : low;
                code.putInt(low);
                if (op == TABLESWITCH) {
                    code.putInt(low + count - 1);
                }
                for (int k = 0; k < count; k++) {
                    if (op == LOOKUPSWITCH) {
                        code.putInt(in.getInt()); // the match
                    }
                    code.putInt(moved(newPos, pc, in.getInt(), codeLen));
                }
            } else {
                code.put(b, codeStart + pc, size);
            }
            pc += size;
        }
        if (code.position() != at) {
            return null;
        }
        c.position(codeStart + codeLen);
        int handlers = c.getShort() & 0xFFFF;
        ByteBuffer handlerTable = ByteBuffer.allocate(8 * handlers);
        for (int h = 0; h < handlers; h++) {
            int from = c.getShort() & 0xFFFF;
            int to = c.getShort() & 0xFFFF;
            int handler = c.getShort() & 0xFFFF;
            if (from >= codeLen || to > codeLen || handler >= codeLen) {
                return null;
            }
            handlerTable.putShort((short) newPos[from]).putShort((short) newPos[to]).putShort((short) newPos[handler])
                    .putShort(c.getShort()); // catch type
        }
        ByteArrayOutputStream attrsOut = new ByteArrayOutputStream();
        DataOutputStream attrs = new DataOutputStream(attrsOut);
        int attrCount = c.getShort() & 0xFFFF;
        boolean framed = false;
        try {
            for (int a = 0; a < attrCount; a++) {
                int nameIndex = c.getShort() & 0xFFFF;
                int aLen = c.getInt();
                String aName = utf(b, utf, nameIndex);
                if ("LineNumberTable".equals(aName)) {
                    attrs.writeShort(nameIndex);
                    attrs.writeInt(aLen);
                    int n = c.getShort() & 0xFFFF;
                    attrs.writeShort(n);
                    for (int i = 0; i < n; i++) {
                        attrs.writeShort(newPos[c.getShort() & 0xFFFF]);
                        attrs.writeShort(c.getShort());
                    }
                } else if ("LocalVariableTable".equals(aName) || "LocalVariableTypeTable".equals(aName)) {
                    attrs.writeShort(nameIndex);
                    attrs.writeInt(aLen);
                    int n = c.getShort() & 0xFFFF;
                    attrs.writeShort(n);
                    for (int i = 0; i < n; i++) {
                        int start = c.getShort() & 0xFFFF;
                        int end = start + (c.getShort() & 0xFFFF);
                        attrs.writeShort(newPos[start]);
                        attrs.writeShort(newPos[end] - newPos[start]);
                        attrs.writeInt(c.getInt()); // name, descriptor
                        attrs.writeShort(c.getShort()); // slot
                    }
                } else if ("StackMapTable".equals(aName)) {
                    // a return at the entry is a branch over it: its target needs a frame, the method's first
                    byte[] map = stackMap(c, aLen, newPos, site.returnIfTrue ? entry.length : -1);
                    if (map == null) {
                        return null;
                    }
                    framed = true;
                    attrs.writeShort(nameIndex);
                    attrs.writeInt(map.length);
                    attrs.write(map);
                } else {
                    return null; // anything else would need more than moving offsets
                }
            }
            if (site.returnIfTrue && !framed && !jumps && handlers == 0) {
                // a method that needs no stack map yet would need one written from scratch; one
                // that jumps and has none is not verified (the JVM keeps stack maps only for
                // classes it verifies, and Java 17 hands out its own classes so), nor is its new jump
                return null;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(out);
            byte[] tail = attrsOut.toByteArray();
            d.writeInt(2 + 2 + 4 + code.capacity() + 2 + handlerTable.capacity() + 2 + tail.length);
            d.writeShort(Math.max(maxStack, site.loads.length + 1));
            d.writeShort(maxLocals);
            d.writeInt(code.capacity());
            d.write(code.array());
            d.writeShort(handlers);
            d.write(handlerTable.array());
            d.writeShort(attrCount);
            d.write(tail);
            return out.toByteArray();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * The stack map with each frame moved to its instruction's new place, and, if {@code sameAt}
     * is not -1, first a frame there equal to the method's initial one; null if unreadable, or if
     * a frame would fall on that one.
     */
    private static byte[] stackMap(ByteBuffer c, int len, int[] newPos, int sameAt) throws IOException {
        int end = c.position() + len;
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 16);
        DataOutputStream d = new DataOutputStream(out);
        int frames = c.getShort() & 0xFFFF;
        d.writeShort(frames + (sameAt >= 0 ? 1 : 0));
        int oldAt = -1;
        int newAt = -1;
        if (sameAt >= 0) {
            // same_frame: the locals are the arguments, as at the entry, and the stack is empty
            if (sameAt >= 64) {
                return null;
            }
            d.writeByte(sameAt);
            newAt = sameAt;
        }
        for (int f = 0; f < frames; f++) {
            int type = c.get() & 0xFF;
            int delta;
            if (type < 128) {
                delta = type < 64 ? type : type - 64;
            } else if (type >= 247) {
                delta = c.getShort() & 0xFFFF;
            } else {
                return null;
            }
            oldAt += delta + 1;
            if (oldAt >= newPos.length) {
                return null;
            }
            int moved = newPos[oldAt];
            int newDelta = moved - newAt - 1;
            if (newDelta < 0) {
                return null;
            }
            newAt = moved;
            if (type < 64) {
                if (newDelta < 64) {
                    d.writeByte(newDelta);
                } else {
                    d.writeByte(251);
                    d.writeShort(newDelta);
                }
            } else if (type < 128) {
                if (newDelta < 64) {
                    d.writeByte(64 + newDelta);
                } else {
                    d.writeByte(247);
                    d.writeShort(newDelta);
                }
                copyTypes(c, d, 1, newPos);
            } else {
                d.writeByte(type);
                d.writeShort(newDelta);
                if (type == 247) {
                    copyTypes(c, d, 1, newPos);
                } else if (type >= 252 && type <= 254) {
                    copyTypes(c, d, type - 251, newPos);
                } else if (type == 255) {
                    int locals = c.getShort() & 0xFFFF;
                    d.writeShort(locals);
                    copyTypes(c, d, locals, newPos);
                    int stack = c.getShort() & 0xFFFF;
                    d.writeShort(stack);
                    copyTypes(c, d, stack, newPos);
                }
            }
        }
        return c.position() == end ? out.toByteArray() : null;
    }

    private static void copyTypes(ByteBuffer c, DataOutputStream d, int n, int[] newPos) throws IOException {
        for (int i = 0; i < n; i++) {
            int tag = c.get() & 0xFF;
            d.writeByte(tag);
            if (tag == 7) {
                d.writeShort(c.getShort());                  // Object: a class constant
            } else if (tag == 8) {
                d.writeShort(newPos[c.getShort() & 0xFFFF]); // Uninitialized: the pc of its new
            }
        }
    }

    private static boolean isBranch(int op) {
        return (op >= 0x99 && op <= 0xa7) || op == 0xc6 || op == 0xc7;
    }

    private static boolean isSwitch(int op) {
        return op == TABLESWITCH || op == LOOKUPSWITCH;
    }

    /** The bytes after a switch at {@code pc} that bring its operands to a multiple of four. */
    private static int padding(int pc) {
        return 3 - (pc & 3);
    }

    /** The new offset of a branch at {@code pc} whose offset was {@code offset}; out of range: an exception. */
    private static int moved(int[] newPos, int pc, int offset, int codeLen) {
        int target = pc + offset;
        if (target < 0 || target >= codeLen) {
            throw new IllegalArgumentException("branch out of the code");
        }
        return newPos[target] - newPos[pc];
    }

    /** The size of the instruction at {@code pc}; 0 for one this does not handle. */
    private static int instructionSize(byte[] b, int codeStart, int pc) {
        int op = b[codeStart + pc] & 0xFF;
        if (!isSwitch(op)) {
            return opcodeSize(op);
        }
        ByteBuffer in = ByteBuffer.wrap(b, codeStart + pc + 1 + padding(pc), 12);
        in.getInt(); // default
        int a = in.getInt();
        long entries = op == TABLESWITCH ? 3 + (long) in.getInt() - a + 1 : 2 + 2L * a;
        return entries < 2 || entries > 0x10000 ? 0 : 1 + padding(pc) + 4 * (int) entries;
    }

    /**
     * The size of each instruction with a fixed size; 0 for those this does not handle:
     * {@code tableswitch} and {@code lookupswitch} (see {@link #instructionSize}), {@code wide},
     * {@code jsr}, {@code ret} and the four-byte branches.
     */
    private static int opcodeSize(int op) {
        if (op <= 0x0f || (op >= 0x1a && op <= 0x35) || (op >= 0x3b && op <= 0x83) || (op >= 0x85 && op <= 0x98)
                || (op >= 0xac && op <= 0xb1) || op == 0xbe || op == 0xbf || op == 0xc2 || op == 0xc3) {
            return 1;   // constants, loads and stores of slots 0..3, array access, stack, arithmetic, returns
        }
        if (op == 0x10 || op == 0x12 || (op >= 0x15 && op <= 0x19) || (op >= 0x36 && op <= 0x3a) || op == 0xbc) {
            return 2;   // bipush, ldc, loads and stores with an index, newarray
        }
        if (op == 0x11 || op == 0x13 || op == 0x14 || op == 0x84 || isBranch(op) || (op >= 0xb2 && op <= 0xb8)
                || op == 0xbb || op == 0xbd || op == 0xc0 || op == 0xc1) {
            return 3;   // sipush, ldc_w, ldc2_w, iinc, branches, fields, invokes, new, anewarray, checkcast, instanceof
        }
        if (op == 0xc5) {
            return 4;   // multianewarray
        }
        if (op == 0xb9 || op == 0xba) {
            return 5;   // invokeinterface, invokedynamic
        }
        return 0;
    }

    /** The class with the six constants appended and the Code attribute of the method replaced. */
    private static byte[] assemble(byte[] b, int cpCount, int cpEnd, int codeAttrStart, int codeAttrEnd, byte[] code,
            Site site) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 128);
            DataOutputStream d = new DataOutputStream(out);
            d.write(b, 0, 8);
            d.writeShort(cpCount + 6);
            d.write(b, 10, cpEnd - 10);
            d.writeByte(CONSTANT_UTF8);
            d.writeUTF(SocketHook.NAME);                  // cpCount
            d.writeByte(CONSTANT_CLASS);
            d.writeShort(cpCount);                         // cpCount + 1
            d.writeByte(CONSTANT_UTF8);
            d.writeUTF(site.hookMethod);                   // cpCount + 2
            d.writeByte(CONSTANT_UTF8);
            d.writeUTF(site.hookDesc);                     // cpCount + 3
            d.writeByte(CONSTANT_NAME_AND_TYPE);
            d.writeShort(cpCount + 2);
            d.writeShort(cpCount + 3);                     // cpCount + 4
            d.writeByte(CONSTANT_METHODREF);
            d.writeShort(cpCount + 1);
            d.writeShort(cpCount + 4);                     // cpCount + 5
            d.write(b, cpEnd, codeAttrStart + 2 - cpEnd);  // up to the Code attribute's name index
            d.write(code);
            d.write(b, codeAttrEnd, b.length - codeAttrEnd);
            return out.toByteArray();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
