package io.comsock.agent.core;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.net.SocketImpl;
import java.security.ProtectionDomain;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * Patches one JDK method: {@code java.net.SocketImpl.createPlatformSocketImpl(boolean)}, the single
 * point where {@code Socket}, {@code ServerSocket} and the platform {@code accept} obtain their
 * implementation. Each of its returns passes the new implementation through
 * {@code java.net.ComsockSocketHook.wrap(impl, server)} (see {@link SocketHook}). Patching the return value (rather than installing a
 * socket factory) keeps SOCKS and HTTP proxies working and leaves the factory slots to the
 * application. The transformer is removed again at once, so no other class load pays for it.
 * The JDK's method is one straight line ({@code new NioSocketImpl(server)}), which
 * {@link ClassFiles} patches directly on the bytes; any other shape goes through Byte Buddy's
 * bundled ASM. A full {@code AgentBuilder} costs about a second of start-up.
 */
final class SocketImplPatcher {

    private SocketImplPatcher() {
    }

    static void patch(Instrumentation inst) throws Exception {
        Throwable[] failure = new Throwable[1];
        boolean[] patched = new boolean[1];
        ClassFileTransformer t = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                    ProtectionDomain pd, byte[] bytes) {
                if (!"java/net/SocketImpl".equals(name)) {
                    return null;
                }
                try {
                    byte[] out = rewrite(bytes, patched);
                    return patched[0] ? out : null;
                } catch (Throwable e) {
                    failure[0] = e;
                    return null;
                }
            }
        };
        inst.addTransformer(t, true);
        try {
            inst.retransformClasses(SocketImpl.class);
        } finally {
            inst.removeTransformer(t);
        }
        if (failure[0] != null) {
            throw new IllegalStateException("patching java.net.SocketImpl failed", failure[0]);
        }
        if (!patched[0]) {
            throw new IllegalStateException("java.net.SocketImpl has no createPlatformSocketImpl(boolean) in Java "
                    + System.getProperty("java.version"));
        }
    }

    static byte[] rewrite(byte[] bytes, boolean[] patched) {
        byte[] direct = ClassFiles.patch(bytes, "createPlatformSocketImpl", "(Z)Ljava/net/SocketImpl;");
        if (direct != null) {
            patched[0] = true;
            return direct;
        }
        return rewriteWithAsm(bytes, patched);
    }

    /** The general path, for a JDK whose method is not the simple shape {@link ClassFiles} handles. */
    static byte[] rewriteWithAsm(byte[] bytes, boolean[] patched) {
        ClassReader r = new ClassReader(bytes);
        ClassWriter w = new ClassWriter(r, 0);
        r.accept(new ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] ex) {
                MethodVisitor mv = super.visitMethod(access, name, desc, signature, ex);
                if (!name.equals("createPlatformSocketImpl") || !desc.equals("(Z)Ljava/net/SocketImpl;")
                        || (access & Opcodes.ACC_STATIC) == 0) {
                    return mv;
                }
                patched[0] = true;
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    @Override
                    public void visitInsn(int opcode) {
                        if (opcode == Opcodes.ARETURN) {
                            super.visitVarInsn(Opcodes.ILOAD, 0);
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, SocketHook.NAME, "wrap",
                                    SocketHook.WRAP_DESC, false);
                        }
                        super.visitInsn(opcode);
                    }

                    @Override
                    public void visitMaxs(int maxStack, int maxLocals) {
                        super.visitMaxs(Math.max(maxStack, 2), maxLocals);
                    }
                };
            }
        }, 0);
        return w.toByteArray();
    }
}
