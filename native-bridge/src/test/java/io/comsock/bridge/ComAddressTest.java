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
    void domainIdsOutOfRangeAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComAddress.addressOf(253));
        assertEquals("domain=253 is out of range (expected 0..252)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ComAddress.checkDomain(-1));
    }
}
