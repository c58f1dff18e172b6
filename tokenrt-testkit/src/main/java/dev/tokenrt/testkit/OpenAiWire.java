package dev.tokenrt.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OpenAI's chat completions, embeddings and models endpoints. Streams follow OpenAI's rule that the usage
 * chunk (empty {@code choices}) is sent only when the request asked for it with
 * {@code stream_options.include_usage}, so the gateway's own request is checked for that too.
 */
final class OpenAiWire extends Wire {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static ObjectNode error(String message, String type, String param, String code) {
        ObjectNode error = NODES.objectNode();
        error.put("message", message);
        error.put("type", type);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        ObjectNode root = NODES.objectNode();
        root.set("error", error);
        return root;
    }

    private static Map<String, String> requestId(Incoming in) {
        return Map.of("x-request-id", "req_fake_" + in.serial());
    }

    @Override
    Reply malformed(String problem) {
        return body(400, error("We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                + "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
                + "valid JSON.) " + problem, "invalid_request_error", null, null), Map.of(), false);
    }

    @Override
    Reply invalid(String message) {
        return body(400, error(message, "invalid_request_error", null, null), Map.of(), false);
    }

    @Override
    Optional<Reply> validate(Incoming in) {
        String auth = in.header("authorization").orElse("");
        if (!auth.startsWith("Bearer ") || auth.substring(7).isBlank()) {
            return Optional.of(body(401, error("You didn't provide an API key. You need to provide your API key in an "
                    + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    "invalid_request_error", null, null), requestId(in), false));
        }
        if (in.route() == Route.OPENAI_MODELS) {
            return Optional.empty();
        }
        ObjectNode b = in.body();
        if (!nonBlankText(b.get("model"))) {
            return Optional.of(body(400, error("you must provide a model parameter", "invalid_request_error", null,
                    null), requestId(in), false));
        }
        String required = in.route() == Route.OPENAI_EMBEDDINGS ? "input" : "messages";
        JsonNode field = b.get(required);
        boolean ok = in.route() == Route.OPENAI_EMBEDDINGS
                ? field != null && (field.isTextual() || (field.isArray() && !field.isEmpty()))
                : field != null && field.isArray() && !field.isEmpty();
        if (!ok) {
            return Optional.of(body(400, error("Missing required parameter: '" + required + "'.",
                    "invalid_request_error", required, "missing_required_parameter"), requestId(in), false));
        }
        return Optional.empty();
    }

    @Override
    Reply answer(Scenario scenario, Incoming in, int syntheticChunks) {
        Optional<Reply> failure = failure(scenario, in);
        if (failure.isPresent()) {
            return failure.get();
        }
        return switch (in.route()) {
            case OPENAI_MODELS -> body(200, models(), requestId(in), scenario.kind() == Scenario.Kind.BROKEN_STREAM);
            case OPENAI_EMBEDDINGS -> embeddings(scenario, in);
            default -> chat(scenario, in, syntheticChunks);
        };
    }

    private Optional<Reply> failure(Scenario scenario, Incoming in) {
        return switch (scenario.kind()) {
            case RATE_LIMIT -> Optional.of(body(429, Fixtures.body("openai/rate-limit.json"),
                    Map.of("retry-after", "1", "x-request-id", "req_fake_" + in.serial(),
                            "x-ratelimit-remaining-requests", "0"), false));
            case SERVER_ERROR -> {
                int status = scenario.intArgument().orElse(500);
                ObjectNode body = switch (status) {
                    case 500 -> Fixtures.body("openai/server-error.json");
                    case 503 -> error("The server is overloaded or not ready yet.", "server_error", null, null);
                    default -> error("Bad gateway.", "server_error", null, null);
                };
                yield Optional.of(body(status, body, requestId(in), false));
            }
            default -> Optional.empty();
        };
    }

    private Reply chat(Scenario scenario, Incoming in, int syntheticChunks) {
        String model = in.model();
        boolean broken = scenario.kind() == Scenario.Kind.BROKEN_STREAM;
        boolean stripUsage = scenario.kind() == Scenario.Kind.NO_USAGE;
        String name = switch (scenario.kind()) {
            case TOOL_CALL -> "chat-tool-call";
            case CACHED -> "chat-cached";
            default -> "chat-ok";
        };
        if (!in.streamRequested()) {
            ObjectNode body = scenario.kind() == Scenario.Kind.SYNTHETIC
                    ? syntheticBody(model, syntheticChunks, in.serial())
                    : Fixtures.body("openai/" + name + ".json");
            body.put("model", model);
            if (stripUsage) {
                body.remove("usage");
            }
            return body(200, body, requestId(in), broken);
        }
        boolean includeUsage = in.body().path("stream_options").path("include_usage").asBoolean(false) && !stripUsage;
        if (scenario.kind() == Scenario.Kind.SYNTHETIC) {
            return sse(syntheticStream(model, syntheticChunks, in.serial(), includeUsage), requestId(in), broken);
        }
        List<SseFrame> recorded = Fixtures.stream("openai/" + name + ".sse");
        List<SseFrame> frames = new ArrayList<>(recorded.size());
        for (SseFrame frame : recorded) {
            if (frame.data().equals("[DONE]")) {
                frames.add(frame);
                continue;
            }
            ObjectNode chunk = (ObjectNode) Fixtures.parse(frame.data());
            chunk.put("model", model);
            if (!includeUsage) {
                chunk.remove("usage");
                if (chunk.path("choices").isEmpty()) {
                    continue; // the usage chunk, which OpenAI sends only when asked
                }
            }
            frames.add(SseFrame.data(Fixtures.write(chunk)));
        }
        return sse(frames, requestId(in), broken);
    }

    private static ObjectNode syntheticBody(String model, int chunks, long serial) {
        ObjectNode body = NODES.objectNode();
        body.put("id", "chatcmpl-fake" + serial);
        body.put("object", "chat.completion");
        body.put("created", 1_700_000_000L);
        body.put("model", model);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", syntheticText(chunks));
        message.putNull("refusal");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        body.set("usage", syntheticUsage(chunks));
        return body;
    }

    /** A fixed small usage: 10 prompt tokens, one completion token a chunk. */
    private static ObjectNode syntheticUsage(int chunks) {
        ObjectNode usage = NODES.objectNode();
        usage.put("prompt_tokens", 10);
        usage.put("completion_tokens", chunks);
        usage.put("total_tokens", 10 + chunks);
        return usage;
    }

    /** Written as text, not through a tree: this is the load-test path. */
    private static List<SseFrame> syntheticStream(String model, int chunks, long serial, boolean includeUsage) {
        String head = "{\"id\":\"chatcmpl-fake" + serial + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":" + Fixtures.write(NODES.textNode(model)) + ",\"choices\":";
        List<SseFrame> frames = new ArrayList<>(chunks + 4);
        frames.add(SseFrame.data(head + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}"));
        for (int i = 0; i < chunks; i++) {
            ObjectNode delta = NODES.objectNode().put("content", syntheticWord(i));
            frames.add(SseFrame.data(head + "[{\"index\":0,\"delta\":" + Fixtures.write(delta)
                    + ",\"logprobs\":null,\"finish_reason\":null}]}"));
        }
        frames.add(SseFrame.data(head + "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}"));
        if (includeUsage) {
            frames.add(SseFrame.data(head + "[],\"usage\":" + Fixtures.write(syntheticUsage(chunks)) + "}"));
        }
        frames.add(SseFrame.data("[DONE]"));
        return frames;
    }

    private Reply embeddings(Scenario scenario, Incoming in) {
        ObjectNode recorded = Fixtures.body("openai/embeddings.json");
        JsonNode input = in.body().get("input");
        int n = input.isArray() ? input.size() : 1;
        ArrayNode data = (ArrayNode) recorded.get("data");
        ArrayNode out = NODES.arrayNode();
        for (int i = 0; i < n; i++) {
            ObjectNode item = data.get(i % data.size()).deepCopy();
            item.put("index", i);
            out.add(item);
        }
        recorded.set("data", out);
        recorded.put("model", in.model());
        if (scenario.kind() == Scenario.Kind.NO_USAGE) {
            recorded.remove("usage");
        }
        return body(200, recorded, requestId(in), scenario.kind() == Scenario.Kind.BROKEN_STREAM);
    }

    private static ObjectNode models() {
        ObjectNode list = NODES.objectNode();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String id : new String[] {"gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "text-embedding-3-small"}) {
            data.addObject().put("id", id).put("object", "model").put("created", 1_715_367_049L)
                    .put("owned_by", "system");
        }
        return list;
    }
}
