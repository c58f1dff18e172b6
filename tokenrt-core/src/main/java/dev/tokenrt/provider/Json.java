package dev.tokenrt.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** Small readers shared by the codecs: typed access that turns a wrong JSON type into a {@link FormatException}. */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.builder().build();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ArrayNode array() {
        return NODES.arrayNode();
    }

    static boolean present(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull() && !v.isMissingNode();
    }

    static ObjectNode requireObject(JsonNode node, String param) {
        if (node == null || !node.isObject()) {
            throw new FormatException(param, (param.isEmpty() ? "the request body" : "'" + param + "'")
                    + " must be a JSON object");
        }
        return (ObjectNode) node;
    }

    static ArrayNode requireArray(JsonNode node, String param) {
        if (node == null || !node.isArray()) {
            throw new FormatException(param, "'" + param + "' must be an array");
        }
        return (ArrayNode) node;
    }

    static String requireString(JsonNode parent, String field, String param) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            throw new FormatException(param, "'" + param + "' is required");
        }
        if (!v.isTextual()) {
            throw new FormatException(param, "'" + param + "' must be a string");
        }
        return v.asText();
    }

    static Optional<String> optString(JsonNode parent, String field, String param) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new FormatException(param, "'" + param + "' must be a string");
        }
        return Optional.of(v.asText());
    }

    static Optional<Double> optNumber(JsonNode parent, String field, String param) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isNumber()) {
            throw new FormatException(param, "'" + param + "' must be a number");
        }
        return Optional.of(v.asDouble());
    }

    static OptionalInt optNonNegativeInt(JsonNode parent, String field, String param) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return OptionalInt.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new FormatException(param, "'" + param + "' must be a non-negative integer");
        }
        return OptionalInt.of(v.asInt());
    }

    static Optional<Long> optLong(JsonNode parent, String field, String param) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new FormatException(param, "'" + param + "' must be an integer");
        }
        return Optional.of(v.asLong());
    }

    static boolean optBoolean(JsonNode parent, String field, String param) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new FormatException(param, "'" + param + "' must be a boolean");
        }
        return v.asBoolean();
    }

    /** Copies every field of {@code body} not in {@code consumed}: the provider-specific rest of a request. */
    static ObjectNode rest(JsonNode body, Set<String> consumed) {
        ObjectNode extra = object();
        body.properties().forEach(e -> {
            if (!consumed.contains(e.getKey())) {
                extra.set(e.getKey(), e.getValue().deepCopy());
            }
        });
        return extra;
    }

    /** Parses JSON text; empty when it is not valid JSON. */
    static Optional<JsonNode> parse(String text) {
        try {
            return Optional.ofNullable(MAPPER.readTree(text));
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** Parses a JSON text that must be a JSON object. */
    static ObjectNode parseObject(String text, String param) {
        Optional<JsonNode> node = parse(text);
        if (node.isEmpty() || !node.get().isObject()) {
            throw new FormatException(param, "'" + param + "' is not a JSON object");
        }
        return (ObjectNode) node.get();
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /** Reads an event's data as a JSON object, or throws the provider error it carries. */
    static JsonNode readEvent(String data) {
        Optional<JsonNode> node = parse(data);
        if (node.isEmpty() || !node.get().isObject()) {
            throw new ProviderErrorException(502, "invalid_stream_event",
                    "the provider sent a stream event that is not a JSON object: " + abbreviate(data));
        }
        return node.get();
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /**
     * A tool call's arguments as the JSON object Anthropic and Gemini require (OpenAI carries them as text);
     * blank arguments are an empty object.
     */
    static ObjectNode toolArguments(dev.tokenrt.chat.Part.ToolCall c, String whyAnObject) {
        if (c.arguments().isBlank()) {
            return object();
        }
        Optional<JsonNode> parsed = parse(c.arguments());
        if (parsed.isEmpty() || !parsed.get().isObject()) {
            throw new FormatException("messages", "the arguments of tool call '" + c.id()
                    + "' are not a JSON object, which " + whyAnObject);
        }
        return (ObjectNode) parsed.get();
    }
}
