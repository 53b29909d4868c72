package io.comsock.agent.behaviour;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Named checks that print one TAP-style line each: {@code ok - side: name} or
 * {@code not ok - side: name: what happened}, then {@code CHECKS side run failed}. The same lines
 * are read by the JUnit runner on the host and by the kernel end-to-end script in the guest.
 */
final class Checks {
    interface Body {
        void run() throws Exception;
    }

    private final String side;
    private int run;
    private int failed;

    Checks(String side) {
        this.side = side;
    }

    void run(String name, Body body) {
        run++;
        String outcome;
        try {
            body.run();
            outcome = "ok - " + side + ": " + name;
        } catch (Throwable t) {
            failed++;
            outcome = "not ok - " + side + ": " + name + ": " + t;
        }
        System.out.println(outcome.replace('\n', ' '));
        System.out.flush();
    }

    /** A check that cannot run here, counted as passed and marked as skipped. */
    void skip(String name, String why) {
        run++;
        System.out.println("ok - " + side + ": " + name + " # SKIP " + why);
        System.out.flush();
    }

    int done() {
        System.out.println("CHECKS " + side + " " + run + " " + failed);
        System.out.flush();
        return failed;
    }

    static void expect(boolean condition, String otherwise) {
        if (!condition) {
            throw new AssertionError(otherwise);
        }
    }

    /** Runs {@code body}; it must throw {@code type} with a message that starts with {@code message}. */
    static Throwable expectThrows(Class<? extends Throwable> type, String message, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            if (!type.isInstance(t) || message != null && (t.getMessage() == null || !t.getMessage().startsWith(message))) {
                throw new AssertionError("expected " + type.getName() + (message == null ? "" : ": " + message)
                        + " but got " + t, t);
            }
            return t;
        }
        throw new AssertionError("expected " + type.getName() + (message == null ? "" : ": " + message)
                + " but nothing was thrown");
    }

    /** One line of ASCII without buffering past it, so the stream stays usable; null at the end. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }
}
