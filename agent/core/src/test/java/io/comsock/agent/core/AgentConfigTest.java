package io.comsock.agent.core;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    @TempDir
    Path dir;

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void argumentsBeatPropertiesBeatEnvironmentBeatTheFile() throws Exception {
        Path rules = dir.resolve("r");
        Files.writeString(rules, "domain=9\nlog=debug\nprovider=shm\n");
        AgentConfig c = AgentConfig.load("rules=" + rules + ",domain=1", Map.of("comsock.domain", "2", "comsock.log", "info"),
                Map.of("COMSOCK_DOMAIN", "3", "COMSOCK_DIR", "/tmp/x"));
        assertEquals(1, c.domain);
        assertEquals(Log.Level.INFO, c.log);
        assertEquals(Path.of("/tmp/x"), c.dir);
        assertEquals("shm", c.provider);
        assertEquals("1 (agent argument)", c.sources.get("domain"));
        assertEquals("shm (rules file " + rules + ")", c.sources.get("provider"));
        assertEquals(9, AgentConfig.load("rules=" + rules, Map.of(), Map.of()).domain);
    }

    @Test
    void everyBadValueIsNamed() {
        assertMessage("domain=x", "domain=x is invalid (expected an integer 0..252)");
        assertMessage("domain=253", "domain=253 is invalid (expected an integer 0..252)");
        assertMessage("domain=1,enabled=maybe", "enabled=maybe is invalid (expected true or false)");
        assertMessage("domain=1,bogus=1", "unknown key 'bogus' (value '1') in the agent arguments (expected one of domain, dir, provider, rules, enabled, log)");
        assertMessage("domain", "agent argument 'domain' is not key=value (expected comma-separated pairs such as domain=3,log=info)");
        assertMessage("provider=shm,log=info", "domain is not set (expected domain=N with N in 0..252: the agent argument, comsock.domain or COMSOCK_DOMAIN)");
    }

    @Test
    void withoutTheModuleAutoNeedsADomainAndKernelIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(io.comsock.bridge.kernel.KernelSupport.available(), "module loaded here");
        ConfigException e = assertThrows(ConfigException.class,
                () -> Provider.claim(AgentConfig.load("log=off", Map.of(), Map.of())));
        assertTrue(e.getMessage().startsWith("domain is not set"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Provider.claim(AgentConfig.load("provider=kernel", Map.of(), Map.of())));
        assertEquals("provider=kernel cannot be used: the AF_COM module is not loaded (no /proc/net/comsock) "
                + "(expected the comsock module loaded, or provider=shm)", e.getMessage());
    }

    @Test
    void aMisspeltSystemPropertyIsNamedNotIgnored() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.load("", Map.of("comsock.domian", "3"), Map.of()));
        assertEquals("unknown system property comsock.domian=3 (expected one of comsock.domain, comsock.dir, "
                + "comsock.provider, comsock.rules, comsock.enabled, comsock.log)", e.getMessage());
    }

    @Test
    void otherEnvironmentVariablesOfTheSameFamilyAreLeftAlone() throws Exception {
        // COMSOCK_ names serve the project's scripts too
        assertEquals(3, AgentConfig.load("", Map.of(), Map.of("COMSOCK_DOMAIN", "3", "COMSOCK_E2E_OUT", "/tmp")).domain);
    }

    @Test
    void disabledNeedsNoDomain() throws Exception {
        assertFalse(AgentConfig.load("enabled=false", Map.of(), Map.of()).enabled);
    }

    private static void assertMessage(String args, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.load(args, Map.of(), Map.of()));
        assertEquals(message, e.getMessage());
    }

    @Test
    void defaultRulesRouteTheComNetworkOnly() throws Exception {
        Rules r = Rules.DEFAULT;
        assertEquals(Rules.Route.COM, r.connect(ip("192.168.0.5"), 80).route);
        assertEquals(Rules.Route.TCP, r.connect(ip("127.0.0.1"), 80).route);
        assertEquals(Rules.Route.TCP, r.connect(ip("192.168.1.5"), 80).route);
        assertEquals(Rules.Route.DENY, r.connect(ip("192.168.0.255"), 80).route);
        assertEquals(Rules.Route.DENY, r.connect(ip("192.168.0.1"), 80).route);
        assertTrue(r.wildcardBindsCom(8080));
    }

    @Test
    void rulesNarrowMapAndBind() throws Exception {
        Rules r = Rules.parse("f", List.of("# comment", "connect 192.168.0.0/30 *  # domains 0 and 1",
                "connect 192.168.0.9 8080", "map 192.168.0.20:443 127.0.0.1:8443", "map 192.168.0.21 127.0.0.2",
                "bind 0.0.0.0 9000", "", "domain=4"));
        assertEquals(Rules.Route.COM, r.connect(ip("192.168.0.2"), 1).route);
        assertEquals(Rules.Route.COM, r.connect(ip("192.168.0.3"), 1).route);
        assertEquals(Rules.Route.DENY, r.connect(ip("192.168.0.4"), 1).route);
        assertEquals(Rules.Route.COM, r.connect(ip("192.168.0.9"), 8080).route);
        assertEquals(Rules.Route.DENY, r.connect(ip("192.168.0.9"), 8081).route);
        Rules.Decision m = r.connect(ip("192.168.0.20"), 443);
        assertEquals(Rules.Route.MAP, m.route);
        assertEquals("127.0.0.1:8443", m.target.getAddress().getHostAddress() + ":" + m.target.getPort());
        assertEquals(Rules.Route.DENY, r.connect(ip("192.168.0.20"), 80).route);
        assertEquals(8080, r.connect(ip("192.168.0.21"), 8080).target.getPort());
        assertTrue(r.wildcardBindsCom(9000));
        assertFalse(r.wildcardBindsCom(9001));
        assertEquals("4", r.settings.get("domain"));
    }

    @Test
    void badRuleLinesAreNamedWithTheirLine() {
        String[][] bad = {
            {"conect 192.168.0.5 80", "it is not a rule"},
            {"connect 192.168.0.5 99999", "port '99999' is not 0..65535 or *"},
            {"connect 192.168.0.0/40 *", "prefix length /40 is not 0..32"},
            {"connect example.org *", "'example.org' is not an IPv4 address"},
            {"map 10.0.0.1 127.0.0.1:80", "10.0.0.1 is not a com address (192.168.0.x)"},
            {"map 192.168.0.9 192.168.0.10:80", "the target 192.168.0.10:80 is itself a com address"},
        };
        for (String[] b : bad) {
            ConfigException e = assertThrows(ConfigException.class, () -> Rules.parse("f", List.of("", b[0])));
            assertTrue(e.getMessage().startsWith("rules file f line 2: '" + b[0] + "' is invalid: " + b[1]), e.getMessage());
        }
    }
}
