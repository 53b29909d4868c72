package io.comsock.agent.core;

import io.comsock.bridge.ComAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which sockets go over com-socket: the rules file, in the spirit of the JDK's old
 * {@code sdp.conf}. One rule per line; {@code #} starts a comment.
 * <pre>
 * connect ADDRESS[/BITS] PORT|*       com destinations that com-socket serves
 * bind    ADDRESS PORT|*              server binds that also accept com-socket connections
 * map     COMADDRESS[:PORT] HOST[:PORT]   a domain that lives elsewhere: plain TCP to HOST
 * key=value                           a setting (see {@link AgentConfig})
 * </pre>
 * Without {@code connect} rules every domain address is served; without {@code bind} rules every
 * wildcard bind accepts both. A connection to a {@code 192.168.0.x} address is never made over
 * TCP to that address: it goes over com-socket, to a {@code map} target, or fails.
 */
public final class Rules {
    static final Rules DEFAULT = new Rules("(none)", List.of(), List.of(), List.of(), Map.of());

    /** What to do with a connect. */
    enum Route { COM, TCP, MAP, DENY }

    /** A routing decision and the reason, for the debug log and for errors. */
    static final class Decision {
        final Route route;
        final String why;
        final InetSocketAddress target;

        Decision(Route route, String why, InetSocketAddress target) {
            this.route = route;
            this.why = why;
            this.target = target;
        }
    }

    private static final class Match {
        final int network;
        final int mask;
        final int port; // -1: any
        final String where;
        final InetSocketAddress target;

        Match(int network, int mask, int port, String where, InetSocketAddress target) {
            this.network = network;
            this.mask = mask;
            this.port = port;
            this.where = where;
            this.target = target;
        }

        boolean matches(InetAddress a, int p) {
            return a instanceof Inet4Address && (toInt(a) & mask) == network && (port < 0 || port == p);
        }
    }

    private final String file;
    private final List<Match> connects;
    private final List<Match> binds;
    private final List<Match> maps;
    final Map<String, String> settings;

    private Rules(String file, List<Match> connects, List<Match> binds, List<Match> maps, Map<String, String> settings) {
        this.file = file;
        this.connects = connects;
        this.binds = binds;
        this.maps = maps;
        this.settings = settings;
    }

    static Rules parse(String file, List<String> lines) throws ConfigException {
        List<Match> connects = new ArrayList<>();
        List<Match> binds = new ArrayList<>();
        List<Match> maps = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>();
        for (int n = 1; n <= lines.size(); n++) {
            String raw = lines.get(n - 1);
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            String where = "rules file " + file + " line " + n;
            String[] w = line.split("\\s+");
            try {
                if (w.length == 1 && line.contains("=")) {
                    int eq = line.indexOf('=');
                    settings.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                } else if (w.length == 3 && w[0].equals("connect")) {
                    connects.add(cidr(w[1], port(w[2]), where, null));
                } else if (w.length == 3 && w[0].equals("bind")) {
                    binds.add(cidr(w[1], port(w[2]), where, null));
                } else if (w.length == 3 && w[0].equals("map")) {
                    String[] from = hostPort(w[1]);
                    InetAddress comAddr = literal(from[0]);
                    if (!ComAddress.isComNetwork(comAddr)) {
                        throw new IllegalArgumentException(from[0] + " is not a com address (192.168.0.x)");
                    }
                    ComAddress.domainOf(comAddr);
                    String[] to = hostPort(w[2]);
                    InetAddress toAddr = literal(to[0]);
                    if (ComAddress.isComNetwork(toAddr)) {
                        throw new IllegalArgumentException("the target " + w[2] + " is itself a com address");
                    }
                    int toPort = to[1] == null ? -1 : port(to[1]);
                    maps.add(new Match(toInt(comAddr), -1, from[1] == null ? -1 : port(from[1]), where,
                            new InetSocketAddress(toAddr, Math.max(0, toPort))));
                } else {
                    throw new IllegalArgumentException("it is not a rule");
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": '" + line + "' is invalid: " + e.getMessage()
                        + " (expected 'connect ADDRESS[/BITS] PORT|*', 'bind ADDRESS PORT|*', "
                        + "'map COMADDRESS[:PORT] HOST[:PORT]' or key=value)");
            }
        }
        return new Rules(file, Collections.unmodifiableList(connects), Collections.unmodifiableList(binds),
                Collections.unmodifiableList(maps), settings);
    }

    /** Decides how a connect to {@code a:port} goes. */
    Decision connect(InetAddress a, int port) {
        if (!ComAddress.isComNetwork(a)) {
            return new Decision(Route.TCP, a.getHostAddress() + " is outside 192.168.0.0/24", null);
        }
        for (Match m : maps) {
            if (m.network == toInt(a) && (m.port < 0 || m.port == port)) {
                InetSocketAddress t = m.target.getPort() == 0 ? new InetSocketAddress(m.target.getAddress(), port) : m.target;
                return new Decision(Route.MAP, "mapped to TCP " + t.getAddress().getHostAddress() + ":" + t.getPort()
                        + " by " + m.where, t);
            }
        }
        int domain;
        try {
            domain = ComAddress.classify(a);
        } catch (IllegalArgumentException invalid) {
            return new Decision(Route.DENY, invalid.getMessage(), null);
        }
        if (domain == ComAddress.BROADCAST) {
            return new Decision(Route.DENY, "192.168.0.255 is the broadcast address; a stream socket cannot connect to it", null);
        }
        if (connects.isEmpty()) {
            return new Decision(Route.COM, a.getHostAddress() + " is domain " + domain + " of com-socket's network", null);
        }
        for (Match m : connects) {
            if (m.matches(a, port)) {
                return new Decision(Route.COM, a.getHostAddress() + ":" + port + " matches " + m.where, null);
            }
        }
        return new Decision(Route.DENY, "no connect rule of rules file " + file + " covers "
                + a.getHostAddress() + ":" + port, null);
    }

    /** True if a wildcard bind on {@code port} also accepts com-socket connections. */
    boolean wildcardBindsCom(int port) {
        if (binds.isEmpty()) {
            return true;
        }
        for (Match m : binds) {
            if (m.mask == 0 || (m.network == 0 && m.mask == -1)) {
                if (m.port < 0 || m.port == port) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Match cidr(String spec, int port, String where, InetSocketAddress target) {
        int slash = spec.indexOf('/');
        InetAddress a = literal(slash < 0 ? spec : spec.substring(0, slash));
        int bits = 32;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(spec.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > 32) {
                throw new IllegalArgumentException("prefix length /" + spec.substring(slash + 1) + " is not 0..32");
            }
        }
        int mask = bits == 0 ? 0 : -1 << (32 - bits);
        return new Match(toInt(a) & mask, mask, port, where, target);
    }

    private static int port(String s) {
        if (s.equals("*")) {
            return -1;
        }
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("port '" + s + "' is not 0..65535 or *");
    }

    private static String[] hostPort(String s) {
        int colon = s.lastIndexOf(':');
        return colon < 0 ? new String[] {s, null} : new String[] {s.substring(0, colon), s.substring(colon + 1)};
    }

    /** An IPv4 literal; names are refused, so reading the rules never does a DNS lookup. */
    private static InetAddress literal(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v;
            try {
                v = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
            }
            b[i] = (byte) v;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static int toInt(InetAddress a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }
}
