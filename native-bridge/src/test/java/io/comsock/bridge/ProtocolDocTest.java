package io.comsock.bridge;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md and {@link RegionLayout} describe the same bytes. */
class ProtocolDocTest {
    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z_]+)` \\| (\\d+) \\|");

    @Test
    void everyOffsetAndTypeInTheDocumentMatchesTheCode() throws Exception {
        Path doc = Path.of(System.getProperty("user.dir")).resolve("../docs/PROTOCOL.md").normalize();
        List<String> lines = Files.readAllLines(doc);
        int checked = 0;
        for (String line : lines) {
            Matcher m = ROW.matcher(line);
            if (!m.find()) {
                continue;
            }
            Field f = RegionLayout.class.getDeclaredField(m.group(1));
            assertEquals(f.getInt(null), Integer.parseInt(m.group(2)), m.group(1) + " in " + doc);
            checked++;
        }
        // header 18, slot 4, lane 3, descriptor 7, types 9
        assertEquals(41, checked, "rows found in " + doc);
    }
}
