package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.OptionalLong;

/**
 * Reads token counts out of provider JSON with one set of rules, so every format rejects the same bad input
 * (negative, fractional, textual or out-of-range figures) with a message that names the offending field.
 * Jackson gives us the tree; the validation of counts is ours because no library knows what a token count is.
 */
final class JsonCounts {

    private JsonCounts() {
    }

    /** The count at {@code parent.field}; empty when the field is absent or JSON null. */
    static OptionalLong count(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull() || value.isMissingNode()) {
            return OptionalLong.empty();
        }
        String where = path + "." + field;
        if (!value.isIntegralNumber()) {
            throw new IllegalArgumentException(where + " must be a non-negative integer, was "
                    + describe(value));
        }
        if (!value.canConvertToLong()) {
            throw new IllegalArgumentException(where + " is out of range: " + value.asText());
        }
        long count = value.longValue();
        if (count < 0) {
            throw new IllegalArgumentException(where + " cannot be negative, was " + count);
        }
        return OptionalLong.of(count);
    }

    /** The count at {@code parent.field}, or zero when the provider left it out. */
    static long countOrZero(JsonNode parent, String field, String path) {
        return count(parent, field, path).orElse(0);
    }

    /** The count at {@code parent.field}, failing when it is absent. */
    static long required(JsonNode parent, String field, String path) {
        return count(parent, field, path).orElseThrow(
                () -> new IllegalArgumentException(path + "." + field + " is missing"));
    }

    /** The object at {@code parent.field}, or a missing node when absent or null (so lookups on it stay empty). */
    static JsonNode object(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return MissingNode.getInstance();
        }
        if (!value.isObject()) {
            throw new IllegalArgumentException(path + "." + field + " must be an object, was " + describe(value));
        }
        return value;
    }

    /** True when {@code node} holds any of the fields with a non-null value. */
    static boolean hasAny(JsonNode node, String... fields) {
        for (String field : fields) {
            JsonNode value = node.get(field);
            if (value != null && !value.isNull()) {
                return true;
            }
        }
        return false;
    }

    static void requireObject(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(what + " must be a JSON object, was "
                    + (node == null ? "absent" : describe(node)));
        }
    }

    private static String describe(JsonNode value) {
        String text = value.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return value.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
    }
}
