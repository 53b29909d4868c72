package io.comsock.agent.core;

import java.lang.invoke.MethodHandles;
import java.net.SocketImpl;
import java.util.function.BiFunction;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The one piece of the agent that the JDK's own code calls: a tiny class
 * {@code java.net.ComsockSocketHook}, defined at start-up into {@code java.base}'s own package
 * {@code java.net} (through a lookup on that package, which the agent opens to itself), so the
 * patched {@code SocketImpl} reaches it without the bootstrap class path being touched (which
 * would also switch off class data sharing for the application). Its two methods are
 * <pre>
 * public static SocketImpl wrap(SocketImpl platform, boolean server) {
 *     return (SocketImpl) wrapper.apply(platform, Boolean.valueOf(server));
 * }
 * public static void checkConnect(InetAddress remote, int port) {
 *     guard.apply(remote, Integer.valueOf(port));
 * }
 * public static void checkSend(InetSocketAddress target) {
 *     guard.apply(target.getAddress(), Integer.valueOf(target.getPort()));
 * }
 * </pre>
 * {@code wrap} is called by the patched {@code SocketImpl.createPlatformSocketImpl},
 * {@code checkConnect} by the patched {@code sun.nio.ch.Net.connect}, the one place where every
 * connect of the JDK (sockets and NIO channels) reaches the system call, and {@code checkSend} by
 * the patched {@code DatagramChannelImpl.send(FileDescriptor, ByteBuffer, InetSocketAddress)},
 * through which every datagram to an explicit address goes; {@code guard} throws, undeclared,
 * the {@code IOException} that refuses them. Both fields are set before the patches are applied
 * and never cleared.
 */
final class SocketHook {
    static final String NAME = "java/net/ComsockSocketHook";
    static final String WRAP_DESC = "(Ljava/net/SocketImpl;Z)Ljava/net/SocketImpl;";
    static final String CHECK_DESC = "(Ljava/net/InetAddress;I)V";
    static final String SEND_DESC = "(Ljava/net/InetSocketAddress;)V";

    private SocketHook() {
    }

    static void install(BiFunction<SocketImpl, Boolean, SocketImpl> wrapper,
            BiFunction<java.net.InetAddress, Integer, Object> guard) throws ReflectiveOperationException {
        MethodHandles.Lookup javaNet = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup());
        Class<?> hook;
        try {
            hook = Class.forName(NAME.replace('/', '.'), false, null);
        } catch (ClassNotFoundException first) {
            hook = javaNet.defineClass(ClassFiles.hookClass());
        }
        try {
            javaNet.findStaticSetter(hook, "guard", BiFunction.class).invoke(guard);
            javaNet.findStaticSetter(hook, "wrapper", BiFunction.class).invoke(wrapper);
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The same class built with ASM: the reference that a test compares {@link ClassFiles#hookClass} with. */
    static byte[] bytes() {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, NAME, null,
                "java/lang/Object", null);
        for (String field : new String[] {"wrapper", "guard"}) {
            cw.visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_VOLATILE, field,
                    "Ljava/util/function/BiFunction;", null, null).visitEnd();
        }
        // wrap: (SocketImpl) wrapper.apply(impl, Boolean.valueOf(server)); checkConnect: guard.apply(address, Integer.valueOf(port))
        String[][] methods = {{"wrap", WRAP_DESC, "wrapper", "java/lang/Boolean", "(Z)Ljava/lang/Boolean;"},
            {"checkConnect", CHECK_DESC, "guard", "java/lang/Integer", "(I)Ljava/lang/Integer;"},
            {"checkSend", SEND_DESC, "guard", "java/lang/Integer", "(I)Ljava/lang/Integer;"}};
        for (String[] m : methods) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, m[0], m[1], null, null);
            mv.visitCode();
            mv.visitFieldInsn(Opcodes.GETSTATIC, NAME, m[2], "Ljava/util/function/BiFunction;");
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
