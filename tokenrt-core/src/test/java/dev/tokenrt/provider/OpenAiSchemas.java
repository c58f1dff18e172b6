package dev.tokenrt.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * OpenAI's published OpenAPI 3.1 document as JSON Schema 2020-12, to check that what the OpenAI codec writes
 * is what OpenAI's own clients are generated from. {@code $ref}s resolve inside the document.
 *
 * <p>The document is read with the plain 2020-12 dialect (OpenAPI 3.1's schema language), so its
 * {@code discriminator} hints are annotations and {@code oneOf} decides, as in JSON Schema: the tool-call
 * discriminator has no mapping and would otherwise reject OpenAI's own {@code "type": "function"} calls.
 * One normalisation, stated here because it is the only one: the document still uses OpenAPI 3.0's
 * {@code nullable: true} in places (for example a stream chunk's {@code finish_reason}), which JSON Schema
 * 2020-12 ignores, so a real OpenAI chunk with {@code "finish_reason": null} would fail. Before loading,
 * every {@code nullable: true} next to a {@code type} is rewritten to the 3.1 spelling
 * ({@code type: [T, "null"]}, and null added to an {@code enum}), which is what the authors meant.
 */
final class OpenAiSchemas {

    private static final String BASE = "https://openapi.invalid/openai.json";
    private static final SchemaRegistry REGISTRY;

    static {
        // the validator warns about every OpenAPI keyword that is not JSON Schema (paths, x-oaiMeta): not news
        System.setProperty("org.slf4j.simpleLogger.log.com.networknt.schema", "error");
        try {
            JsonNode doc = new YAMLMapper().readTree(Fixtures.path("openapi/openai-openapi.yaml").toFile());
            rewriteNullable(doc);
            String json = Fixtures.JSON.writeValueAsString(doc);
            REGISTRY = SchemaRegistry.withDialect(Dialects.getDraft202012(),
                    builder -> builder.schemas(uri -> uri.equals(BASE) ? json : null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private OpenAiSchemas() {
    }

    static final Schema RESPONSE = schema("CreateChatCompletionResponse");
    static final Schema CHUNK = schema("CreateChatCompletionStreamResponse");
    static final Schema ERROR = schema("ErrorResponse");

    private static Schema schema(String component) {
        return REGISTRY.getSchema(SchemaLocation.of(BASE + "#/components/schemas/" + component));
    }

    static List<String> errors(Schema schema, JsonNode instance) {
        List<Error> errors = schema.validate(instance);
        return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
    }

    private static void rewriteNullable(JsonNode node) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            if (o.path("nullable").asBoolean(false) && o.path("type").isTextual()) {
                String type = o.get("type").asText();
                o.putArray("type").add(type).add("null");
                if (o.path("enum").isArray()) {
                    ((com.fasterxml.jackson.databind.node.ArrayNode) o.get("enum")).addNull();
                }
                o.remove("nullable");
            }
            o.forEach(OpenAiSchemas::rewriteNullable);
        } else if (node.isArray()) {
            node.forEach(OpenAiSchemas::rewriteNullable);
        }
    }
}
