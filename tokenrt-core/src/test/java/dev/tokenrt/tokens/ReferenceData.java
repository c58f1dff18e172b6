package dev.tokenrt.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads the reference data under src/test/resources/dev/tokenrt/tokens (sources in its NOTICE.md). */
final class ReferenceData {

    static final List<String> ENCODINGS = List.of("o200k_base", "cl100k_base", "p50k_base", "r50k_base");
    static final ObjectMapper JSON = new ObjectMapper();

    /** One row of a JTokkit reference CSV: the text and the ids tiktoken's encode_ordinary gives. */
    record EncodingCase(String encoding, int line, String text, int[] ids) {
        @Override
        public String toString() {
            return encoding + " line " + line + ": " + (text.length() > 40 ? text.substring(0, 40) + "…" : text);
        }
    }

    private ReferenceData() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = ReferenceData.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String name) {
        try {
            return JSON.readTree(bytes(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<EncodingCase> encodingCases(String encoding) {
        String csv = new String(bytes("jtokkit/" + encoding + "_encodings.csv"), StandardCharsets.UTF_8);
        List<List<String>> rows = parseCsv(csv);
        List<EncodingCase> cases = new ArrayList<>();
        for (int i = 1; i < rows.size(); i++) {
            List<String> row = rows.get(i);
            if (row.size() != 3) {
                throw new IllegalStateException(encoding + " row " + i + " has " + row.size() + " fields");
            }
            cases.add(new EncodingCase(encoding, i + 1, row.get(0), ids(row.get(1))));
        }
        return cases;
    }

    static List<EncodingCase> allEncodingCases() {
        return ENCODINGS.stream().flatMap(e -> encodingCases(e).stream()).toList();
    }

    private static int[] ids(String list) {
        String inner = list.strip();
        inner = inner.substring(1, inner.length() - 1).strip();
        if (inner.isEmpty()) {
            return new int[0];
        }
        return Arrays.stream(inner.split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
    }

    /** RFC 4180: fields separated by commas, optionally quoted, a doubled quote inside quotes is a quote. */
    static List<List<String>> parseCsv(String csv) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < csv.length(); i++) {
            char c = csv.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
                    i++;
                }
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                field.append(c);
            }
        }
        if (!field.isEmpty() || !row.isEmpty()) {
            row.add(field.toString());
            rows.add(row);
        }
        return rows;
    }
}
