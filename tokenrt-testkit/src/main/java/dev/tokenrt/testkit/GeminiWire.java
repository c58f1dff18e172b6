package dev.tokenrt.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gemini's generateContent and streamGenerateContent. The key is taken from {@code x-goog-api-key} or the
 * {@code key} query parameter; a request with neither gets Google's 403 {@code PERMISSION_DENIED}, as the
 * real API answers. Streams are server-sent events with {@code alt=sse}, and a streamed JSON array without
 * it, as Google sends them. The model, named in the path, is echoed in {@code modelVersion}.
 */
final class GeminiWire extends Wire {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static ObjectNode error(int code, String status, String message) {
        ObjectNode root = NODES.objectNode();
        root.putObject("error").put("code", code).put("message", message).put("status", status);
        return root;
    }

    @Override
    Reply malformed(String problem) {
        return body(400, error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. " + problem), Map.of(), false);
    }

    @Override
    Reply invalid(String message) {
        return body(400, error(400, "INVALID_ARGUMENT", message), Map.of(), false);
    }

    @Override
    Optional<Reply> validate(Incoming in) {
        boolean keyed = in.header("x-goog-api-key").filter(k -> !k.isBlank()).isPresent()
                || !in.query().getOrDefault("key", "").isBlank();
        if (!keyed) {
            return Optional.of(body(403, error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers "
                    + "(callers without established identity). Please use API Key or other form of API consumer "
                    + "identity to call this API."), Map.of(), false));
        }
        JsonNode contents = in.body().get("contents");
        if (contents == null || !contents.isArray() || contents.isEmpty()) {
            return Optional.of(body(400, error(400, "INVALID_ARGUMENT",
                    "* GenerateContentRequest.contents: contents is not specified\n"), Map.of(), false));
        }
        return Optional.empty();
    }

    @Override
    Reply answer(Scenario scenario, Incoming in, int syntheticChunks) {
        switch (scenario.kind()) {
            case RATE_LIMIT -> {
                return body(429, Fixtures.body("gemini/rate-limit.json"), Map.of("retry-after", "1"), false);
            }
            case SERVER_ERROR -> {
                int status = scenario.intArgument().orElse(500);
                ObjectNode body = status == 500
                        ? error(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                                + "https://developers.generativeai.google/guide/troubleshooting")
                        : error(status, "UNAVAILABLE", "The model is overloaded. Please try again later.");
                return body(status, body, Map.of(), false);
            }
            default -> {
                // answered below
            }
        }
        String model = in.model();
        boolean broken = scenario.kind() == Scenario.Kind.BROKEN_STREAM;
        boolean stripUsage = scenario.kind() == Scenario.Kind.NO_USAGE;
        boolean synthetic = scenario.kind() == Scenario.Kind.SYNTHETIC;
        if (!in.streamRequested()) {
            String name = switch (scenario.kind()) {
                case TOOL_CALL -> "generate-tool-call";
                case CACHED -> "generate-cached";
                default -> "generate-ok";
            };
            ObjectNode body = synthetic ? syntheticFrames(syntheticText(syntheticChunks), syntheticChunks).getLast()
                    : Fixtures.body("gemini/" + name + ".json");
            edit(body, model, stripUsage);
            return body(200, body, Map.of(), broken);
        }
        List<ObjectNode> events = new ArrayList<>();
        if (synthetic) {
            events.addAll(syntheticFrames(null, syntheticChunks));
        } else if (scenario.kind() == Scenario.Kind.CACHED) {
            events.add(Fixtures.body("gemini/generate-cached.json")); // one event is a whole stream
        } else {
            String name = scenario.kind() == Scenario.Kind.TOOL_CALL ? "stream-tool-call" : "stream-ok";
            for (SseFrame f : Fixtures.stream("gemini/" + name + ".sse")) {
                events.add((ObjectNode) Fixtures.parse(f.data()));
            }
        }
        for (ObjectNode e : events) {
            edit(e, model, stripUsage);
        }
        if ("sse".equals(in.query().get("alt"))) {
            List<SseFrame> frames = new ArrayList<>(events.size());
            for (ObjectNode e : events) {
                frames.add(SseFrame.data(Fixtures.write(e)));
            }
            return sse(frames, Map.of(), broken);
        }
        // Without alt=sse Google streams one JSON array, element by element.
        List<String> pieces = new ArrayList<>(events.size() + 1);
        for (int i = 0; i < events.size(); i++) {
            pieces.add((i == 0 ? "[" : ",\r\n") + Fixtures.write(events.get(i)));
        }
        pieces.add("]");
        Map<String, String> headers = new HashMap<>();
        headers.put("content-type", "application/json; charset=UTF-8");
        return new Reply.Stream(200, headers, pieces, broken);
    }

    private static void edit(ObjectNode response, String model, boolean stripUsage) {
        response.put("modelVersion", model);
        if (stripUsage) {
            response.remove("usageMetadata");
        }
    }

    /**
     * Synthetic events: one word each, the last with {@code finishReason} and a fixed small usage
     * (10 prompt tokens, one a chunk). With {@code wholeText} a single event carrying it all.
     */
    private static List<ObjectNode> syntheticFrames(String wholeText, int chunks) {
        List<ObjectNode> out = new ArrayList<>();
        int n = wholeText == null ? chunks : 1;
        for (int i = 0; i < n; i++) {
            ObjectNode e = NODES.objectNode();
            ArrayNode candidates = e.putArray("candidates");
            ObjectNode candidate = candidates.addObject();
            ObjectNode content = candidate.putObject("content");
            content.putArray("parts").addObject().put("text", wholeText == null ? syntheticWord(i) : wholeText);
            content.put("role", "model");
            if (i == n - 1) {
                candidate.put("finishReason", "STOP");
                e.putObject("usageMetadata").put("promptTokenCount", 10).put("candidatesTokenCount", chunks)
                        .put("totalTokenCount", 10 + chunks);
            }
            out.add(e);
        }
        return out;
    }
}
