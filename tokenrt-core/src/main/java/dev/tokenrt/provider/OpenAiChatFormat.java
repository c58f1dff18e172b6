package dev.tokenrt.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.chat.ToolChoice;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageParser;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The OpenAI chat completions format ({@code POST /v1/chat/completions}), also spoken by most
 * OpenAI-compatible providers (DeepSeek, Groq, Mistral, xAI, Azure).
 *
 * <p>Documented normalisations of a round trip (client → neutral → same format): {@code developer} becomes
 * {@code system}; legacy {@code functions}/{@code function_call} become {@code tools}/{@code tool_choice};
 * {@code max_tokens} is written as the configured output-cap field (default {@code max_completion_tokens},
 * which OpenAI's reasoning models require); a single {@code stop} string becomes a list; content that is one
 * text part is written as a plain string; an image's {@code detail: "auto"} (the default) is omitted;
 * numbers compare numerically (1 and 1.0). Requests with {@code n > 1} are refused, because the neutral model
 * has one choice. Reasoning text (DeepSeek's and xAI's {@code reasoning_content}, Groq's {@code reasoning},
 * Mistral's thinking chunks) is read as thinking and given to OpenAI clients as {@code reasoning_content} in
 * responses and stream deltas (a field OpenAI's own clients ignore); it is never sent upstream again.
 */
public final class OpenAiChatFormat implements WireFormat {

    /** The output-cap field written upstream by default: the one every current OpenAI model accepts. */
    public static final String DEFAULT_MAX_TOKENS_FIELD = "max_completion_tokens";

    private static final Set<String> CONSUMED = Set.of("model", "messages", "tools", "functions", "tool_choice",
            "function_call", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed",
            "response_format", "stream", "stream_options", "user");

    private final Clock clock;
    private final String maxTokensField;

    public OpenAiChatFormat() {
        this(Clock.systemUTC(), DEFAULT_MAX_TOKENS_FIELD);
    }

    /**
     * @param clock          source of {@code created} when the neutral response has none worth keeping
     * @param maxTokensField {@code max_completion_tokens} (OpenAI) or {@code max_tokens} (older compatible servers)
     */
    public OpenAiChatFormat(Clock clock, String maxTokensField) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!maxTokensField.equals("max_completion_tokens") && !maxTokensField.equals("max_tokens")) {
            throw new IllegalArgumentException("maxTokensField must be max_completion_tokens or max_tokens");
        }
        this.maxTokensField = maxTokensField;
    }

    @Override
    public String id() {
        return OPENAI_CHAT;
    }

    // ---------------------------------------------------------------- requests

    @Override
    public ChatRequest parseRequest(JsonNode body) {
        ObjectNode req = Json.requireObject(body, "");
        String model = Json.requireString(req, "model", "model");
        ArrayNode rawMessages = Json.requireArray(req.get("messages"), "messages");
        if (rawMessages.isEmpty()) {
            throw new FormatException("messages", "'messages' must contain at least one message");
        }
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < rawMessages.size(); i++) {
            messages.add(parseMessage(rawMessages.get(i), "messages[" + i + "]"));
        }
        ObjectNode extra = Json.rest(req, CONSUMED);
        if (req.path("n").isNumber() && req.path("n").asInt() > 1) {
            throw new FormatException("n", "'n' greater than 1 is not supported: ask for one choice per request");
        }
        List<Tool> tools = new ArrayList<>();
        ArrayNode passthroughTools = Json.array();
        if (Json.present(req, "tools")) {
            ArrayNode rawTools = Json.requireArray(req.get("tools"), "tools");
            for (int i = 0; i < rawTools.size(); i++) {
                String p = "tools[" + i + "]";
                ObjectNode t = Json.requireObject(rawTools.get(i), p);
                String type = Json.optString(t, "type", p + ".type").orElse("function");
                if (!type.equals("function")) {
                    passthroughTools.add(t.deepCopy());
                    continue;
                }
                tools.add(parseFunction(Json.requireObject(t.get("function"), p + ".function"), p + ".function"));
            }
        }
        if (Json.present(req, "functions")) {
            ArrayNode rawFunctions = Json.requireArray(req.get("functions"), "functions");
            for (int i = 0; i < rawFunctions.size(); i++) {
                String p = "functions[" + i + "]";
                tools.add(parseFunction(Json.requireObject(rawFunctions.get(i), p), p));
            }
        }
        if (!passthroughTools.isEmpty()) {
            extra.set("tools", passthroughTools);
        }
        Optional<ToolChoice> toolChoice = Json.present(req, "tool_choice")
                ? Optional.of(parseToolChoice(req.get("tool_choice"), "tool_choice"))
                : Json.present(req, "function_call")
                        ? Optional.of(parseToolChoice(req.get("function_call"), "function_call"))
                        : Optional.empty();
        var maxTokens = Json.optNonNegativeInt(req, "max_completion_tokens", "max_completion_tokens");
        if (maxTokens.isEmpty()) {
            maxTokens = Json.optNonNegativeInt(req, "max_tokens", "max_tokens");
        }
        List<String> stop = new ArrayList<>();
        JsonNode rawStop = req.get("stop");
        if (rawStop != null && !rawStop.isNull()) {
            if (rawStop.isTextual()) {
                stop.add(rawStop.asText());
            } else if (rawStop.isArray()) {
                for (int i = 0; i < rawStop.size(); i++) {
                    if (!rawStop.get(i).isTextual()) {
                        throw new FormatException("stop[" + i + "]", "'stop[" + i + "]' must be a string");
                    }
                    stop.add(rawStop.get(i).asText());
                }
            } else {
                throw new FormatException("stop", "'stop' must be a string or an array of strings");
            }
        }
        Optional<JsonNode> responseFormat = Optional.empty();
        if (Json.present(req, "response_format")) {
            responseFormat = Optional.of(Json.requireObject(req.get("response_format"), "response_format").deepCopy());
        }
        boolean stream = Json.optBoolean(req, "stream", "stream");
        boolean includeUsage = false;
        if (Json.present(req, "stream_options")) {
            ObjectNode options = Json.requireObject(req.get("stream_options"), "stream_options");
            includeUsage = Json.optBoolean(options, "include_usage", "stream_options.include_usage");
            ObjectNode otherOptions = Json.rest(options, Set.of("include_usage"));
            if (!otherOptions.isEmpty()) {
                extra.set("stream_options", otherOptions);
            }
        }
        return new ChatRequest(model, messages, tools, toolChoice, maxTokens,
                Json.optNumber(req, "temperature", "temperature"), Json.optNumber(req, "top_p", "top_p"), stop,
                Json.optLong(req, "seed", "seed"), responseFormat, stream, includeUsage,
                Json.optString(req, "user", "user").orElse(""), OPENAI_CHAT, extra);
    }

    private static Tool parseFunction(ObjectNode f, String p) {
        String name = Json.requireString(f, "name", p + ".name");
        String description = Json.optString(f, "description", p + ".description").orElse("");
        JsonNode parameters = Json.present(f, "parameters")
                ? Json.requireObject(f.get("parameters"), p + ".parameters").deepCopy()
                : Json.object();
        return new Tool(name, description, parameters);
    }

    private static ToolChoice parseToolChoice(JsonNode node, String p) {
        if (node.isTextual()) {
            return switch (node.asText()) {
                case "auto" -> new ToolChoice.Auto();
                case "none" -> new ToolChoice.None();
                case "required" -> new ToolChoice.Required();
                default -> throw new FormatException(p, "'" + p + "' must be auto, none, required or a named function");
            };
        }
        ObjectNode o = Json.requireObject(node, p);
        if (o.has("function")) {
            return new ToolChoice.Named(
                    Json.requireString(Json.requireObject(o.get("function"), p + ".function"), "name",
                            p + ".function.name"));
        }
        if (o.has("name")) {
            return new ToolChoice.Named(Json.requireString(o, "name", p + ".name"));
        }
        throw new FormatException(p, "'" + p + "' names no function; only function tool choices are supported");
    }

    private static Message parseMessage(JsonNode node, String p) {
        ObjectNode m = Json.requireObject(node, p);
        String role = Json.requireString(m, "role", p + ".role");
        String name = Json.optString(m, "name", p + ".name").orElse("");
        return switch (role) {
            case "system", "developer" -> new Message(Role.SYSTEM, textParts(m.get("content"), p + ".content"), name);
            case "user" -> new Message(Role.USER, userParts(m.get("content"), p + ".content"), name);
            case "assistant" -> {
                List<Part> parts = new ArrayList<>();
                JsonNode reasoning = m.get("reasoning_content");
                if (reasoning != null && reasoning.isTextual() && !reasoning.asText().isEmpty()) {
                    parts.add(new Part.Thinking(reasoning.asText(), ""));
                }
                if (Json.present(m, "content")) {
                    parts.addAll(textParts(m.get("content"), p + ".content"));
                }
                if (Json.present(m, "tool_calls")) {
                    ArrayNode calls = Json.requireArray(m.get("tool_calls"), p + ".tool_calls");
                    for (int i = 0; i < calls.size(); i++) {
                        String cp = p + ".tool_calls[" + i + "]";
                        ObjectNode call = Json.requireObject(calls.get(i), cp);
                        ObjectNode fn = Json.requireObject(call.get("function"), cp + ".function");
                        parts.add(new Part.ToolCall(Json.requireString(call, "id", cp + ".id"),
                                Json.requireString(fn, "name", cp + ".function.name"),
                                Json.optString(fn, "arguments", cp + ".function.arguments").orElse("")));
                    }
                }
                if (Json.present(m, "function_call")) {
                    throw new FormatException(p + ".function_call",
                            "legacy assistant 'function_call' messages are not supported; use 'tool_calls'");
                }
                yield new Message(Role.ASSISTANT, parts, name);
            }
            case "tool" -> {
                String id = Json.requireString(m, "tool_call_id", p + ".tool_call_id");
                String content = joinText(textParts(m.get("content"), p + ".content"));
                yield new Message(Role.TOOL, List.of(new Part.ToolResult(id, content, false)), name);
            }
            case "function" -> throw new FormatException(p + ".role",
                    "legacy 'function' messages are not supported; use 'tool' messages with a tool_call_id");
            default -> throw new FormatException(p + ".role", "unknown role '" + role + "'");
        };
    }

    private static String joinText(List<Part> parts) {
        StringBuilder sb = new StringBuilder();
        for (Part part : parts) {
            if (part instanceof Part.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }

    /** Content that may only hold text: a string, or an array of text (or refusal) parts. */
    private static List<Part> textParts(JsonNode content, String p) {
        if (content == null || content.isNull()) {
            return List.of();
        }
        if (content.isTextual()) {
            return List.of(new Part.Text(content.asText()));
        }
        ArrayNode arr = Json.requireArray(content, p);
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String pp = p + "[" + i + "]";
            ObjectNode part = Json.requireObject(arr.get(i), pp);
            String type = Json.requireString(part, "type", pp + ".type");
            switch (type) {
                case "text" -> parts.add(new Part.Text(Json.requireString(part, "text", pp + ".text")));
                case "refusal" -> parts.add(new Part.Text(Json.requireString(part, "refusal", pp + ".refusal")));
                default -> throw new FormatException(pp + ".type", "content part type '" + type
                        + "' is not allowed here; only text parts are");
            }
        }
        return parts;
    }

    private static List<Part> userParts(JsonNode content, String p) {
        if (content == null || content.isNull()) {
            throw new FormatException(p, "'" + p + "' is required");
        }
        if (content.isTextual()) {
            return List.of(new Part.Text(content.asText()));
        }
        ArrayNode arr = Json.requireArray(content, p);
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String pp = p + "[" + i + "]";
            ObjectNode part = Json.requireObject(arr.get(i), pp);
            String type = Json.requireString(part, "type", pp + ".type");
            switch (type) {
                case "text" -> parts.add(new Part.Text(Json.requireString(part, "text", pp + ".text")));
                case "image_url" -> {
                    JsonNode image = part.get("image_url");
                    if (image != null && image.isTextual()) {
                        parts.add(new Part.Image(image.asText(), "auto"));
                    } else {
                        ObjectNode img = Json.requireObject(image, pp + ".image_url");
                        parts.add(new Part.Image(Json.requireString(img, "url", pp + ".image_url.url"),
                                Json.optString(img, "detail", pp + ".image_url.detail").orElse("auto")));
                    }
                }
                default -> throw new FormatException(pp + ".type",
                        "content part type '" + type + "' is not supported; use text and image_url parts");
            }
        }
        return parts;
    }

    @Override
    public ObjectNode writeRequest(ChatRequest req, String upstreamModel) {
        ObjectNode out = Json.object();
        out.put("model", upstreamModel);
        ArrayNode messages = out.putArray("messages");
        for (Message m : req.messages()) {
            writeMessage(m, messages);
        }
        boolean sameFormat = OPENAI_CHAT.equals(req.sourceFormat());
        if (!req.tools().isEmpty() || (sameFormat && req.extra().has("tools"))) {
            ArrayNode tools = out.putArray("tools");
            for (Tool t : req.tools()) {
                ObjectNode fn = tools.addObject().put("type", "function").putObject("function");
                fn.put("name", t.name());
                if (!t.description().isEmpty()) {
                    fn.put("description", t.description());
                }
                if (!t.parameters().isEmpty()) {
                    fn.set("parameters", t.parameters().deepCopy());
                }
            }
            if (sameFormat && req.extra().path("tools").isArray()) {
                req.extra().get("tools").forEach(t -> tools.add(t.deepCopy()));
            }
        }
        req.toolChoice().ifPresent(tc -> out.set("tool_choice", toolChoice(tc)));
        req.maxTokens().ifPresent(n -> out.put(maxTokensField, n));
        req.temperature().ifPresent(t -> out.put("temperature", t));
        req.topP().ifPresent(t -> out.put("top_p", t));
        if (!req.stop().isEmpty()) {
            ArrayNode stop = out.putArray("stop");
            req.stop().forEach(stop::add);
        }
        req.seed().ifPresent(s -> out.put("seed", s));
        req.responseFormat().ifPresent(rf -> out.set("response_format", rf.deepCopy()));
        if (req.stream()) {
            out.put("stream", true);
            ObjectNode options = out.putObject("stream_options");
            if (sameFormat && req.extra().path("stream_options").isObject()) {
                options.setAll((ObjectNode) req.extra().get("stream_options").deepCopy());
            }
            // always ask for usage upstream: the pipeline settles on it; the client's choice is req.includeUsage()
            options.put("include_usage", true);
        }
        if (!req.user().isEmpty()) {
            out.put("user", req.user());
        }
        if (sameFormat) {
            req.extra().properties().forEach(e -> {
                if (!out.has(e.getKey()) && !e.getKey().equals("tools") && !e.getKey().equals("stream_options")) {
                    out.set(e.getKey(), e.getValue().deepCopy());
                }
            });
        }
        return out;
    }

    private static JsonNode toolChoice(ToolChoice tc) {
        return switch (tc) {
            case ToolChoice.Auto a -> Json.NODES.textNode("auto");
            case ToolChoice.None n -> Json.NODES.textNode("none");
            case ToolChoice.Required r -> Json.NODES.textNode("required");
            case ToolChoice.Named named -> {
                ObjectNode o = Json.object().put("type", "function");
                o.putObject("function").put("name", named.name());
                yield o;
            }
        };
    }

    private static void writeMessage(Message m, ArrayNode out) {
        switch (m.role()) {
            case SYSTEM -> {
                ObjectNode o = out.addObject().put("role", "system");
                setTextContent(o, m.parts());
                if (!m.name().isEmpty()) {
                    o.put("name", m.name());
                }
            }
            case USER -> {
                List<Part> content = new ArrayList<>();
                for (Part part : m.parts()) {
                    if (part instanceof Part.ToolResult r) {
                        writeToolResult(r, out);
                    } else {
                        content.add(part);
                    }
                }
                if (!content.isEmpty()) {
                    ObjectNode o = out.addObject().put("role", "user");
                    if (content.size() == 1 && content.get(0) instanceof Part.Text t) {
                        o.put("content", t.text());
                    } else {
                        ArrayNode arr = o.putArray("content");
                        for (Part part : content) {
                            switch (part) {
                                case Part.Text t -> arr.addObject().put("type", "text").put("text", t.text());
                                case Part.Image img -> {
                                    ObjectNode url = arr.addObject().put("type", "image_url").putObject("image_url");
                                    url.put("url", img.url());
                                    if (!img.detail().equals("auto")) {
                                        url.put("detail", img.detail());
                                    }
                                }
                                default -> {
                                    // tool calls and thinking do not belong in a user turn; OpenAI has no place for them
                                }
                            }
                        }
                    }
                    if (!m.name().isEmpty()) {
                        o.put("name", m.name());
                    }
                }
            }
            case ASSISTANT -> {
                ObjectNode o = out.addObject().put("role", "assistant");
                StringBuilder text = new StringBuilder();
                ArrayNode calls = Json.array();
                boolean hasText = false;
                for (Part part : m.parts()) {
                    switch (part) {
                        case Part.Text t -> {
                            text.append(t.text());
                            hasText = true;
                        }
                        case Part.ToolCall c -> {
                            ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
                            call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
                        }
                        default -> {
                            // earlier reasoning is not sent back (OpenAI-compatible servers reject or ignore it);
                            // images and tool results are not assistant content in OpenAI's format
                        }
                    }
                }
                if (hasText) {
                    o.put("content", text.toString());
                } else {
                    o.putNull("content");
                }
                if (!calls.isEmpty()) {
                    o.set("tool_calls", calls);
                }
                if (!m.name().isEmpty()) {
                    o.put("name", m.name());
                }
            }
            case TOOL -> {
                for (Part part : m.parts()) {
                    if (part instanceof Part.ToolResult r) {
                        writeToolResult(r, out);
                    }
                }
            }
        }
    }

    private static void writeToolResult(Part.ToolResult r, ArrayNode out) {
        out.addObject().put("role", "tool").put("tool_call_id", r.toolCallId()).put("content", r.content());
    }

    private static void setTextContent(ObjectNode o, List<Part> parts) {
        List<String> texts = new ArrayList<>();
        for (Part part : parts) {
            if (part instanceof Part.Text t) {
                texts.add(t.text());
            }
        }
        if (texts.size() == 1) {
            o.put("content", texts.get(0));
        } else {
            ArrayNode arr = o.putArray("content");
            texts.forEach(t -> arr.addObject().put("type", "text").put("text", t));
        }
    }

    // ---------------------------------------------------------------- responses

    @Override
    public ParsedResponse parseResponse(JsonNode body) {
        ObjectNode res = Json.requireObject(body, "");
        throwIfError(res);
        JsonNode choice = res.path("choices").path(0);
        JsonNode message = choice.path("message");
        List<Part> content = new ArrayList<>();
        String reasoning = message.path("reasoning_content").asText(message.path("reasoning").asText(""));
        if (!reasoning.isEmpty()) {
            content.add(new Part.Thinking(reasoning, ""));
        }
        if (message.path("content").isTextual() && !message.path("content").asText().isEmpty()) {
            content.add(new Part.Text(message.path("content").asText()));
        }
        if (message.path("refusal").isTextual() && !message.path("refusal").asText().isEmpty()) {
            content.add(new Part.Text(message.path("refusal").asText()));
        }
        for (JsonNode call : message.path("tool_calls")) {
            JsonNode fn = call.has("function") ? call.path("function") : call.path("custom");
            String arguments = fn.has("arguments") ? fn.path("arguments").asText("") : fn.path("input").asText("");
            content.add(new Part.ToolCall(call.path("id").asText(Ids.openAiToolCall()), fn.path("name").asText(""),
                    arguments));
        }
        boolean reported = res.path("usage").isObject();
        Usage usage = reported ? UsageParser.openAi(res.get("usage")) : Usage.NONE;
        ChatResponse response = new ChatResponse(res.path("id").asText(""), res.path("model").asText(""), content,
                stopReason(choice.path("finish_reason").asText(null)), usage,
                res.path("created").asLong(clock.instant().getEpochSecond()));
        return new ParsedResponse(response, reported);
    }

    @Override
    public ObjectNode writeResponse(ChatResponse resp, String clientModel) {
        ObjectNode out = Json.object();
        out.put("id", responseId(resp.id()));
        out.put("object", "chat.completion");
        out.put("created", resp.created() > 0 ? resp.created() : clock.instant().getEpochSecond());
        out.put("model", clientModel);
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        ArrayNode calls = Json.array();
        boolean hasText = false;
        for (Part part : resp.content()) {
            switch (part) {
                case Part.Text t -> {
                    text.append(t.text());
                    hasText = true;
                }
                case Part.Thinking th -> reasoning.append(th.text());
                case Part.ToolCall c -> {
                    ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
                    call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
                }
                default -> {
                    // images and tool results never appear in a response
                }
            }
        }
        if (hasText) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        message.putNull("refusal");
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
        if (!reasoning.isEmpty()) {
            message.put("reasoning_content", reasoning.toString());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", stopReason(resp.stopReason()));
        out.set("usage", usageJson(resp.usage()));
        return out;
    }

    /** Keeps an OpenAI-style id; gives a translated response an id of OpenAI's kind. */
    static String responseId(String id) {
        return id.startsWith("chatcmpl-") ? id : Ids.openAiCompletion();
    }

    /** OpenAI's complete usage object; prompt and completion totals are inclusive, as in {@link Usage}. */
    public static ObjectNode usageJson(Usage usage) {
        ObjectNode u = Json.object();
        u.put("prompt_tokens", usage.inputTokens());
        u.put("completion_tokens", usage.outputTokens());
        u.put("total_tokens", usage.totalTokens());
        ObjectNode prompt = u.putObject("prompt_tokens_details");
        prompt.put("cached_tokens", usage.cacheReadTokens());
        if (usage.cacheWriteTokens() > 0) {
            prompt.put("cache_write_tokens", usage.cacheWriteTokens());
        }
        u.putObject("completion_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
        return u;
    }

    static void throwIfError(JsonNode body) {
        JsonNode error = body.get("error");
        if (error != null && error.isObject()) {
            String type = error.path("type").asText(error.path("code").asText("api_error"));
            throw new ProviderErrorException(error.path("status").asInt(statusForType(type)), type,
                    error.path("message").asText("the provider reported an error"));
        }
    }

    private static int statusForType(String type) {
        return switch (type) {
            case "invalid_request_error" -> 400;
            case "authentication_error", "invalid_api_key" -> 401;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "rate_limit_error", "rate_limit_exceeded", "insufficient_quota" -> 429;
            default -> 502;
        };
    }

    // ---------------------------------------------------------------- stop reasons and errors

    @Override
    public String stopReason(StopReason reason) {
        return switch (reason) {
            case STOP, UNKNOWN -> "stop";
            case LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
            case CONTENT_FILTER -> "content_filter";
        };
    }

    @Override
    public StopReason stopReason(String wireReason) {
        if (wireReason == null) {
            return StopReason.UNKNOWN;
        }
        return switch (wireReason) {
            case "stop" -> StopReason.STOP;
            case "length" -> StopReason.LENGTH;
            case "tool_calls", "function_call" -> StopReason.TOOL_CALLS;
            case "content_filter" -> StopReason.CONTENT_FILTER;
            default -> StopReason.UNKNOWN;
        };
    }

    @Override
    public ObjectNode error(int httpStatus, String type, String message, String param, String code) {
        ObjectNode out = Json.object();
        ObjectNode e = out.putObject("error");
        e.put("message", message);
        e.put("type", type.isEmpty() ? errorType(httpStatus) : type);
        if (param.isEmpty()) {
            e.putNull("param");
        } else {
            e.put("param", param);
        }
        if (code.isEmpty()) {
            e.putNull("code");
        } else {
            e.put("code", code);
        }
        return out;
    }

    @Override
    public String errorType(int httpStatus) {
        return switch (httpStatus) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> httpStatus >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    // ---------------------------------------------------------------- streams

    @Override
    public StreamDecoder newStreamDecoder() {
        return new Decoder(this);
    }

    @Override
    public StreamEncoder newStreamEncoder(ChatRequest clientRequest, String clientModel) {
        return new Encoder(this, clientModel, clientRequest.includeUsage(), clock);
    }

    /** Reads chat.completion.chunk events; keeps only choice 0 (the neutral model has one choice). */
    private static final class Decoder implements StreamDecoder {
        private final OpenAiChatFormat format;
        private final Map<String, Integer> toolIndex = new HashMap<>();
        private String lastToolKey = "";
        private boolean started;
        private boolean finished;
        private boolean ended;
        private JsonNode usage;

        Decoder(OpenAiChatFormat format) {
            this.format = format;
        }

        @Override
        public List<ChatEvent> decode(String event, String data) {
            List<ChatEvent> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            if (data.strip().equals("[DONE]")) {
                return end();
            }
            JsonNode chunk = Json.readEvent(data);
            throwIfError(chunk);
            JsonNode choices = chunk.path("choices");
            if (!started && (!chunk.path("id").asText("").isEmpty() || !choices.isEmpty())) {
                out.add(new ChatEvent.Start(chunk.path("id").asText(""), chunk.path("model").asText(""),
                        chunk.path("created").asLong(0)));
                started = true;
            }
            if (chunk.path("usage").isObject()) {
                usage = chunk.get("usage");
            }
            for (JsonNode choice : choices) {
                if (choice.path("index").asInt(0) != 0) {
                    continue;
                }
                decodeDelta(choice.path("delta"), out);
                String reason = choice.path("finish_reason").asText(null);
                if (reason != null && !finished) {
                    finished = true;
                    out.add(new ChatEvent.Finish(format.stopReason(reason)));
                }
            }
            return out;
        }

        private void decodeDelta(JsonNode delta, List<ChatEvent> out) {
            String reasoning = delta.path("reasoning_content").asText(delta.path("reasoning").asText(""));
            if (!reasoning.isEmpty()) {
                out.add(new ChatEvent.ThinkingDelta(reasoning, ""));
            }
            JsonNode content = delta.path("content");
            if (content.isTextual() && !content.asText().isEmpty()) {
                out.add(new ChatEvent.TextDelta(content.asText()));
            } else if (content.isArray()) {
                // Mistral's magistral models stream typed content chunks
                for (JsonNode item : content) {
                    if (item.path("type").asText().equals("text") && !item.path("text").asText("").isEmpty()) {
                        out.add(new ChatEvent.TextDelta(item.path("text").asText()));
                    } else if (item.path("type").asText().equals("thinking")) {
                        for (JsonNode t : item.path("thinking")) {
                            if (!t.path("text").asText("").isEmpty()) {
                                out.add(new ChatEvent.ThinkingDelta(t.path("text").asText(), ""));
                            }
                        }
                    }
                }
            }
            if (delta.path("refusal").isTextual() && !delta.path("refusal").asText().isEmpty()) {
                out.add(new ChatEvent.TextDelta(delta.path("refusal").asText()));
            }
            for (JsonNode call : delta.path("tool_calls")) {
                String key;
                if (call.has("index")) {
                    key = "i" + call.path("index").asInt();
                } else if (call.hasNonNull("id") && toolIndex.containsKey("id" + call.path("id").asText())) {
                    key = "id" + call.path("id").asText();
                } else if (call.hasNonNull("id")) {
                    key = "id" + call.path("id").asText();
                } else {
                    key = lastToolKey.isEmpty() ? "i0" : lastToolKey;
                }
                decodeToolCall(key, call.path("id").asText(""), call.path("function"), out);
            }
            if (delta.path("function_call").isObject()) {
                decodeToolCall("legacy", "", delta.path("function_call"), out);
            }
        }

        private void decodeToolCall(String key, String id, JsonNode fn, List<ChatEvent> out) {
            Integer index = toolIndex.get(key);
            if (index == null) {
                index = toolIndex.size();
                toolIndex.put(key, index);
                out.add(new ChatEvent.ToolCallStart(index, id.isEmpty() ? Ids.openAiToolCall() : id,
                        fn.path("name").asText("")));
            }
            lastToolKey = key;
            String arguments = fn.path("arguments").asText("");
            if (!arguments.isEmpty()) {
                out.add(new ChatEvent.ToolCallDelta(index, arguments));
            }
        }

        @Override
        public List<ChatEvent> end() {
            List<ChatEvent> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            ended = true;
            if (!started) {
                started = true;
                out.add(new ChatEvent.Start(Ids.openAiCompletion(), "", 0));
            }
            if (!finished) {
                finished = true;
                out.add(new ChatEvent.Finish(StopReason.UNKNOWN));
            }
            if (usage != null) {
                out.add(new ChatEvent.UsageReport(UsageParser.openAi(usage)));
            }
            return out;
        }

        @Override
        public boolean usageReported() {
            return usage != null;
        }
    }

    /** Writes chat.completion.chunk frames, the optional usage chunk and {@code [DONE]}. */
    private static final class Encoder implements StreamEncoder {
        private final OpenAiChatFormat format;
        private final String model;
        private final boolean includeUsage;
        private final Clock clock;
        private String id = "";
        private long created;
        private boolean started;
        private boolean finished;
        private boolean ended;
        private Usage usage;

        Encoder(OpenAiChatFormat format, String model, boolean includeUsage, Clock clock) {
            this.format = format;
            this.model = model;
            this.includeUsage = includeUsage;
            this.clock = clock;
        }

        @Override
        public List<String> encode(ChatEvent event) {
            List<String> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            if (!started) {
                started = true;
                if (event instanceof ChatEvent.Start s) {
                    id = responseId(s.id());
                    created = s.created() > 0 ? s.created() : clock.instant().getEpochSecond();
                } else {
                    id = Ids.openAiCompletion();
                    created = clock.instant().getEpochSecond();
                }
                ObjectNode delta = Json.object().put("role", "assistant").put("content", "");
                out.add(frame(chunk(delta, null)));
                if (event instanceof ChatEvent.Start) {
                    return out;
                }
            }
            switch (event) {
                case ChatEvent.Start s -> {
                    // a second start (a provider's retry) adds nothing the client has not seen
                }
                case ChatEvent.TextDelta t -> out.add(frame(chunk(Json.object().put("content", t.text()), null)));
                case ChatEvent.ThinkingDelta th -> {
                    if (!th.text().isEmpty()) {
                        out.add(frame(chunk(Json.object().put("reasoning_content", th.text()), null)));
                    }
                }
                case ChatEvent.ToolCallStart tc -> {
                    ObjectNode delta = Json.object();
                    ObjectNode call = delta.putArray("tool_calls").addObject();
                    call.put("index", tc.index()).put("id", tc.id()).put("type", "function");
                    call.putObject("function").put("name", tc.name()).put("arguments", "");
                    out.add(frame(chunk(delta, null)));
                }
                case ChatEvent.ToolCallDelta td -> {
                    ObjectNode delta = Json.object();
                    ObjectNode call = delta.putArray("tool_calls").addObject();
                    call.put("index", td.index());
                    call.putObject("function").put("arguments", td.argumentsDelta());
                    out.add(frame(chunk(delta, null)));
                }
                case ChatEvent.Finish f -> {
                    if (!finished) {
                        finished = true;
                        out.add(frame(chunk(Json.object(), format.stopReason(f.reason()))));
                    }
                }
                case ChatEvent.UsageReport u -> usage = u.usage();
            }
            return out;
        }

        private ObjectNode chunk(ObjectNode delta, String finishReason) {
            ObjectNode c = header();
            ObjectNode choice = c.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("delta", delta);
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            return c;
        }

        private ObjectNode header() {
            ObjectNode c = Json.object();
            c.put("id", id);
            c.put("object", "chat.completion.chunk");
            c.put("created", created);
            c.put("model", model);
            return c;
        }

        @Override
        public List<String> end() {
            List<String> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            if (!started) {
                out.addAll(encode(new ChatEvent.Start(Ids.openAiCompletion(), model, 0)));
            }
            if (!finished) {
                out.addAll(encode(new ChatEvent.Finish(StopReason.UNKNOWN)));
            }
            ended = true;
            if (includeUsage && usage != null) {
                ObjectNode c = header();
                c.putArray("choices");
                c.set("usage", usageJson(usage));
                out.add(frame(c));
            }
            out.add("data: [DONE]\n\n");
            return out;
        }

        private static String frame(ObjectNode chunk) {
            return "data: " + Json.write(chunk) + "\n\n";
        }
    }
}
