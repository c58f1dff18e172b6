package dev.tokenrt.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recorded provider responses under {@code dev/tokenrt/testkit/fixtures/} (sources and licences in the
 * NOTICE next to them), loaded once and handed out as copies so that a reply can be edited freely.
 */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();

    private static final String BASE = "/dev/tokenrt/testkit/fixtures/";
    private static final Map<String, ObjectNode> BODIES = new ConcurrentHashMap<>();
    private static final Map<String, List<SseFrame>> STREAMS = new ConcurrentHashMap<>();

    private Fixtures() {
    }

    /** A recorded JSON body, e.g. {@code openai/chat-ok.json}; a fresh copy every call. */
    static ObjectNode body(String name) {
        return BODIES.computeIfAbsent(name, n -> (ObjectNode) parse(read(n))).deepCopy();
    }

    /** A recorded stream, e.g. {@code anthropic/messages-ok.sse}, as frames. */
    static List<SseFrame> stream(String name) {
        return STREAMS.computeIfAbsent(name, n -> SseFrame.parse(read(n)));
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private static String read(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + BASE + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
