package dev.tokenrt.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One provider's wire format: how it checks a request, and how each scenario looks in it. Hand-written
 * because the point is to reproduce the providers' bytes, and the bytes come from recorded fixtures.
 */
abstract sealed class Wire permits OpenAiWire, AnthropicWire, GeminiWire {

    /** The provider's own answer to a body that is not JSON. */
    abstract Reply malformed(String problem);

    /** A 400 in the provider's format, for a request the fake cannot play (an unknown scenario). */
    abstract Reply invalid(String message);

    /** Checks keys, headers and required fields; a reply when the request must be refused. */
    abstract Optional<Reply> validate(Incoming in);

    /** The reply for a valid request under a scenario. */
    abstract Reply answer(Scenario scenario, Incoming in, int syntheticChunks);

    /** Words of synthetic answers: plain, one token each in every tokenizer we know. */
    static final String[] SYNTHETIC_WORDS = {"The", " quick", " brown", " fox", " jumps", " over", " the", " lazy",
        " dog", "."};

    static String syntheticWord(int i) {
        return SYNTHETIC_WORDS[i % SYNTHETIC_WORDS.length];
    }

    static String syntheticText(int chunks) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            sb.append(syntheticWord(i));
        }
        return sb.toString();
    }

    static Reply.Body body(int status, ObjectNode json, Map<String, String> extraHeaders, boolean broken) {
        Map<String, String> headers = new java.util.HashMap<>(extraHeaders);
        headers.put("content-type", "application/json");
        return new Reply.Body(status, headers, Fixtures.write(json), broken);
    }

    static Reply.Stream sse(List<SseFrame> frames, Map<String, String> extraHeaders, boolean broken) {
        Map<String, String> headers = new java.util.HashMap<>(extraHeaders);
        headers.put("content-type", "text/event-stream; charset=utf-8");
        headers.put("cache-control", "no-cache");
        List<String> pieces = new ArrayList<>(frames.size());
        for (SseFrame f : frames) {
            pieces.add(f.wire());
        }
        return new Reply.Stream(200, headers, pieces, broken);
    }

    static boolean nonBlankText(JsonNode node) {
        return node != null && node.isTextual() && !node.asText().isBlank();
    }
}
