package dev.tokenrt.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic's Messages API. Requests need {@code x-api-key} and {@code anthropic-version} headers and a body
 * with {@code model}, {@code max_tokens} and {@code messages}, as the real API demands; errors use
 * Anthropic's {@code {"type":"error","error":{"type","message"}}} shape.
 */
final class AnthropicWire extends Wire {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static ObjectNode error(String type, String message) {
        ObjectNode root = NODES.objectNode();
        root.put("type", "error");
        root.putObject("error").put("type", type).put("message", message);
        return root;
    }

    private static Map<String, String> requestId(Incoming in) {
        return Map.of("request-id", "req_fake_" + in.serial());
    }

    @Override
    Reply malformed(String problem) {
        return body(400, error("invalid_request_error", "There was an issue with the JSON body: " + problem),
                Map.of(), false);
    }

    @Override
    Reply invalid(String message) {
        return body(400, error("invalid_request_error", message), Map.of(), false);
    }

    @Override
    Optional<Reply> validate(Incoming in) {
        if (in.header("x-api-key").filter(k -> !k.isBlank()).isEmpty()) {
            return Optional.of(body(401, error("authentication_error", "x-api-key header is required"), requestId(in),
                    false));
        }
        if (in.header("anthropic-version").filter(v -> !v.isBlank()).isEmpty()) {
            return Optional.of(body(400, error("invalid_request_error", "anthropic-version: header is required"),
                    requestId(in), false));
        }
        ObjectNode b = in.body();
        if (!nonBlankText(b.get("model"))) {
            return Optional.of(body(400, error("invalid_request_error", "model: Field required"), requestId(in), false));
        }
        JsonNode max = b.get("max_tokens");
        if (max == null || !max.isIntegralNumber()) {
            return Optional.of(body(400, error("invalid_request_error", "max_tokens: Field required"), requestId(in),
                    false));
        }
        if (max.asLong() < 1) {
            return Optional.of(body(400, error("invalid_request_error", "max_tokens: Input should be greater than or "
                    + "equal to 1"), requestId(in), false));
        }
        JsonNode messages = b.get("messages");
        if (messages == null || !messages.isArray()) {
            return Optional.of(body(400, error("invalid_request_error", "messages: Field required"), requestId(in),
                    false));
        }
        return Optional.empty();
    }

    @Override
    Reply answer(Scenario scenario, Incoming in, int syntheticChunks) {
        switch (scenario.kind()) {
            case RATE_LIMIT -> {
                return body(429, Fixtures.body("anthropic/rate-limit.json"),
                        Map.of("retry-after", "1", "request-id", "req_fake_" + in.serial()), false);
            }
            case SERVER_ERROR -> {
                int status = scenario.intArgument().orElse(500);
                ObjectNode body = status == 529 || status == 503 ? error("overloaded_error", "Overloaded")
                        : error("api_error", "Internal server error");
                return body(status, body, requestId(in), false);
            }
            default -> {
                // answered below
            }
        }
        String model = in.model();
        boolean broken = scenario.kind() == Scenario.Kind.BROKEN_STREAM;
        boolean stripUsage = scenario.kind() == Scenario.Kind.NO_USAGE;
        String name = switch (scenario.kind()) {
            case TOOL_CALL -> "messages-tool-call";
            case CACHED -> "messages-cached";
            default -> "messages-ok";
        };
        boolean synthetic = scenario.kind() == Scenario.Kind.SYNTHETIC;
        if (!in.streamRequested()) {
            ObjectNode body = synthetic ? syntheticBody(syntheticChunks, in.serial())
                    : Fixtures.body("anthropic/" + name + ".json");
            body.put("model", model);
            if (stripUsage) {
                body.remove("usage");
            }
            return body(200, body, requestId(in), broken);
        }
        List<SseFrame> recorded = synthetic ? syntheticStream(syntheticChunks, in.serial())
                : Fixtures.stream("anthropic/" + name + ".sse");
        List<SseFrame> frames = new ArrayList<>(recorded.size());
        for (SseFrame frame : recorded) {
            String type = frame.event().orElse("");
            if (type.equals("message_start") || (stripUsage && type.equals("message_delta"))) {
                ObjectNode event = (ObjectNode) Fixtures.parse(frame.data());
                if (type.equals("message_start")) {
                    ((ObjectNode) event.path("message")).put("model", model);
                }
                if (stripUsage) {
                    event.remove("usage");
                    if (event.path("message").isObject()) {
                        ((ObjectNode) event.get("message")).remove("usage");
                    }
                }
                frames.add(SseFrame.named(type, Fixtures.write(event)));
            } else {
                frames.add(frame);
            }
        }
        return sse(frames, requestId(in), broken);
    }

    /** A fixed small usage: 10 input tokens, one output token a chunk. */
    private static ObjectNode syntheticBody(int chunks, long serial) {
        ObjectNode body = NODES.objectNode();
        body.put("id", "msg_fake" + serial);
        body.put("type", "message");
        body.put("role", "assistant");
        body.put("model", "");
        body.putArray("content").addObject().put("type", "text").put("text", syntheticText(chunks));
        body.put("stop_reason", "end_turn");
        body.putNull("stop_sequence");
        body.putObject("usage").put("input_tokens", 10).put("output_tokens", chunks);
        return body;
    }

    private static List<SseFrame> syntheticStream(int chunks, long serial) {
        List<SseFrame> frames = new ArrayList<>(chunks + 6);
        frames.add(SseFrame.named("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake" + serial
                + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"\",\"content\":[],\"stop_reason\":null,"
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}"));
        frames.add(SseFrame.named("content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
        for (int i = 0; i < chunks; i++) {
            ObjectNode delta = NODES.objectNode().put("type", "text_delta").put("text", syntheticWord(i));
            frames.add(SseFrame.named("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                    + Fixtures.write(delta) + "}"));
        }
        frames.add(SseFrame.named("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        frames.add(SseFrame.named("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + chunks + "}}"));
        frames.add(SseFrame.named("message_stop", "{\"type\":\"message_stop\"}"));
        return frames;
    }
}
