package dev.tokenrt.provider.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;

/**
 * Minimal arguments that satisfy a tool's JSON schema: every required property filled with a value of its
 * type (an enum's first value, a string derived from the property name, 1, true, an empty array or a
 * nested minimal object); optional properties left out. Hand-written because no JSON-schema library is a
 * dependency of core and the fake only needs the smallest valid instance, not validation.
 */
final class FakeToolArguments {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FakeToolArguments() {
    }

    /** The arguments as compact JSON text, as a model would emit them. */
    static String forSchema(JsonNode schema, String seed) {
        JsonNode value = instance(schema, "value", seed, 0);
        if (!value.isObject()) {
            // Tool arguments are always an object; a schema that is not one gets an empty object.
            value = NODES.objectNode();
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serialises", e);
        }
    }

    private static JsonNode instance(JsonNode schema, String name, String seed, int depth) {
        if (schema == null || !schema.isObject() || depth > 8) {
            return NODES.objectNode();
        }
        JsonNode constant = schema.get("const");
        if (constant != null) {
            return constant.deepCopy();
        }
        JsonNode enumeration = schema.get("enum");
        if (enumeration != null && enumeration.isArray() && !enumeration.isEmpty()) {
            return enumeration.get(0).deepCopy();
        }
        for (String combinator : new String[] {"anyOf", "oneOf", "allOf"}) {
            JsonNode options = schema.get(combinator);
            if (options != null && options.isArray() && !options.isEmpty()) {
                return instance(firstNonNull(options), name, seed, depth + 1);
            }
        }
        String type = type(schema.get("type"), schema);
        return switch (type) {
            case "string" -> NODES.textNode(name + "-" + seed);
            case "integer" -> NODES.numberNode(schema.path("minimum").asLong(1));
            case "number" -> NODES.numberNode(schema.path("minimum").asDouble(1.5));
            case "boolean" -> NODES.booleanNode(true);
            case "null" -> NODES.nullNode();
            case "array" -> array(schema, name, seed, depth);
            default -> object(schema, seed, depth);
        };
    }

    private static JsonNode firstNonNull(JsonNode options) {
        for (JsonNode option : options) {
            if (!"null".equals(option.path("type").asText())) {
                return option;
            }
        }
        return options.get(0);
    }

    private static String type(JsonNode type, JsonNode schema) {
        if (type != null && type.isTextual()) {
            return type.asText();
        }
        if (type != null && type.isArray()) {
            for (JsonNode t : type) {
                if (!"null".equals(t.asText())) {
                    return t.asText();
                }
            }
        }
        return schema.has("items") ? "array" : "object";
    }

    private static JsonNode array(JsonNode schema, String name, String seed, int depth) {
        ArrayNode array = NODES.arrayNode();
        int min = schema.path("minItems").asInt(0);
        for (int i = 0; i < min; i++) {
            array.add(instance(schema.get("items"), name, seed, depth + 1));
        }
        return array;
    }

    private static JsonNode object(JsonNode schema, String seed, int depth) {
        ObjectNode object = NODES.objectNode();
        JsonNode properties = schema.path("properties");
        JsonNode required = schema.path("required");
        for (Iterator<JsonNode> it = required.elements(); it.hasNext(); ) {
            String property = it.next().asText();
            object.set(property, instance(properties.get(property), property, seed, depth + 1));
        }
        return object;
    }
}
