package io.comsock.agent.core;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * The general path of {@link JdkPatcher}, with Byte Buddy's bundled ASM, for a JDK whose method is
 * not of a shape {@link ClassFiles} handles. A class of its own, so that ASM loads only when it is
 * used: a class that names its classes has them loaded when it is verified.
 */
final class AsmPatch {
    private AsmPatch() {
    }

    /** {@code bytes} with {@code target} patched; {@code patched[0]} says whether the method was found. */
    static byte[] rewrite(byte[] bytes, JdkPatcher.Target target, boolean[] patched) {
        ClassFiles.Site site = target.site;
        ClassReader r = new ClassReader(bytes);
        boolean frame = site.returnIfTrue && framed(r, target);
        ClassWriter w = new ClassWriter(r, 0);
        r.accept(new ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String d, String signature, String[] ex) {
                MethodVisitor mv = super.visitMethod(access, name, d, signature, ex);
                if (!name.equals(target.method) || !d.equals(target.desc)
                        || ((access & Opcodes.ACC_STATIC) != 0) != site.isStatic) {
                    return mv;
                }
                patched[0] = true;
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    private void call() {
                        for (byte load : site.loads) {
                            boolean ref = load >= ClassFiles.ALOAD_0;
                            super.visitVarInsn(ref ? Opcodes.ALOAD : Opcodes.ILOAD,
                                    load - (ref ? ClassFiles.ALOAD_0 : ClassFiles.ILOAD_0));
                        }
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, SocketHook.NAME, site.hookMethod, site.hookDesc, false);
                        if (site.store >= 0) {
                            super.visitVarInsn(Opcodes.ASTORE, site.store);
                        }
                        if (site.returnIfTrue) {
                            Label rest = new Label();
                            super.visitJumpInsn(Opcodes.IFEQ, rest);
                            super.visitInsn(Opcodes.RETURN);
                            super.visitLabel(rest);
                            if (frame) {
                                super.visitFrame(Opcodes.F_SAME, 0, null, 0, null);
                            }
                        }
                    }

                    @Override
                    public void visitCode() {
                        super.visitCode();
                        if (site.atEntry) {
                            call();
                        }
                    }

                    @Override
                    public void visitInsn(int opcode) {
                        if (opcode == Opcodes.ARETURN && !site.atEntry) {
                            call();
                        }
                        super.visitInsn(opcode);
                    }

                    @Override
                    public void visitMaxs(int maxStack, int maxLocals) {
                        super.visitMaxs(Math.max(maxStack, site.loads.length + 1), maxLocals);
                    }
                };
            }
        }, 0);
        return w.toByteArray();
    }

    /**
     * Whether a jump added to the target needs a stack-map frame: unless the method jumps already
     * and has no stack map (a class the JVM does not verify, see {@link ClassFiles}).
     */
    private static boolean framed(ClassReader r, JdkPatcher.Target target) {
        boolean[] framesJumps = new boolean[2];
        r.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String d, String signature, String[] ex) {
                if (!name.equals(target.method) || !d.equals(target.desc)) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitFrame(int type, int nLocal, Object[] local, int nStack, Object[] stack) {
                        framesJumps[0] = true;
                    }

                    @Override
                    public void visitJumpInsn(int opcode, Label label) {
                        framesJumps[1] = true;
                    }

                    @Override
                    public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
                        framesJumps[1] = true;
                    }

                    @Override
                    public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
                        framesJumps[1] = true;
                    }

                    @Override
                    public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
                        framesJumps[1] = true;
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG);
        return framesJumps[0] || !framesJumps[1];
    }
}
