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
 * Patches two JDK methods, each to call the hook class (see {@link SocketHook}):
 * <ul>
 * <li>{@code java.net.SocketImpl.createPlatformSocketImpl(boolean)}, the single point where
 * {@code Socket}, {@code ServerSocket} and the platform {@code accept} obtain their
 * implementation: each return passes the new implementation through {@code wrap(impl, server)}.
 * Patching the return value (rather than installing a socket factory) keeps SOCKS and HTTP
 * proxies working and leaves the factory slots to the application.</li>
 * <li>{@code sun.nio.ch.Net.connect(ProtocolFamily, FileDescriptor, InetAddress, int)}, through
 * which every TCP connect of the JDK reaches the system call (sockets, {@code SocketChannel},
 * {@code AsynchronousSocketChannel}, and the connect of a {@code DatagramChannel}): at its entry,
 * {@code checkConnect(address, port)} refuses com addresses. Routed sockets never get there
 * with one; NIO channels, which the agent does not route, would, and so fail closed.</li>
 * </ul>
 * The transformer is removed again at once, so no other class load pays for it. Both methods are
 * short straight-line code, which {@link ClassFiles} patches directly on the bytes; any other
 * shape goes through Byte Buddy's bundled ASM. A full {@code AgentBuilder} costs about a second
 * of start-up.
 */
final class JdkPatcher {
    static final String SOCKET_IMPL = "java/net/SocketImpl";
    static final String NET = "sun/nio/ch/Net";
    static final String CONNECT_DESC = "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I";

    private JdkPatcher() {
    }

    static void patch(Instrumentation inst) throws Exception {
        Class<?> net = Class.forName(NET.replace('/', '.'), false, null);
        Throwable[] failure = new Throwable[1];
        boolean[] patched = new boolean[2];
        ClassFileTransformer t = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                    ProtectionDomain pd, byte[] bytes) {
                int which = SOCKET_IMPL.equals(name) ? 0 : NET.equals(name) ? 1 : -1;
                if (which < 0) {
                    return null;
                }
                try {
                    boolean[] done = new boolean[1];
                    byte[] out = which == 0 ? rewriteSocketImpl(bytes, done) : rewriteNet(bytes, done);
                    patched[which] = done[0];
                    return done[0] ? out : null;
                } catch (Throwable e) {
                    failure[0] = e;
                    return null;
                }
            }
        };
        inst.addTransformer(t, true);
        try {
            inst.retransformClasses(SocketImpl.class, net);
        } finally {
            inst.removeTransformer(t);
        }
        if (failure[0] != null) {
            throw new IllegalStateException("patching the JDK's socket classes failed", failure[0]);
        }
        if (!patched[0]) {
            throw new IllegalStateException("java.net.SocketImpl has no createPlatformSocketImpl(boolean) in Java "
                    + System.getProperty("java.version"));
        }
        if (!patched[1]) {
            throw new IllegalStateException("sun.nio.ch.Net has no static connect" + CONNECT_DESC + " in Java "
                    + System.getProperty("java.version"));
        }
    }

    static byte[] rewriteSocketImpl(byte[] bytes, boolean[] patched) {
        byte[] direct = ClassFiles.patch(bytes, "createPlatformSocketImpl", "(Z)Ljava/net/SocketImpl;",
                ClassFiles.Site.WRAP_RETURNS);
        if (direct != null) {
            patched[0] = true;
            return direct;
        }
        return rewriteWithAsm(bytes, "createPlatformSocketImpl", "(Z)Ljava/net/SocketImpl;", false, patched);
    }

    static byte[] rewriteNet(byte[] bytes, boolean[] patched) {
        byte[] direct = ClassFiles.patch(bytes, "connect", CONNECT_DESC, ClassFiles.Site.CHECK_CONNECT);
        if (direct != null) {
            patched[0] = true;
            return direct;
        }
        return rewriteWithAsm(bytes, "connect", CONNECT_DESC, true, patched);
    }

    /**
     * The general path, for a JDK whose method is not the simple shape {@link ClassFiles} handles:
     * {@code atEntry} false wraps each {@code areturn} of {@code createPlatformSocketImpl}, true
     * puts {@code checkConnect(arg 2, arg 3)} at the entry of {@code Net.connect}.
     */
    static byte[] rewriteWithAsm(byte[] bytes, String method, String desc, boolean atEntry, boolean[] patched) {
        ClassReader r = new ClassReader(bytes);
        ClassWriter w = new ClassWriter(r, 0);
        r.accept(new ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String d, String signature, String[] ex) {
                MethodVisitor mv = super.visitMethod(access, name, d, signature, ex);
                if (!name.equals(method) || !d.equals(desc) || (access & Opcodes.ACC_STATIC) == 0) {
                    return mv;
                }
                patched[0] = true;
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    @Override
                    public void visitCode() {
                        super.visitCode();
                        if (atEntry) {
                            super.visitVarInsn(Opcodes.ALOAD, 2);
                            super.visitVarInsn(Opcodes.ILOAD, 3);
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, SocketHook.NAME, "checkConnect",
                                    SocketHook.CHECK_DESC, false);
                        }
                    }

                    @Override
                    public void visitInsn(int opcode) {
                        if (opcode == Opcodes.ARETURN && !atEntry) {
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
