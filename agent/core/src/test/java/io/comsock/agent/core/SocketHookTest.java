package io.comsock.agent.core;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.net.SocketImpl;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/** The class-file work of the agent, on this JDK's real SocketImpl. */
class SocketHookTest {
    @Test
    void everyReturnOfCreatePlatformSocketImplGoesThroughTheHook() throws Exception {
        byte[] original;
        try (InputStream in = Object.class.getResourceAsStream("/java/net/SocketImpl.class")) {
            original = in.readAllBytes();
        }
        byte[] direct = ClassFiles.patch(original, "createPlatformSocketImpl", "(Z)Ljava/net/SocketImpl;",
                ClassFiles.Site.WRAP_RETURNS);
        assertNotNull(direct, "this JDK's method has a shape the direct patch handles");
        assertHookBeforeEveryReturn(direct);
        boolean[] patched = new boolean[1];
        assertHookBeforeEveryReturn(AsmPatch.rewrite(original, JdkPatcher.SOCKET_IMPL, patched));
        assertTrue(patched[0], "createPlatformSocketImpl(boolean) found in Java " + System.getProperty("java.version"));
    }

    private static void assertHookBeforeEveryReturn(byte[] out) {
        int[] returns = new int[1];
        int[] hooks = new int[1];
        new ClassReader(out).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                if (!name.equals("createPlatformSocketImpl")) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitInsn(int opcode) {
                        if (opcode == Opcodes.ARETURN) {
                            returns[0]++;
                        }
                    }

                    @Override
                    public void visitMethodInsn(int op, String owner, String n, String d, boolean itf) {
                        if (owner.equals(SocketHook.NAME) && n.equals("wrap")) {
                            hooks[0]++;
                        }
                    }
                };
            }
        }, 0);
        assertTrue(returns[0] >= 1);
        assertEquals(returns[0], hooks[0], "one hook call per return");
    }

    @Test
    void everyConnectIsCheckedFirst() throws Exception {
        assertCheckedAtEntry(JdkPatcher.NET_CONNECT, Opcodes.ALOAD + ":2", Opcodes.ILOAD + ":3", "checkConnect");
    }

    @Test
    void everyDatagramToAnAddressIsCheckedFirst() throws Exception {
        assertCheckedAtEntry(JdkPatcher.DATAGRAM_SEND, Opcodes.ALOAD + ":3", "checkSend");
    }

    /** Both the direct patch and ASM put the loads and the hook call first in the method, and nowhere else. */
    private static void assertCheckedAtEntry(JdkPatcher.Target target, String... first) throws Exception {
        byte[] original;
        try (InputStream in = Object.class.getResourceAsStream("/" + target.owner + ".class")) {
            original = in.readAllBytes();
        }
        byte[] direct = ClassFiles.patch(original, target.method, target.desc, target.site);
        assertNotNull(direct, "this JDK's " + target + " has a shape the direct patch handles");
        assertEquals(java.util.List.of(first), firstInstructions(direct, target, first.length));
        boolean[] patched = new boolean[1];
        assertEquals(java.util.List.of(first), firstInstructions(AsmPatch.rewrite(original, target, patched),
                target, first.length));
        assertTrue(patched[0]);
    }

    private static java.util.List<String> firstInstructions(byte[] out, JdkPatcher.Target target, int n) {
        java.util.List<String> first = new java.util.ArrayList<>();
        int[] calls = new int[1];
        new ClassReader(out).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                boolean patchedOne = name.equals(target.method) && desc.equals(target.desc);
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitVarInsn(int op, int var) {
                        if (patchedOne && first.size() < n) {
                            first.add(op + ":" + var);
                        }
                    }

                    @Override
                    public void visitMethodInsn(int op, String owner, String m, String d, boolean itf) {
                        if (owner.equals(SocketHook.NAME)) {
                            assertTrue(patchedOne, "hook called from " + name + desc);
                            calls[0]++;
                        }
                        if (patchedOne && first.size() < n) {
                            first.add(m);
                        }
                    }
                };
            }
        }, 0);
        assertEquals(1, calls[0], "one hook call in the class");
        return first;
    }

    @Test
    void otherShapesAreLeftToAsm() {
        // a method with a branch: the direct patch declines, it never guesses
        byte[] b = hookClassWithAsm();
        assertNull(ClassFiles.patch(b, "wrap", "(Z)Ljava/net/SocketImpl;", ClassFiles.Site.WRAP_RETURNS), "absent method");
        assertNull(ClassFiles.patch(new byte[] {1, 2, 3}, "x", "()V", ClassFiles.Site.WRAP_RETURNS), "not a class file");
    }

    @Test
    void theHookClassIsValidBytecode() {
        byte[] b = ClassFiles.hookClass();
        ClassReader r = new ClassReader(b);
        assertEquals(SocketHook.NAME, r.getClassName());
        int[] found = new int[1];
        r.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                if (name.equals("wrap") && desc.equals(SocketHook.WRAP_DESC) && (access & Opcodes.ACC_STATIC) != 0) {
                    found[0]++;
                }
                if (name.equals("checkConnect") && desc.equals(SocketHook.CHECK_DESC) && (access & Opcodes.ACC_STATIC) != 0) {
                    found[0]++;
                }
                if (name.equals("checkSend") && desc.equals(SocketHook.SEND_DESC) && (access & Opcodes.ACC_STATIC) != 0) {
                    found[0]++;
                }
                return null;
            }
        }, 0);
        assertEquals(3, found[0]);
        assertEquals(SocketImpl.class.getPackageName().replace('.', '/'), r.getClassName().substring(0, r.getClassName().lastIndexOf('/')));
    }

    /** The hook class built with ASM. */
    static byte[] hookClassWithAsm() {
        net.bytebuddy.jar.asm.ClassWriter cw = new net.bytebuddy.jar.asm.ClassWriter(0);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, SocketHook.NAME, null,
                "java/lang/Object", null);
        for (String field : new String[] {"wrapper", "guard"}) {
            cw.visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_VOLATILE, field,
                    "Ljava/util/function/BiFunction;", null, null).visitEnd();
        }
        // wrap: (SocketImpl) wrapper.apply(impl, Boolean.valueOf(server)); checkConnect: guard.apply(address, Integer.valueOf(port))
        String[][] methods = {{"wrap", SocketHook.WRAP_DESC, "wrapper", "java/lang/Boolean", "(Z)Ljava/lang/Boolean;"},
            {"checkConnect", SocketHook.CHECK_DESC, "guard", "java/lang/Integer", "(I)Ljava/lang/Integer;"},
            {"checkSend", SocketHook.SEND_DESC, "guard", "java/lang/Integer", "(I)Ljava/lang/Integer;"}};
        for (String[] m : methods) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, m[0], m[1], null, null);
            mv.visitCode();
            mv.visitFieldInsn(Opcodes.GETSTATIC, SocketHook.NAME, m[2], "Ljava/util/function/BiFunction;");
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            if (m[0].equals("checkSend")) {
                mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/net/InetSocketAddress", "getAddress",
                        "()Ljava/net/InetAddress;", false);
                mv.visitVarInsn(Opcodes.ALOAD, 0);
                mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/net/InetSocketAddress", "getPort", "()I", false);
            } else {
                mv.visitVarInsn(Opcodes.ILOAD, 1);
            }
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, m[3], "valueOf", m[4], false);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/util/function/BiFunction", "apply",
                    "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;", true);
            if (m[0].equals("wrap")) {
                mv.visitTypeInsn(Opcodes.CHECKCAST, "java/net/SocketImpl");
                mv.visitInsn(Opcodes.ARETURN);
            } else {
                mv.visitInsn(Opcodes.POP);
                mv.visitInsn(Opcodes.RETURN);
            }
            mv.visitMaxs(3, 2);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }
}
