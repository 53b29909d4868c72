package io.comsock.bridge.kernel;

import io.comsock.bridge.ComAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the {@code AF_COM} kernel module offers here, and its address structure. The constants
 * mirror {@code kernel-module/include/uapi/linux/com.h}; a test reads that header and checks them.
 */
public final class KernelSupport {
    /** The default family number (the module parameter {@code family} may move it). */
    public static final int AF_COM_DEFAULT = 22;
    /** {@code sizeof(struct sockaddr_com)}: laid out like {@code sockaddr_in}. */
    public static final int SOCKADDR_SIZE = 16;
    /** 192.168.0.0, host order. */
    public static final int COM_NET = 0xc0a80000;
    /** Bind to the own domain's address, whatever its id. */
    public static final int COM_ADDR_ANY = 0;

    static final Path PROC = Path.of("/proc/net/comsock");
    static final Path FAMILY = Path.of("/sys/module/comsock/parameters/family");
    static final Path DOMAIN_ID = Path.of("/proc/sys/net/com/domain_id");

    private KernelSupport() {
    }

    /** True when the module is loaded and the JNA bindings work. */
    public static boolean available() {
        return Files.exists(PROC) && Libc.unavailable() == null;
    }

    /** Why the kernel provider cannot be used here, or null if it can. */
    public static String whyUnavailable() {
        if (!Files.exists(PROC)) {
            return "the AF_COM module is not loaded (no " + PROC + ")";
        }
        if (Libc.unavailable() != null) {
            return "the native bindings did not load: " + Libc.unavailable();
        }
        return null;
    }

    /** The family number in use. */
    public static int family() {
        try {
            return Integer.parseInt(readNumber(FAMILY));
        } catch (IOException | NumberFormatException e) {
            return AF_COM_DEFAULT;
        }
    }

    /** This network namespace's domain id, or -1 if it has none (or the module is absent). */
    public static int domainId() {
        try {
            int id = Integer.parseInt(readNumber(DOMAIN_ID));
            return id >= 0 && id <= ComAddress.MAX_DOMAIN ? id : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * A number from a sysctl or sysfs file, in one read: a sysctl answers only a read from its
     * start, so a reader that takes a first byte and then the rest sees "1" for 12.
     */
    private static String readNumber(Path p) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(p)) {
            byte[] b = new byte[64];
            int n = in.read(b);
            return n <= 0 ? "" : new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII).trim();
        }
    }

    /** Encodes {@code struct sockaddr_com}; a null address is {@code COM_ADDR_ANY}. */
    static byte[] sockaddr(int family, InetAddress address, int port) {
        byte[] b = new byte[SOCKADDR_SIZE];
        b[0] = (byte) family;          // sa_family_t, host order (little-endian here)
        b[1] = (byte) (family >>> 8);
        b[2] = (byte) (port >>> 8);    // network order
        b[3] = (byte) port;
        if (address != null) {
            byte[] a = address.getAddress();
            System.arraycopy(a, 0, b, 4, 4);
        }
        return b;
    }

    /** Decodes {@code struct sockaddr_com}. */
    static InetSocketAddress decode(byte[] b) {
        int port = ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {b[4], b[5], b[6], b[7]}), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
