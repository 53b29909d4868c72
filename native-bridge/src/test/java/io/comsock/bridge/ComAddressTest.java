package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ComAddressTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void domainIdPlusTwoIsTheLastOctet() throws Exception {
        assertEquals(ip("192.168.0.2"), ComAddress.addressOf(0));
        assertEquals(ip("192.168.0.5"), ComAddress.addressOf(3));
        assertEquals(ip("192.168.0.254"), ComAddress.addressOf(252));
        assertEquals(3, ComAddress.domainOf(ip("192.168.0.5")));
        for (int d = 0; d <= ComAddress.MAX_DOMAIN; d++) {
            assertEquals(d, ComAddress.domainOf(ComAddress.addressOf(d)));
        }
    }

    @Test
    void broadcastIsRecognisedButIsNoDomain() throws Exception {
        assertEquals(ComAddress.BROADCAST, ComAddress.classify(ip("192.168.0.255")));
        assertEquals(ip("192.168.0.255"), ComAddress.broadcast());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ComAddress.domainOf(ip("192.168.0.255")));
        assertTrue(e.getMessage().contains("broadcast"), e.getMessage());
    }

    @Test
    void theTwoLowAddressesNameNoDomain() throws Exception {
        for (String a : new String[] {"192.168.0.0", "192.168.0.1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComAddress.classify(ip(a)));
            assertTrue(e.getMessage().contains("address=" + a), e.getMessage());
            assertTrue(ComAddress.isComNetwork(ip(a)));
        }
    }

    @Test
    void otherAddressesAreNotCom() throws Exception {
        for (String a : new String[] {"127.0.0.1", "192.168.1.5", "10.0.0.5", "::1", "0.0.0.0"}) {
            assertFalse(ComAddress.isComNetwork(ip(a)), a);
            assertEquals(ComAddress.NOT_COM, ComAddress.classify(ip(a)), a);
        }
        assertThrows(IllegalArgumentException.class, () -> ComAddress.domainOf(ip("127.0.0.1")));
    }

    @Test
    void everySpellingOfAComAddressLiteralIsRecognised() throws Exception {
        for (String s : new String[] {"192.168.0.5", "3232235525", "0xc0a80005", "0300.0250.0.05", "0xC0.0xA8.0x0.0x5",
            "192.168.5", "192.11010053", "::ffff:192.168.0.5", "[::ffff:192.168.0.5]", "::ffff:c0a8:5"}) {
            assertEquals(ip("192.168.0.5"), ComAddress.literal(s), s);
        }
        assertEquals(ip("192.168.0.255"), ComAddress.literal("192.168.0.255"));
        assertEquals(ip("192.168.0.0"), ComAddress.literal("192.168.0.0"));
    }

    @Test
    void namesAndOtherAddressesAreNoComLiteral() {
        for (String s : new String[] {"127.0.0.1", "192.168.1.5", "192.168.256", "192.168.0.5.", ".192.168.0.5",
            "192.168.0.5.1", "192.168.0.256", "256.168.0.5", "09.168.0.5", "1e2.168.0.5", "4294967296", "192.168.0.5x",
            "::1", "[::1]", "::192.168.0.5", "fe80::1%lo", "example.com", "192.168.0.5.example.com", "", "[]", "[", "x:y",
            "\u0661\u0669\u0662.168.0.5"}) {
            assertNull(ComAddress.literal(s), s);
        }
        assertNull(ComAddress.literal(null));
    }

    @Test
    void domainIdsOutOfRangeAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComAddress.addressOf(253));
        assertEquals("domain=253 is out of range (expected 0..252)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ComAddress.checkDomain(-1));
    }
}
