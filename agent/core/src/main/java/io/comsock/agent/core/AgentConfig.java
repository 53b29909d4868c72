package io.comsock.agent.core;

import io.comsock.bridge.ComAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's settings. Each key may come from four places; the first that has it wins:
 * <ol>
 * <li>the agent arguments, {@code key=value} pairs separated by commas;</li>
 * <li>the system property {@code comsock.<key>};</li>
 * <li>the environment variable {@code COMSOCK_<KEY>};</li>
 * <li>a {@code key=value} line of the rules file (itself named by one of the first three).</li>
 * </ol>
 * Every value is checked; a bad one is a {@link ConfigException} with a one-line message.
 */
public final class AgentConfig {
    static final List<String> KEYS = List.of("domain", "dir", "provider", "rules", "enabled", "log");

    public final boolean enabled;
    public final int domain;
    public final Path dir;
    public final String provider;
    public final Log.Level log;
    public final Rules rules;
    /** Where each setting came from, for the info log. */
    final Map<String, String> sources = new LinkedHashMap<>();

    private AgentConfig(boolean enabled, int domain, Path dir, String provider, Log.Level log, Rules rules) {
        this.enabled = enabled;
        this.domain = domain;
        this.dir = dir;
        this.provider = provider;
        this.log = log;
        this.rules = rules;
    }

    /** Reads the configuration from the agent arguments, then properties, environment and file. */
    public static AgentConfig load(String agentArgs, Map<String, String> properties, Map<String, String> env)
            throws ConfigException {
        Map<String, String> args = parseArgs(agentArgs);
        for (Map.Entry<String, String> p : properties.entrySet()) {
            // a misspelt property would otherwise be silently ignored (an environment variable
            // is not checked: COMSOCK_ names serve scripts too)
            if (p.getKey().startsWith("comsock.") && !KEYS.contains(p.getKey().substring("comsock.".length()))) {
                throw new ConfigException("unknown system property " + p.getKey() + "=" + p.getValue() + " (expected one of comsock."
                        + String.join(", comsock.", KEYS) + ")");
            }
        }
        Map<String, String[]> found = new LinkedHashMap<>();
        for (String key : KEYS) {
            if (args.containsKey(key)) {
                found.put(key, new String[] {args.get(key), "agent argument"});
            } else if (properties.get("comsock." + key) != null) {
                found.put(key, new String[] {properties.get("comsock." + key), "system property comsock." + key});
            } else if (env.get("COMSOCK_" + key.toUpperCase(Locale.ROOT)) != null) {
                found.put(key, new String[] {env.get("COMSOCK_" + key.toUpperCase(Locale.ROOT)),
                        "environment COMSOCK_" + key.toUpperCase(Locale.ROOT)});
            }
        }
        Rules rules = Rules.DEFAULT;
        if (found.containsKey("rules")) {
            Path file = Paths.get(found.get("rules")[0]);
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("rules=" + file + " cannot be read (" + e.getClass().getSimpleName()
                        + (e.getMessage() != null ? ": " + e.getMessage() : "") + "); expected a readable rules file");
            }
            rules = Rules.parse(file.toString(), lines);
            for (Map.Entry<String, String> kv : rules.settings.entrySet()) {
                if (!KEYS.contains(kv.getKey()) || kv.getKey().equals("rules")) {
                    throw new ConfigException("rules file " + file + ": unknown key '" + kv.getKey() + "' (value '"
                            + kv.getValue() + "'; expected one of domain, dir, provider, enabled, log)");
                }
                found.putIfAbsent(kv.getKey(), new String[] {kv.getValue(), "rules file " + file});
            }
        }
        boolean enabled = bool("enabled", value(found, "enabled", "true"));
        Log.Level log = level(value(found, "log", "off"));
        String provider = value(found, "provider", "auto");
        if (!List.of("shm", "kernel", "auto").contains(provider)) {
            throw new ConfigException("provider=" + provider + " is invalid (expected shm, kernel or auto)");
        }
        Path dir = Paths.get(value(found, "dir", "/dev/shm/comsock"));
        int domain = -1;
        String d = value(found, "domain", null);
        if (enabled && d == null && provider.equals("shm")) {
            throw domainNotSet();
        }
        if (enabled && d != null) {
            try {
                domain = Integer.parseInt(d.trim());
            } catch (NumberFormatException e) {
                domain = -1;
            }
            if (domain < 0 || domain > ComAddress.MAX_DOMAIN) {
                throw new ConfigException("domain=" + d + " is invalid (expected an integer 0.." + ComAddress.MAX_DOMAIN + ")");
            }
        }
        AgentConfig c = new AgentConfig(enabled, domain, dir, provider, log, rules);
        for (Map.Entry<String, String[]> e : found.entrySet()) {
            c.sources.put(e.getKey(), e.getValue()[0] + " (" + e.getValue()[1] + ")");
        }
        return c;
    }

    /** The domain is required unless the kernel provider takes it from the network namespace. */
    static ConfigException domainNotSet() {
        return new ConfigException("domain is not set (expected domain=N with N in 0.." + ComAddress.MAX_DOMAIN
                + ": the agent argument, comsock.domain or COMSOCK_DOMAIN)");
    }

    private static String value(Map<String, String[]> found, String key, String dflt) {
        String[] v = found.get(key);
        return v == null ? dflt : v[0].trim();
    }

    static Map<String, String> parseArgs(String agentArgs) throws ConfigException {
        Map<String, String> out = new LinkedHashMap<>();
        if (agentArgs == null || agentArgs.isBlank()) {
            return out;
        }
        for (String part : agentArgs.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("agent argument '" + part.trim() + "' is not key=value (expected "
                        + "comma-separated pairs such as domain=3,log=info)");
            }
            String key = part.substring(0, eq).trim();
            if (!KEYS.contains(key)) {
                throw new ConfigException("unknown key '" + key + "' (value '" + part.substring(eq + 1).trim()
                        + "') in the agent arguments (expected one of " + String.join(", ", KEYS) + ")");
            }
            out.put(key, part.substring(eq + 1).trim());
        }
        return out;
    }

    private static boolean bool(String key, String v) throws ConfigException {
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(key + "=" + v + " is invalid (expected true or false)");
    }

    private static Log.Level level(String v) throws ConfigException {
        try {
            return Log.Level.valueOf(v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("log=" + v + " is invalid (expected off, info or debug)");
        }
    }
}
