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
        assertHookBeforeEveryReturn(JdkPatcher.rewriteWithAsm(original, "createPlatformSocketImpl",
                "(Z)Ljava/net/SocketImpl;", false, patched));
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
    void everyNioConnectIsCheckedFirst() throws Exception {
        byte[] original;
        try (InputStream in = Object.class.getResourceAsStream("/sun/nio/ch/Net.class")) {
            original = in.readAllBytes();
        }
        byte[] direct = ClassFiles.patch(original, "connect", JdkPatcher.CONNECT_DESC, ClassFiles.Site.CHECK_CONNECT);
        assertNotNull(direct, "this JDK's Net.connect has a shape the direct patch handles");
        assertCheckAtEntry(direct);
        boolean[] patched = new boolean[1];
        assertCheckAtEntry(JdkPatcher.rewriteWithAsm(original, "connect", JdkPatcher.CONNECT_DESC, true, patched));
        assertTrue(patched[0]);
    }

    /** The first instructions of Net.connect load the address and port and call the hook; nothing else changed. */
    private static void assertCheckAtEntry(byte[] out) {
        java.util.List<String> first = new java.util.ArrayList<>();
        int[] calls = new int[1];
        new ClassReader(out).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                boolean target = name.equals("connect") && desc.equals(JdkPatcher.CONNECT_DESC);
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitVarInsn(int op, int var) {
                        if (target && first.size() < 3) {
                            first.add(op + ":" + var);
                        }
                    }

                    @Override
                    public void visitMethodInsn(int op, String owner, String n, String d, boolean itf) {
                        if (owner.equals(SocketHook.NAME)) {
                            assertTrue(target, "hook called from " + name + desc);
                            calls[0]++;
                            if (first.size() < 3) {
                                first.add(n);
                            }
                        }
                    }
                };
            }
        }, 0);
        assertEquals(1, calls[0]);
        assertEquals(java.util.List.of(Opcodes.ALOAD + ":2", Opcodes.ILOAD + ":3", "checkConnect"), first);
    }

    @Test
    void otherShapesAreLeftToAsm() {
        // a method with a branch: the direct patch declines, it never guesses
        byte[] b = SocketHook.bytes();
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
                return null;
            }
        }, 0);
        assertEquals(2, found[0]);
        assertEquals(SocketImpl.class.getPackageName().replace('.', '/'), r.getClassName().substring(0, r.getClassName().lastIndexOf('/')));
    }
}
