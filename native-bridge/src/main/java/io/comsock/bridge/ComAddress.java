package io.comsock.bridge;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The com-socket address plan, and the only place that knows it.
 *
 * <p>The network {@code 192.168.0.0/24} belongs to com-socket. Domain {@code N} (0..252) has the
 * address {@code 192.168.0.(N+2)}; {@code 192.168.0.255} is the broadcast address. The remaining
 * addresses of the subnet ({@code .0} and {@code .1}) name no domain and are rejected with a
 * message that says so.
 */
public final class ComAddress {
    /** Highest domain id: 252 maps to 192.168.0.254. */
    public static final int MAX_DOMAIN = 252;
    /** The value of {@link #classify} for the broadcast address. */
    public static final int BROADCAST = -2;
    /** The value of {@link #classify} for an address outside the com-socket subnet. */
    public static final int NOT_COM = -1;

    private static final int NET = (192 << 24) | (168 << 16);
    private static final int NET_MASK = 0xFFFFFF00;
    private static final int FIRST_HOST = 2;
    private static final int BROADCAST_HOST = 255;

    private ComAddress() {
    }

    /** True when {@code address} lies in 192.168.0.0/24, valid or not. */
    public static boolean isComNetwork(InetAddress address) {
        return address instanceof Inet4Address && (toInt(address) & NET_MASK) == NET;
    }

    /**
     * Classifies an address: the domain id it names, {@link #BROADCAST}, or {@link #NOT_COM}.
     *
     * @throws IllegalArgumentException for an address inside the subnet that names no domain
     */
    public static int classify(InetAddress address) {
        if (!isComNetwork(address)) {
            return NOT_COM;
        }
        int host = toInt(address) & 0xFF;
        if (host == BROADCAST_HOST) {
            return BROADCAST;
        }
        if (host < FIRST_HOST) {
            throw new IllegalArgumentException("address=" + address.getHostAddress()
                    + " names no com-socket domain (domains are 192.168.0.2-192.168.0.254, "
                    + "broadcast is 192.168.0.255)");
        }
        return host - FIRST_HOST;
    }

    /**
     * The domain id that {@code address} names.
     *
     * @throws IllegalArgumentException when the address is not a domain's address
     */
    public static int domainOf(InetAddress address) {
        int domain = classify(address);
        if (domain == NOT_COM) {
            throw new IllegalArgumentException("address=" + address.getHostAddress()
                    + " is not in the com-socket network 192.168.0.0/24");
        }
        if (domain == BROADCAST) {
            throw new IllegalArgumentException("address=192.168.0.255 is the broadcast address, "
                    + "not a single domain");
        }
        return domain;
    }

    /** The address of domain {@code domain}. */
    public static InetAddress addressOf(int domain) {
        checkDomain(domain);
        return fromHost(domain + FIRST_HOST);
    }

    /** The broadcast address, 192.168.0.255. */
    public static InetAddress broadcast() {
        return fromHost(BROADCAST_HOST);
    }

    /**
     * Checks a domain id.
     *
     * @throws IllegalArgumentException naming the value and the valid range
     */
    public static int checkDomain(int domain) {
        if (domain < 0 || domain > MAX_DOMAIN) {
            throw new IllegalArgumentException("domain=" + domain + " is out of range (expected 0.."
                    + MAX_DOMAIN + ")");
        }
        return domain;
    }

    private static InetAddress fromHost(int host) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) 192, (byte) 168, 0, (byte) host});
        } catch (UnknownHostException e) {
            throw new AssertionError("a four-byte address is always valid", e);
        }
    }

    private static int toInt(InetAddress address) {
        byte[] b = address.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }
}
