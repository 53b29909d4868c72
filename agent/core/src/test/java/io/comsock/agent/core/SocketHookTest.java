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
        boolean[] patched = new boolean[1];
        byte[] out = SocketImplPatcher.rewrite(original, patched);
        assertTrue(patched[0], "createPlatformSocketImpl(boolean) found in Java " + System.getProperty("java.version"));
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
    void theHookClassIsValidBytecode() {
        byte[] b = SocketHook.bytes();
        ClassReader r = new ClassReader(b);
        assertEquals(SocketHook.NAME, r.getClassName());
        assertEquals(SocketImpl.class.getPackageName().replace('.', '/'), r.getClassName().substring(0, r.getClassName().lastIndexOf('/')));
    }
}
