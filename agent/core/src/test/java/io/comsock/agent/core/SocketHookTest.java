package io.comsock.agent.core;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.net.SocketImpl;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/** The class-file work of the agent, on this JDK's real classes. */
class SocketHookTest {
    private static byte[] original(JdkPatcher.Target target) throws Exception {
        Class<?> c = target.load();
        assertNotNull(c, target + ": its module is in the boot layer here");
        try (InputStream in = (c.getClassLoader() == null ? Object.class : c).getResourceAsStream("/" + target.owner + ".class")) {
            return in.readAllBytes();
        }
    }

    /**
     * The class without its stack maps, as Java 17 hands out its own classes to a transformer (it
     * keeps stack maps only for classes it verifies).
     */
    private static byte[] withoutStackMaps(byte[] classFile) {
        net.bytebuddy.jar.asm.ClassWriter w = new net.bytebuddy.jar.asm.ClassWriter(0);
        new ClassReader(classFile).accept(w, ClassReader.SKIP_FRAMES);
        return w.toByteArray();
    }

    /** Both the direct patch and ASM; the direct one is expected to handle every target of this JDK. */
    private static byte[][] bothPatches(JdkPatcher.Target target) throws Exception {
        return bothPatches(target, original(target));
    }

    private static byte[][] bothPatches(JdkPatcher.Target target, byte[] original) {
        byte[] direct = ClassFiles.patch(original, target.method, target.desc, target.site);
        assertNotNull(direct, "this JDK's " + target + " has a shape the direct patch handles");
        boolean[] patched = new boolean[1];
        byte[] asm = AsmPatch.rewrite(original, target, patched);
        assertTrue(patched[0], target + " found in Java " + System.getProperty("java.version"));
        return new byte[][] {direct, asm};
    }

    @Test
    void theDirectPatchWritesWhatAsmWritesForEveryTarget() throws Exception {
        for (JdkPatcher.Target target : JdkPatcher.TARGETS) {
            for (byte[] original : new byte[][] {original(target), withoutStackMaps(original(target))}) {
                byte[][] both = bothPatches(target, original);
                List<String> direct = listing(both[0], target);
                assertEquals(listing(both[1], target), direct, target.toString());
                assertNotEquals(listing(original, target), direct, target.toString());
            }
        }
    }

    @Test
    void everyReturnOfCreatePlatformSocketImplGoesThroughTheHook() throws Exception {
        for (JdkPatcher.Target target : new JdkPatcher.Target[] {JdkPatcher.SOCKET_IMPL, JdkPatcher.DEFAULT_SELECTOR}) {
            for (byte[] patched : bothPatches(target)) {
                List<String> code = listing(patched, target);
                int returns = 0;
                for (int i = 0; i < code.size(); i++) {
                    if (code.get(i).equals("insn " + Opcodes.ARETURN)) {
                        returns++;
                        assertEquals("call " + target.site.hookMethod, code.get(i - 1), target + ": " + code);
                    }
                }
                assertTrue(returns >= 1);
                assertEquals(returns, code.stream().filter(l -> l.startsWith("call ")).count(), "one hook call per return");
            }
        }
    }

    @Test
    void everyConnectIsCheckedFirst() throws Exception {
        assertAtEntry(JdkPatcher.NET_CONNECT, "var " + Opcodes.ALOAD + " 2", "var " + Opcodes.ILOAD + " 3", "call checkConnect");
    }

    @Test
    void everyDatagramToAnAddressIsCheckedFirst() throws Exception {
        assertAtEntry(JdkPatcher.DATAGRAM_SEND, "var " + Opcodes.ALOAD + " 3", "call checkSend");
    }

    @Test
    void aProxysSocketConnectsAComEndpointDirectlyAndReturnsFirst() throws Exception {
        for (JdkPatcher.Target target : new JdkPatcher.Target[] {JdkPatcher.SOCKS_CONNECT, JdkPatcher.TUNNEL_CONNECT}) {
            assertAtEntry(target, "var " + Opcodes.ALOAD + " 0", "var " + Opcodes.ALOAD + " 1", "var " + Opcodes.ILOAD + " 2",
                    "call connectDirect", "jump " + Opcodes.IFEQ + " L0", "insn " + Opcodes.RETURN, "label L0", "frame 3 0 0");
        }
    }

    @Test
    void httpClientsAndSelectorsGetTheirArgumentReplacedFirst() throws Exception {
        int a = Opcodes.ALOAD;
        int s = Opcodes.ASTORE;
        assertAtEntry(JdkPatcher.HTTP_CLIENT, "var " + a + " 0", "var " + a + " 1", "call proxyFor", "var " + s + " 1");
        assertAtEntry(JdkPatcher.HTTPS_CLIENT, "var " + a + " 1", "var " + a + " 3", "call proxyFor", "var " + s + " 3");
        assertAtEntry(JdkPatcher.HTTP_CLIENT_SELECTOR, "var " + a + " 1", "call selector", "var " + s + " 1");
    }

    /** Both the direct patch and ASM put these instructions first in the method, and call the hook nowhere else. */
    private static void assertAtEntry(JdkPatcher.Target target, String... first) throws Exception {
        for (byte[] patched : bothPatches(target)) {
            List<String> code = listing(patched, target);
            assertEquals(List.of(first), code.subList(0, first.length), target + ": " + code);
            assertEquals(1, code.stream().filter(l -> l.startsWith("call ")).count(), target + ": one hook call");
        }
    }

    /**
     * The patched method's code as ASM reads it, one line an instruction, label or frame, then one
     * an exception handler; labels are numbered in the order of the code and hook calls named
     * {@code call method}. Any hook call outside that method fails.
     */
    private static List<String> listing(byte[] classFile, JdkPatcher.Target target) {
        List<String> out = new ArrayList<>();
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                boolean patchedOne = name.equals(target.method) && desc.equals(target.desc);
                Map<Label, Integer> labels = new IdentityHashMap<>();
                List<Object[]> handlers = new ArrayList<>();
                return new MethodVisitor(Opcodes.ASM9) {
                    private void add(String line) {
                        if (patchedOne) {
                            out.add(line);
                        }
                    }

                    private String label(Label l) {
                        return "L" + labels.computeIfAbsent(l, k -> labels.size());
                    }

                    @Override
                    public void visitInsn(int op) {
                        add("insn " + op);
                    }

                    @Override
                    public void visitIntInsn(int op, int operand) {
                        add("int " + op + " " + operand);
                    }

                    @Override
                    public void visitVarInsn(int op, int var) {
                        add("var " + op + " " + var);
                    }

                    @Override
                    public void visitTypeInsn(int op, String type) {
                        add("type " + op + " " + type);
                    }

                    @Override
                    public void visitFieldInsn(int op, String owner, String n, String d) {
                        add("field " + op + " " + owner + "." + n + d);
                    }

                    @Override
                    public void visitMethodInsn(int op, String owner, String m, String d, boolean itf) {
                        if (owner.equals(SocketHook.NAME)) {
                            assertTrue(patchedOne, "hook called from " + name + desc);
                            add("call " + m);
                        } else {
                            add("method " + op + " " + owner + "." + m + d);
                        }
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String n, String d, Handle bsm, Object... args) {
                        add("indy " + n + d);
                    }

                    @Override
                    public void visitJumpInsn(int op, Label l) {
                        add("jump " + op + " " + label(l));
                    }

                    @Override
                    public void visitLabel(Label l) {
                        add("label " + label(l));
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        add("ldc " + value);
                    }

                    @Override
                    public void visitIincInsn(int var, int inc) {
                        add("iinc " + var + " " + inc);
                    }

                    @Override
                    public void visitTableSwitchInsn(int min, int max, Label dflt, Label... ls) {
                        StringBuilder sb = new StringBuilder("tableswitch " + min + " " + max + " " + label(dflt));
                        for (Label l : ls) {
                            sb.append(' ').append(label(l));
                        }
                        add(sb.toString());
                    }

                    @Override
                    public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] ls) {
                        StringBuilder sb = new StringBuilder("lookupswitch " + label(dflt));
                        for (int i = 0; i < keys.length; i++) {
                            sb.append(' ').append(keys[i]).append('=').append(label(ls[i]));
                        }
                        add(sb.toString());
                    }

                    @Override
                    public void visitMultiANewArrayInsn(String d, int dims) {
                        add("multianewarray " + d + " " + dims);
                    }

                    @Override
                    public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
                        handlers.add(new Object[] {start, end, handler, type});
                    }

                    @Override
                    public void visitEnd() {
                        // last, so that labels are numbered in the order of the code
                        for (Object[] h : handlers) {
                            add("try " + label((Label) h[0]) + " " + label((Label) h[1]) + " " + label((Label) h[2]) + " " + h[3]);
                        }
                    }

                    @Override
                    public void visitFrame(int type, int nLocal, Object[] local, int nStack, Object[] stack) {
                        add("frame " + type + " " + nLocal + " " + nStack);
                    }
                };
            }
        }, 0);
        assertFalse(out.isEmpty(), target + " is in the class");
        return out;
    }

    @Test
    void otherShapesAreLeftToAsm() {
        byte[] b = hookClassWithAsm();
        assertNull(ClassFiles.patch(b, "wrap", "(Z)Ljava/net/SocketImpl;", ClassFiles.Site.WRAP_RETURNS), "absent method");
        assertNull(ClassFiles.patch(new byte[] {1, 2, 3}, "x", "()V", ClassFiles.Site.WRAP_RETURNS), "not a class file");
    }

    @Test
    void aReturnAtTheEntryOfAMethodWithoutAStackMapIsLeftToAsm() throws Exception {
        // Object.toString has no branch, so no stack map to add the frame after the return to
        byte[] object;
        try (InputStream in = Object.class.getResourceAsStream("/java/lang/Object.class")) {
            object = in.readAllBytes();
        }
        assertNull(ClassFiles.patch(object, "toString", "()Ljava/lang/String;", ClassFiles.Site.CONNECT_DIRECT));
        assertNotNull(ClassFiles.patch(object, "toString", "()Ljava/lang/String;", ClassFiles.Site.CHECK_SEND));
    }

    @Test
    void theHookClassIsWhatAsmWritesForIt() {
        byte[] b = ClassFiles.hookClass();
        ClassReader r = new ClassReader(b);
        assertEquals(SocketHook.NAME, r.getClassName());
        assertEquals(SocketImpl.class.getPackageName().replace('.', '/'), r.getClassName().substring(0, r.getClassName().lastIndexOf('/')));
        String[][] methods = {{"wrap", SocketHook.WRAP_DESC}, {"checkConnect", SocketHook.CHECK_DESC},
            {"checkSend", SocketHook.SEND_DESC}, {"connectDirect", SocketHook.DIRECT_DESC},
            {"proxyFor", SocketHook.PROXY_DESC}, {"selector", SocketHook.SELECTOR_DESC}};
        for (String[] m : methods) {
            JdkPatcher.Target method = new JdkPatcher.Target(SocketHook.NAME, m[0], m[1], ClassFiles.Site.WRAP_RETURNS);
            assertEquals(listing(hookClassWithAsm(), method), listing(b, method), m[0]);
        }
        List<String> members = new ArrayList<>();
        r.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public void visit(int version, int access, String name, String sig, String superName, String[] itfs) {
                members.add(access + " " + superName);
            }

            @Override
            public net.bytebuddy.jar.asm.FieldVisitor visitField(int access, String name, String desc, String sig, Object v) {
                members.add(access + " " + name + desc);
                return null;
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] ex) {
                members.add(access + " " + name + desc);
                return null;
            }
        }, 0);
        List<String> expected = new ArrayList<>();
        expected.add((Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER) + " java/lang/Object");
        for (String f : SocketHook.FIELDS) {
            expected.add((Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_VOLATILE) + " " + f + "Ljava/util/function/BiFunction;");
        }
        for (String[] m : methods) {
            expected.add((Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC) + " " + m[0] + m[1]);
        }
        assertEquals(expected, members);
    }

    /** The hook class built with ASM: the reference that {@link ClassFiles#hookClass} is compared with. */
    static byte[] hookClassWithAsm() {
        net.bytebuddy.jar.asm.ClassWriter cw = new net.bytebuddy.jar.asm.ClassWriter(0);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, SocketHook.NAME, null,
                "java/lang/Object", null);
        for (String field : SocketHook.FIELDS) {
            cw.visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_VOLATILE, field,
                    "Ljava/util/function/BiFunction;", null, null).visitEnd();
        }
        String apply = "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;";
        String[][] methods = {{"wrap", SocketHook.WRAP_DESC, "wrapper"}, {"checkConnect", SocketHook.CHECK_DESC, "guard"},
            {"checkSend", SocketHook.SEND_DESC, "guard"}, {"connectDirect", SocketHook.DIRECT_DESC, "direct"},
            {"proxyFor", SocketHook.PROXY_DESC, "proxies"}, {"selector", SocketHook.SELECTOR_DESC, "selectors"}};
        for (String[] m : methods) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, m[0], m[1], null, null);
            mv.visitCode();
            mv.visitFieldInsn(Opcodes.GETSTATIC, SocketHook.NAME, m[2], "Ljava/util/function/BiFunction;");
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            switch (m[0]) {
                case "wrap":
                    mv.visitVarInsn(Opcodes.ILOAD, 1);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Boolean", "valueOf", "(Z)Ljava/lang/Boolean;", false);
                    break;
                case "checkConnect":
                    mv.visitVarInsn(Opcodes.ILOAD, 1);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
                    break;
                case "checkSend":
                    mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/net/InetSocketAddress", "getAddress",
                            "()Ljava/net/InetAddress;", false);
                    mv.visitVarInsn(Opcodes.ALOAD, 0);
                    mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/net/InetSocketAddress", "getPort", "()I", false);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "valueOf", "(I)Ljava/lang/Integer;", false);
                    break;
                case "connectDirect":
                    mv.visitTypeInsn(Opcodes.CHECKCAST, "java/net/DelegatingSocketImpl");
                    mv.visitFieldInsn(Opcodes.GETFIELD, "java/net/DelegatingSocketImpl", "delegate", "Ljava/net/SocketImpl;");
                    mv.visitVarInsn(Opcodes.ALOAD, 1);
                    break;
                case "proxyFor":
                    mv.visitVarInsn(Opcodes.ALOAD, 1);
                    break;
                default:
                    mv.visitInsn(Opcodes.ACONST_NULL);
            }
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/util/function/BiFunction", "apply", apply, true);
            net.bytebuddy.jar.asm.Type returned = net.bytebuddy.jar.asm.Type.getReturnType(m[1]);
            if (m[0].equals("connectDirect")) {
                mv.visitTypeInsn(Opcodes.CHECKCAST, "java/util/function/IntPredicate");
                mv.visitVarInsn(Opcodes.ILOAD, 2);
                mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "java/util/function/IntPredicate", "test", "(I)Z", true);
                mv.visitInsn(Opcodes.IRETURN);
            } else if (returned.getSort() == net.bytebuddy.jar.asm.Type.VOID) {
                mv.visitInsn(Opcodes.POP);
                mv.visitInsn(Opcodes.RETURN);
            } else {
                mv.visitTypeInsn(Opcodes.CHECKCAST, returned.getInternalName());
                mv.visitInsn(Opcodes.ARETURN);
            }
            mv.visitMaxs(3, (net.bytebuddy.jar.asm.Type.getArgumentsAndReturnSizes(m[1]) >> 2) - 1); // the arguments (no this)
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }
}
