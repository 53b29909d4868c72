package io.comsock.bridge;

import static io.comsock.bridge.RegionLayout.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/PROTOCOL.md and the code describe the same bytes: each name's number, each field's type
 * (as {@link RegionLayout} declares it and as every access in the code reads or writes it), the
 * fields of each structure side by side within its size, and the sizes in the drawing.
 */
class ProtocolDocTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path DOC = ROOT.resolve("docs/PROTOCOL.md");
    private static final Path MAIN = ROOT.resolve("native-bridge/src/main/java/io/comsock/bridge");
    /** A table row: name, number, and the third cell (a field's type; other text for types). */
    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z_]+)` \\| (\\d+) \\| ([^|]*)\\|");
    private static final Pattern FIELD_TYPE = Pattern.compile("u(8|16|32|64)");
    /** A constant with the type in its comment, in RegionLayout.java. */
    private static final Pattern DECLARED = Pattern.compile("static final int ([A-Z_]+) = \\d+; +// (u\\d+)");
    /** The start of an access with a width: a VarHandle call or a ByteBuffer get or put. */
    private static final Pattern ACCESS = Pattern.compile("\\b(I32|I64)\\.\\w+\\(|\\.(get|put)(Int|Long)\\(");
    private static final Pattern FIELD_NAME = Pattern.compile("\\b[HSLD]_[A-Z_]+\\b");

    /** Rows of the document, in order: name to {number, third cell}. */
    private static Map<String, String[]> rows() throws IOException {
        Map<String, String[]> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DOC)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                rows.put(m.group(1), new String[] {m.group(2), m.group(3).trim()});
            }
        }
        return rows;
    }

    /** The fields among the rows (those with a type): name to size in bytes. */
    private static Map<String, Integer> fields() throws IOException {
        Map<String, Integer> fields = new LinkedHashMap<>();
        rows().forEach((name, row) -> {
            Matcher t = FIELD_TYPE.matcher(row[1]);
            if (t.matches()) {
                fields.put(name, Integer.parseInt(t.group(1)) / 8);
            }
        });
        return fields;
    }

    @Test
    void everyNameHasItsNumberInTheCode() throws Exception {
        Map<String, String[]> rows = rows();
        for (Map.Entry<String, String[]> r : rows.entrySet()) {
            Field f = RegionLayout.class.getDeclaredField(r.getKey());
            assertEquals(f.getInt(null), Integer.parseInt(r.getValue()[0]), r.getKey() + " in " + DOC);
        }
        // header 18, slot 4, lane 3, descriptor 7, types 9
        assertEquals(41, rows.size(), "rows found in " + DOC);
        assertEquals(32, fields().size(), "rows with a type in " + DOC);
    }

    @Test
    void everyFieldHasItsTypeInTheCodeAndIsAccessedWithThatWidth() throws Exception {
        Map<String, Integer> fields = fields();
        Map<String, Integer> declared = new TreeMap<>();
        Matcher d = DECLARED.matcher(Files.readString(MAIN.resolve("RegionLayout.java")));
        while (d.find()) {
            declared.put(d.group(1), Integer.parseInt(d.group(2).substring(1)) / 8);
        }
        for (Map.Entry<String, Integer> f : fields.entrySet()) {
            assertEquals(f.getValue(), declared.get(f.getKey()), f.getKey() + ": bytes in " + DOC + " and RegionLayout");
        }
        Map<String, Integer> accesses = new TreeMap<>();
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN)) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String code = Files.readString(file);
                Matcher a = ACCESS.matcher(code);
                while (a.find()) {
                    int bytes = "I32".equals(a.group(1)) || "Int".equals(a.group(3)) ? 4 : 8;
                    Matcher n = FIELD_NAME.matcher(arguments(code, a.end()));
                    while (n.find()) {
                        Integer documented = fields.get(n.group());
                        if (documented == null) {
                            continue;
                        }
                        accesses.merge(n.group(), 1, Integer::sum);
                        if (documented != bytes) {
                            wrong.add(file.getFileName() + ": " + n.group() + " accessed as " + bytes + " bytes");
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
        // the doorbell word is handed to Doorbell as an offset; every other field is accessed by name
        List<String> neverAccessed = new ArrayList<>(fields.keySet());
        neverAccessed.removeAll(accesses.keySet());
        assertEquals(List.of("H_DOORBELL"), neverAccessed, "accesses found: " + accesses);
    }

    /** The text of a call's arguments, from just after its opening parenthesis. */
    private static String arguments(String code, int from) {
        int depth = 1;
        for (int i = from; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return code.substring(from, i);
            }
        }
        throw new AssertionError("unbalanced call at " + from);
    }

    @Test
    void theFieldsOfEachStructureLieSideBySideWithinItsSize() throws Exception {
        Map<String, Integer> structures = Map.of("H_", HEADER_SIZE, "S_", SLOT_SIZE, "L_", LANE_HEADER, "D_", DESC_SIZE);
        Map<String, Integer> fields = fields();
        for (Map.Entry<String, Integer> s : structures.entrySet()) {
            TreeMap<Integer, String> byOffset = new TreeMap<>();
            for (String name : fields.keySet()) {
                if (name.startsWith(s.getKey())) {
                    byOffset.put(RegionLayout.class.getDeclaredField(name).getInt(null), name);
                }
            }
            assertFalse(byOffset.isEmpty(), s.getKey());
            int end = 0;
            for (Map.Entry<Integer, String> f : byOffset.entrySet()) {
                assertTrue(f.getKey() >= end, f.getValue() + " at " + f.getKey() + " overlaps the field before it");
                assertEquals(0, f.getKey() % fields.get(f.getValue()), f.getValue() + " is aligned to its size");
                end = f.getKey() + fields.get(f.getValue());
            }
            assertTrue(end <= s.getValue(), s.getKey() + " fields end at " + end + ", past " + s.getValue());
        }
    }

    @Test
    void theDrawingAndTheSectionsGiveTheCodesSizes() throws Exception {
        String doc = Files.readString(DOC);
        for (String said : List.of(
                "header, " + HEADER_SIZE + " bytes",
                "slots x " + SLOT_SIZE + " bytes",
                "lanes x (" + LANE_HEADER + " + laneCapacity x " + DESC_SIZE + ") bytes",
                "blocks x " + BLOCK_SIZE + " bytes",
                "size           = blocksOffset + blocks x " + BLOCK_SIZE,
                "### Connection slot (" + SLOT_SIZE + " bytes",
                "`lane + " + LANE_HEADER + " + (k mod laneCapacity) x " + DESC_SIZE + "`",
                "a power of two, " + MIN_BLOCKS + ".." + MAX_BLOCKS)) {
            assertTrue(doc.contains(said), "'" + said + "' in " + DOC);
        }
    }
}
