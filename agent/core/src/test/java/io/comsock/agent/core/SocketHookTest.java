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
        byte[] direct = ClassFiles.patch(original, "createPlatformSocketImpl", "(Z)Ljava/net/SocketImpl;");
        assertNotNull(direct, "this JDK's method has a shape the direct patch handles");
        assertHookBeforeEveryReturn(direct);
        boolean[] patched = new boolean[1];
        assertHookBeforeEveryReturn(SocketImplPatcher.rewriteWithAsm(original, patched));
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
    void otherShapesAreLeftToAsm() {
        // a method with a branch: the direct patch declines, it never guesses
        byte[] b = SocketHook.bytes();
        assertNull(ClassFiles.patch(b, "wrap", "(Z)Ljava/net/SocketImpl;"), "absent method");
        assertNull(ClassFiles.patch(new byte[] {1, 2, 3}, "x", "()V"), "not a class file");
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
                return null;
            }
        }, 0);
        assertEquals(1, found[0]);
        assertEquals(SocketImpl.class.getPackageName().replace('.', '/'), r.getClassName().substring(0, r.getClassName().lastIndexOf('/')));
    }
}
