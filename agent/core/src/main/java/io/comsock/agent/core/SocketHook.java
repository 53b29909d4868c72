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
 * would also switch off class data sharing for the application). Its one method is
 * <pre>
 * public static SocketImpl wrap(SocketImpl platform, boolean server) {
 *     return (SocketImpl) wrapper.apply(platform, Boolean.valueOf(server));
 * }
 * </pre>
 * and {@code wrapper} is set before the patch is applied and never cleared.
 */
final class SocketHook {
    static final String NAME = "java/net/ComsockSocketHook";
    static final String WRAP_DESC = "(Ljava/net/SocketImpl;Z)Ljava/net/SocketImpl;";

    private SocketHook() {
    }

    static void install(BiFunction<SocketImpl, Boolean, SocketImpl> wrapper) throws ReflectiveOperationException {
        MethodHandles.Lookup javaNet = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup());
        Class<?> hook;
        try {
            hook = Class.forName(NAME.replace('/', '.'), false, null);
        } catch (ClassNotFoundException first) {
            hook = javaNet.defineClass(ClassFiles.hookClass());
        }
        try {
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
        cw.visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_VOLATILE, "wrapper",
                "Ljava/util/function/BiFunction;", null, null).visitEnd();
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "wrap", WRAP_DESC, null, null);
        mv.visitCode();
        mv.visitFieldInsn(Opcodes.GETSTATIC, NAME, "wrapper", "Ljava/util/function/BiFunction;");
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Boolean", "valueOf", "(Z)Ljava/lang/Boolean;", false);
        mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/util/function/BiFunction", "apply",
                "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;", true);
        mv.visitTypeInsn(Opcodes.CHECKCAST, "java/net/SocketImpl");
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitMaxs(3, 2);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
