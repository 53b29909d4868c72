package io.comsock.agent.core;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The two pieces of class-file work of the agent's start-up, done directly on the bytes: the
 * hook class, and the patch of {@code SocketImpl.createPlatformSocketImpl(boolean)}, a method of
 * a few instructions ({@code new NioSocketImpl(server)}, in Java 17 behind one branch). Loading
 * and running a bytecode library for them costs more start-up than everything else the agent
 * does; when the JDK's method has a shape this does not handle, {@link #patch} returns null and
 * the caller falls back to ASM.
 */
final class ClassFiles {
    private static final int CONSTANT_UTF8 = 1;
    private static final int CONSTANT_CLASS = 7;
    private static final int CONSTANT_METHODREF = 10;
    private static final int CONSTANT_NAME_AND_TYPE = 12;
    private static final int ACC_STATIC = 0x0008;
    private static final int ARETURN = 0xb0;
    private static final int ILOAD_0 = 0x1a;
    private static final int INVOKESTATIC = 0xb8;

    private ClassFiles() {
    }

    /** The hook class (see {@link SocketHook}), written out field by field. */
    static byte[] hookClass() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(0xCAFEBABE);
            out.writeShort(0);
            out.writeShort(55); // Java 11 class file: no stack map needed, the method has no branch
            String[] utf = {SocketHook.NAME, "java/lang/Object", "wrapper", "Ljava/util/function/BiFunction;", "wrap",
                SocketHook.WRAP_DESC, "Code", "java/lang/Boolean", "valueOf", "(Z)Ljava/lang/Boolean;",
                "java/util/function/BiFunction", "apply", "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;",
                "java/net/SocketImpl"};
            // constant pool: #1..#14 the strings above, then classes, name-and-types and references
            out.writeShort(1 + utf.length + 11);
            for (String s : utf) {
                out.writeByte(CONSTANT_UTF8);
                out.writeUTF(s);
            }
            int cls = utf.length + 1;                  // #15 this, #16 Object, #17 Boolean, #18 BiFunction, #19 SocketImpl
            int[] classNames = {1, 2, 8, 11, 14};
            for (int n : classNames) {
                out.writeByte(CONSTANT_CLASS);
                out.writeShort(n);
            }
            int nat = cls + classNames.length;         // #20 wrapper:BiFunction, #21 valueOf, #22 apply
            int[][] nameTypes = {{3, 4}, {9, 10}, {12, 13}};
            for (int[] nt : nameTypes) {
                out.writeByte(CONSTANT_NAME_AND_TYPE);
                out.writeShort(nt[0]);
                out.writeShort(nt[1]);
            }
            int ref = nat + nameTypes.length;          // #23 field, #24 Boolean.valueOf, #25 BiFunction.apply
            out.writeByte(9); // CONSTANT_Fieldref
            out.writeShort(cls);
            out.writeShort(nat);
            out.writeByte(CONSTANT_METHODREF);
            out.writeShort(cls + 2);
            out.writeShort(nat + 1);
            out.writeByte(11); // CONSTANT_InterfaceMethodref
            out.writeShort(cls + 3);
            out.writeShort(nat + 2);
            out.writeShort(0x0001 | 0x0010 | 0x0020); // public final super
            out.writeShort(cls);
            out.writeShort(cls + 1);
            out.writeShort(0); // interfaces
            out.writeShort(1); // fields: public static volatile BiFunction wrapper
            out.writeShort(0x0001 | ACC_STATIC | 0x0040);
            out.writeShort(3);
            out.writeShort(4);
            out.writeShort(0);
            out.writeShort(1); // methods: public static SocketImpl wrap(SocketImpl, boolean)
            out.writeShort(0x0001 | ACC_STATIC);
            out.writeShort(5);
            out.writeShort(6);
            out.writeShort(1);
            byte[] code = {
                (byte) 0xb2, 0, (byte) ref,                 // getstatic wrapper
                0x2a,                                       // aload_0
                0x1b,                                       // iload_1
                (byte) INVOKESTATIC, 0, (byte) (ref + 1),   // Boolean.valueOf
                (byte) 0xb9, 0, (byte) (ref + 2), 3, 0,     // invokeinterface BiFunction.apply
                (byte) 0xc0, 0, (byte) (cls + 4),           // checkcast SocketImpl
                (byte) ARETURN,
            };
            out.writeShort(7); // "Code"
            out.writeInt(2 + 2 + 4 + code.length + 2 + 2);
            out.writeShort(3); // max stack
            out.writeShort(2); // max locals
            out.writeInt(code.length);
            out.write(code);
            out.writeShort(0); // exception table
            out.writeShort(0); // attributes
            out.writeShort(0); // class attributes
            out.flush();
            return bytes.toByteArray();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Returns {@code classFile} with {@code iload_0; invokestatic hook.wrap} before each
     * {@code areturn} of the static method {@code name desc}, or null if that method is absent or
     * not of a shape this handles (only simple instructions and two-byte branches, no exception
     * handler).
     */
    static byte[] patch(byte[] classFile, String name, String desc) {
        try {
            return patchOrNull(classFile, name, desc);
        } catch (RuntimeException malformed) {
            return null;
        }
    }

    private static byte[] patchOrNull(byte[] b, String name, String desc) {
        ByteBuffer in = ByteBuffer.wrap(b);
        if (in.getInt() != 0xCAFEBABE) {
            return null;
        }
        in.getInt(); // versions
        int cpCount = in.getShort() & 0xFFFF;
        String[] utf = new String[cpCount];
        for (int i = 1; i < cpCount; i++) {
            int tag = in.get() & 0xFF;
            switch (tag) {
                case CONSTANT_UTF8: {
                    int len = in.getShort() & 0xFFFF;
                    utf[i] = new String(b, in.position(), len, StandardCharsets.UTF_8);
                    in.position(in.position() + len);
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
            String mName = utf[in.getShort() & 0xFFFF];
            String mDesc = utf[in.getShort() & 0xFFFF];
            int attrs = in.getShort() & 0xFFFF;
            boolean target = name.equals(mName) && desc.equals(mDesc) && (access & ACC_STATIC) != 0;
            for (int a = 0; a < attrs; a++) {
                int attrStart = in.position();
                String aName = utf[in.getShort() & 0xFFFF];
                int len = in.getInt();
                int body = in.position();
                if (target && "Code".equals(aName)) {
                    byte[] code = patchedCode(b, body, len, utf, cpCount);
                    if (code == null) {
                        return null;
                    }
                    return assemble(b, cpCount, cpEnd, attrStart, body + len, code);
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
     * Code may hold simple instructions and forward or backward two-byte branches; branch offsets,
     * the line and local-variable tables and the stack map are moved with the code. A branch to
     * an {@code areturn} lands on the inserted call, so every return is hooked.
     */
    private static byte[] patchedCode(byte[] b, int body, int len, String[] utf, int cpCount) {
        ByteBuffer c = ByteBuffer.wrap(b, body, len);
        int maxStack = c.getShort() & 0xFFFF;
        int maxLocals = c.getShort() & 0xFFFF;
        int codeLen = c.getInt();
        int codeStart = c.position();
        // newPos[pc]: where the instruction at pc (for an areturn: its inserted call) moves to
        int[] newPos = new int[codeLen + 1];
        int methodref = cpCount + 5; // the last of the six entries assemble() appends
        int added = 0;
        for (int pc = 0; pc < codeLen; ) {
            int op = b[codeStart + pc] & 0xFF;
            int size = opcodeSize(op);
            if (size == 0) {
                return null;
            }
            for (int k = 0; k < size; k++) {
                newPos[pc + k] = pc + k + added;
            }
            if (op == ARETURN) {
                added += 4;
            }
            pc += size;
        }
        newPos[codeLen] = codeLen + added;
        if (added == 0) {
            return null;
        }
        ByteBuffer code = ByteBuffer.allocate(codeLen + added);
        for (int pc = 0; pc < codeLen; ) {
            int op = b[codeStart + pc] & 0xFF;
            int size = opcodeSize(op);
            if (op == ARETURN) {
                code.put((byte) ILOAD_0).put((byte) INVOKESTATIC).putShort((short) methodref);
            }
            if (isBranch(op)) {
                int target = pc + ByteBuffer.wrap(b, codeStart + pc + 1, 2).getShort();
                if (target < 0 || target >= codeLen) {
                    return null;
                }
                int offset = newPos[target] - newPos[pc];
                if (offset != (short) offset) {
                    return null;
                }
                code.put((byte) op).putShort((short) offset);
            } else {
                code.put(b, codeStart + pc, size);
            }
            pc += size;
        }
        c.position(codeStart + codeLen);
        if ((c.getShort() & 0xFFFF) != 0) {
            return null; // exception handlers
        }
        ByteArrayOutputStream attrsOut = new ByteArrayOutputStream();
        DataOutputStream attrs = new DataOutputStream(attrsOut);
        int attrCount = c.getShort() & 0xFFFF;
        try {
            for (int a = 0; a < attrCount; a++) {
                int nameIndex = c.getShort() & 0xFFFF;
                int aLen = c.getInt();
                String aName = utf[nameIndex];
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
                    byte[] map = stackMap(c, aLen, newPos);
                    if (map == null) {
                        return null;
                    }
                    attrs.writeShort(nameIndex);
                    attrs.writeInt(map.length);
                    attrs.write(map);
                } else {
                    return null; // anything else would need more than moving offsets
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(out);
            byte[] tail = attrsOut.toByteArray();
            d.writeInt(2 + 2 + 4 + code.capacity() + 2 + 2 + tail.length);
            d.writeShort(Math.max(maxStack, 2));
            d.writeShort(maxLocals);
            d.writeInt(code.capacity());
            d.write(code.array());
            d.writeShort(0);
            d.writeShort(attrCount);
            d.write(tail);
            return out.toByteArray();
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** The stack map with each frame moved to its instruction's new place; null if unreadable. */
    private static byte[] stackMap(ByteBuffer c, int len, int[] newPos) throws IOException {
        int end = c.position() + len;
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 16);
        DataOutputStream d = new DataOutputStream(out);
        int frames = c.getShort() & 0xFFFF;
        d.writeShort(frames);
        int oldAt = -1;
        int newAt = -1;
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

    /** Sizes of the opcodes this handles; 0 for anything else. */
    private static int opcodeSize(int op) {
        if (op >= 0x1a && op <= 0x2d) {      // iload_n .. aload_n
            return 1;
        }
        if (isBranch(op)) {                  // if*, goto, ifnull, ifnonnull: two-byte offsets
            return 3;
        }
        switch (op) {
            case 0x59: case ARETURN: case 0x01: case 0x03: case 0x04:  // dup, areturn, aconst_null, iconst_0/1
                return 1;
            case 0x15: case 0x19:                                         // iload, aload
                return 2;
            case 0xbb: case 0xb7: case INVOKESTATIC: case 0xc0: case 0xb2: // new, invokespecial, invokestatic, checkcast, getstatic
                return 3;
            default:
                return 0;
        }
    }

    /** The class with the six constants appended and the Code attribute of the method replaced. */
    private static byte[] assemble(byte[] b, int cpCount, int cpEnd, int codeAttrStart, int codeAttrEnd, byte[] code) {
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
            d.writeUTF("wrap");                            // cpCount + 2
            d.writeByte(CONSTANT_UTF8);
            d.writeUTF(SocketHook.WRAP_DESC);              // cpCount + 3
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
