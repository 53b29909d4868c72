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
     * The address in 192.168.0.0/24 that {@code host} spells as an address literal, or null when
     * {@code host} is a host name or an address outside that network. Never looks a name up.
     * Every IPv4 spelling a resolver takes counts ({@code inet_aton}: one to four parts, each
     * decimal, octal after a leading {@code 0} or hexadecimal after {@code 0x}), so
     * {@code 3232235525} and {@code 0xc0.0xa8.0.5} are 192.168.0.5 as well; so do IPv4-mapped
     * IPv6 literals ({@code ::ffff:192.168.0.5}), with or without brackets.
     */
    public static InetAddress literal(String host) {
        if (host == null || host.isEmpty()) {
            return null;
        }
        String h = host;
        if (h.length() > 2 && h.charAt(0) == '[' && h.charAt(h.length() - 1) == ']') {
            h = h.substring(1, h.length() - 1);
        }
        if (h.indexOf(':') >= 0) {
            // an IPv6 literal: with a colon and a leading hex digit or colon, the JDK parses it or
            // throws, and never asks a resolver
            if (h.charAt(0) != ':' && Character.digit(h.charAt(0), 16) < 0) {
                return null;
            }
            try {
                InetAddress a = InetAddress.getByName(h);
                return isComNetwork(a) ? a : null;
            } catch (UnknownHostException | RuntimeException notALiteral) {
                return null;
            }
        }
        long v = ipv4Literal(h);
        return v >= 0 && ((int) v & NET_MASK) == NET ? fromHost((int) v & 0xFF) : null;
    }

    /** The value of an IPv4 literal as {@code inet_aton} reads it, or -1 if it is none. */
    private static long ipv4Literal(String s) {
        long[] parts = new long[4];
        int n = 0;
        int i = 0;
        while (true) {
            if (n == parts.length || i == s.length() || !isDigit(s.charAt(i), 10)) {
                return -1;
            }
            int radix = 10;
            if (s.charAt(i) == '0') {
                radix = 8;
                i++;
                if (i < s.length() && (s.charAt(i) == 'x' || s.charAt(i) == 'X')) {
                    radix = 16;
                    i++;
                }
            }
            long v = 0;
            for (; i < s.length() && isDigit(s.charAt(i), radix); i++) {
                v = v * radix + Character.digit(s.charAt(i), radix);
                if (v > 0xFFFFFFFFL) {
                    return -1;
                }
            }
            parts[n++] = v;
            if (i == s.length()) {
                break;
            }
            if (s.charAt(i++) != '.') {
                return -1;
            }
        }
        // the last part fills the bytes the others leave: a, a.b (b: 24 bits), a.b.c (c: 16 bits)
        long value = parts[n - 1];
        if (value > 0xFFFFFFFFL >>> (8 * (n - 1))) {
            return -1;
        }
        for (int k = 0; k < n - 1; k++) {
            if (parts[k] > 0xFF) {
                return -1;
            }
            value |= parts[k] << (8 * (3 - k));
        }
        return value;
    }

    private static boolean isDigit(char c, int radix) {
        return c < 0x80 && Character.digit(c, radix) >= 0;
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
