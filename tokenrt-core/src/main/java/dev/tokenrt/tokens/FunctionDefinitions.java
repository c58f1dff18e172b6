package dev.tokenrt.tokens;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders function (tool) definitions the way OpenAI writes them into the prompt: a TypeScript-like
 * {@code namespace functions}, one {@code type name = (_: {...}) => any;} per function, top-level property
 * descriptions as {@code //} comments. The layout is the one hmarr/openai-chat-tokens reverse-engineered from the API
 * and niieani/gpt-tokenizer keeps (both MIT); this is our own code for that documented layout.
 */
final class FunctionDefinitions {

    private FunctionDefinitions() {
    }

    /** Each node is a function definition: {@code {name, description?, parameters?}}. */
    static String render(List<JsonNode> functions) {
        StringBuilder sb = new StringBuilder("namespace functions {\n\n");
        for (JsonNode fn : functions) {
            String description = text(fn.get("description"));
            if (!description.isEmpty()) {
                sb.append("// ").append(description).append('\n');
            }
            String name = text(fn.get("name"));
            JsonNode parameters = fn.get("parameters");
            JsonNode properties = parameters == null ? null : parameters.get("properties");
            if (properties == null || !properties.isObject() || properties.isEmpty()) {
                sb.append("type ").append(name).append(" = () => any;\n");
            } else {
                sb.append("type ").append(name).append(" = (_: {\n");
                sb.append(objectProperties(parameters, 0)).append('\n');
                sb.append("}) => any;\n");
            }
            sb.append('\n');
        }
        return sb.append("} // namespace functions").toString();
    }

    /** One line per property, {@code name?: type,} (no {@code ?} when required), descriptions above when shallow. */
    private static String objectProperties(JsonNode object, int indent) {
        JsonNode properties = object.get("properties");
        if (properties == null || !properties.isObject()) {
            return "";
        }
        Set<String> required = new HashSet<>();
        JsonNode req = object.get("required");
        if (req != null && req.isArray()) {
            req.forEach(r -> required.add(r.asText()));
        }
        String pad = " ".repeat(indent);
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, JsonNode> e : properties.properties()) {
            JsonNode param = e.getValue();
            String description = text(param.get("description"));
            // OpenAI keeps descriptions of top-level properties only (the API's counts show nested ones are dropped).
            if (!description.isEmpty() && indent < 2) {
                line(sb).append(pad).append("// ").append(description);
            }
            line(sb).append(pad).append(e.getKey()).append(required.contains(e.getKey()) ? "" : "?")
                    .append(": ").append(type(param, indent)).append(',');
        }
        return sb.toString();
    }

    private static StringBuilder line(StringBuilder sb) {
        return sb.isEmpty() ? sb : sb.append('\n');
    }

    private static String type(JsonNode param, int indent) {
        JsonNode enumValues = param.get("enum");
        boolean hasEnum = enumValues != null && enumValues.isArray();
        return switch (text(param.get("type"))) {
            case "string" -> hasEnum ? join(enumValues, true) : "string";
            case "integer", "number" -> hasEnum ? join(enumValues, false) : "number";
            case "boolean" -> "boolean";
            case "null" -> "null";
            case "array" -> {
                JsonNode items = param.get("items");
                yield items != null && items.isObject() ? type(items, indent) + "[]" : "any[]";
            }
            case "object" -> "{\n" + objectProperties(param, indent + 2) + "\n" + " ".repeat(indent) + "}";
            default -> "any";
        };
    }

    /** String enums are written as JSON strings, number enums as numbers, joined with {@code |}. */
    private static String join(JsonNode values, boolean asJson) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode v : values) {
            if (!sb.isEmpty()) {
                sb.append(" | ");
            }
            if (asJson) {
                sb.append(v.toString());
            } else if (v.isIntegralNumber() || (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                    && !Double.isInfinite(v.doubleValue()))) {
                sb.append(v.isIntegralNumber() ? v.bigIntegerValue().toString() : Long.toString((long) v.doubleValue()));
            } else {
                sb.append(v.asText());
            }
        }
        return sb.toString();
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? "" : n.asText();
    }
}
