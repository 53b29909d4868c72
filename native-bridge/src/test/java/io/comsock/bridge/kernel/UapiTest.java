package io.comsock.bridge.kernel;

import static org.junit.jupiter.api.Assertions.*;

import io.comsock.bridge.ComAddress;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The kernel provider's constants and address layout agree with the module's uapi header. */
class UapiTest {
    private static String header() throws Exception {
        return Files.readString(Path.of(System.getProperty("user.dir"))
                .resolve("../kernel-module/include/uapi/linux/com.h").normalize());
    }

    private static long define(String h, String name) {
        Matcher m = Pattern.compile("#define\\s+" + name + "\\s+(0x[0-9a-fA-F]+|\\d+)U?").matcher(h);
        assertTrue(m.find(), name + " is defined in the header");
        String v = m.group(1);
        return v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
    }

    @Test
    void constantsMatchTheHeader() throws Exception {
        String h = header();
        assertEquals(KernelSupport.AF_COM_DEFAULT, define(h, "AF_COM"));
        assertEquals(KernelSupport.COM_NET & 0xFFFFFFFFL, define(h, "COM_NET"));
        assertEquals(KernelSupport.COM_ADDR_ANY, define(h, "COM_ADDR_ANY"));
        assertEquals(ComAddress.MAX_DOMAIN, define(h, "COM_DOMAIN_ID_MAX"));
        assertEquals(8192, define(h, "COM_BLOCK_SIZE"));
    }

    @Test
    void theAddressStructureIsLaidOutAsTheHeaderSays() throws Exception {
        String h = header();
        Matcher m = Pattern.compile("struct sockaddr_com \\{(.*?)\\};", Pattern.DOTALL).matcher(h);
        assertTrue(m.find());
        String body = m.group(1).replaceAll("\\s+", " ").trim();
        assertEquals("__kernel_sa_family_t scom_family; __be16 scom_port; __be32 scom_addr; __u8 scom_zero[8];", body);
        byte[] b = KernelSupport.sockaddr(22, InetAddress.getByName("192.168.0.5"), 0x1F90);
        assertEquals(KernelSupport.SOCKADDR_SIZE, b.length);
        assertArrayEquals(new byte[] {22, 0, 0x1F, (byte) 0x90, (byte) 192, (byte) 168, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0}, b);
        assertEquals(new InetSocketAddress("192.168.0.5", 8080), KernelSupport.decode(b));
        assertArrayEquals(new byte[] {22, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                KernelSupport.sockaddr(22, null, 80), "a null address is COM_ADDR_ANY");
    }

    @Test
    void errnoBecomesTheJdksExceptions() {
        assertEquals("Connection refused", ((ConnectException) Errno.exception("connect", Errno.ECONNREFUSED)).getMessage());
        assertInstanceOf(NoRouteToHostException.class, Errno.exception("connect", Errno.EHOSTUNREACH));
        assertEquals("Address already in use", ((BindException) Errno.exception("bind", Errno.EADDRINUSE)).getMessage());
        assertEquals("Connection reset", ((SocketException) Errno.exception("read", Errno.ECONNRESET)).getMessage());
        assertEquals("Broken pipe", Errno.exception("write", Errno.EPIPE).getMessage());
        assertEquals("read failed: errno 5", Errno.exception("read", 5).getMessage());
    }

    @Test
    void withoutTheModuleASocketCannotBeCreatedAndSaysWhy() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(KernelSupport.available(), "the module is loaded here");
        assertNull(Libc.unavailable(), "the native bindings load on this machine");
        KernelSocketImpl impl = new KernelSocketImpl(1);
        SocketException e = assertThrows(SocketException.class, () -> impl.create(true));
        assertEquals("socket(AF_COM=22) failed: errno 97 (is the comsock module loaded?)", e.getMessage());
    }

    @Test
    void withoutTheModuleTheProviderSaysWhy() {
        org.junit.jupiter.api.Assumptions.assumeFalse(KernelSupport.available(), "the module is loaded here");
        assertTrue(KernelSupport.whyUnavailable().contains("not loaded"), KernelSupport.whyUnavailable());
        assertEquals(-1, KernelSupport.domainId());
    }
}
