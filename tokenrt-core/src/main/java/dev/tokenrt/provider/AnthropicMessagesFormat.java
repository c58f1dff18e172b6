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
 * The Anthropic messages format ({@code POST /v1/messages}).
 *
 * <p>Translation choices: an Anthropic user turn holding {@code tool_result} blocks becomes one neutral
 * {@link Role#TOOL} message per result (as in OpenAI); on the way out, tool results and whatever the
 * user adds after them share one user turn again, while other consecutive turns stay as the client sent them. {@code redacted_thinking} is kept as a {@link Part.Thinking}
 * with empty text and a signature that starts with {@link #REDACTED_THINKING_PREFIX}, so that it goes back
 * unchanged. Thinking without a signature (another provider's reasoning) is not sent to Anthropic, which
 * would reject it. Server tools (web search, code execution: tools with a {@code type}) are passed through
 * only to Anthropic; their blocks in a response ({@code server_tool_use}, {@code *_tool_result}) ran on
 * Anthropic's side and are not client tool calls, so they are not translated. Blocks the neutral model
 * cannot hold in a request (documents, search results, images inside tool results, server tool blocks)
 * are refused with a {@link FormatException} naming the block, rather than dropped in silence. Per-block
 * and per-tool fields the neutral model has no place for ({@code cache_control}, {@code citations}, a tool's
 * {@code allowed_callers}) are not carried. A parsed request has {@code includeUsage} true, since Anthropic
 * streams always carry usage.
 */
public final class AnthropicMessagesFormat implements WireFormat {

    /** The output cap sent when a request has none, since Anthropic requires {@code max_tokens}. */
    public static final int DEFAULT_MAX_TOKENS = 4096;

    /** Marks a {@link Part.Thinking} that stands for a {@code redacted_thinking} block (its data follows). */
    public static final String REDACTED_THINKING_PREFIX = "redacted_thinking:";

    private static final Set<String> CONSUMED = Set.of("model", "system", "messages", "tools", "tool_choice",
            "max_tokens", "temperature", "top_p", "stop_sequences", "stream", "metadata", "output_config");

    private final Clock clock;
    private final int defaultMaxTokens;

    public AnthropicMessagesFormat() {
        this(Clock.systemUTC(), DEFAULT_MAX_TOKENS);
    }

    /**
     * @param clock            source of {@code created}, which Anthropic responses do not carry
     * @param defaultMaxTokens the {@code max_tokens} written upstream when the neutral request has no cap
     */
    public AnthropicMessagesFormat(Clock clock, int defaultMaxTokens) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (defaultMaxTokens < 1) {
            throw new IllegalArgumentException("defaultMaxTokens must be positive");
        }
        this.defaultMaxTokens = defaultMaxTokens;
    }

    @Override
    public String id() {
        return ANTHROPIC_MESSAGES;
    }

    // ---------------------------------------------------------------- requests

    @Override
    public ChatRequest parseRequest(JsonNode body) {
        ObjectNode req = Json.requireObject(body, "");
        String model = Json.requireString(req, "model", "model");
        if (!Json.present(req, "max_tokens")) {
            throw new FormatException("max_tokens", "'max_tokens' is required");
        }
        var maxTokens = Json.optNonNegativeInt(req, "max_tokens", "max_tokens");
        List<Message> messages = new ArrayList<>();
        if (Json.present(req, "system")) {
            JsonNode system = req.get("system");
            if (system.isTextual()) {
                messages.add(Message.text(Role.SYSTEM, system.asText()));
            } else {
                ArrayNode blocks = Json.requireArray(system, "system");
                List<Part> parts = new ArrayList<>();
                for (int i = 0; i < blocks.size(); i++) {
                    String p = "system[" + i + "]";
                    ObjectNode b = Json.requireObject(blocks.get(i), p);
                    if (!Json.requireString(b, "type", p + ".type").equals("text")) {
                        throw new FormatException(p + ".type", "system blocks must be text blocks");
                    }
                    parts.add(new Part.Text(Json.requireString(b, "text", p + ".text")));
                }
                messages.add(new Message(Role.SYSTEM, parts, ""));
            }
        }
        ArrayNode rawMessages = Json.requireArray(req.get("messages"), "messages");
        if (rawMessages.isEmpty()) {
            throw new FormatException("messages", "'messages' must contain at least one message");
        }
        for (int i = 0; i < rawMessages.size(); i++) {
            parseMessage(rawMessages.get(i), "messages[" + i + "]", messages);
        }
        ObjectNode extra = Json.rest(req, CONSUMED);
        List<Tool> tools = new ArrayList<>();
        if (Json.present(req, "tools")) {
            ArrayNode rawTools = Json.requireArray(req.get("tools"), "tools");
            ArrayNode passthrough = Json.array();
            for (int i = 0; i < rawTools.size(); i++) {
                String p = "tools[" + i + "]";
                ObjectNode t = Json.requireObject(rawTools.get(i), p);
                String type = Json.optString(t, "type", p + ".type").orElse("custom");
                if (!type.equals("custom")) {
                    passthrough.add(t.deepCopy());
                    continue;
                }
                tools.add(new Tool(Json.requireString(t, "name", p + ".name"),
                        Json.optString(t, "description", p + ".description").orElse(""),
                        Json.requireObject(t.get("input_schema"), p + ".input_schema").deepCopy()));
            }
            if (!passthrough.isEmpty()) {
                extra.set("tools", passthrough);
            }
        }
        Optional<ToolChoice> toolChoice = Optional.empty();
        if (Json.present(req, "tool_choice")) {
            ObjectNode tc = Json.requireObject(req.get("tool_choice"), "tool_choice");
            String type = Json.requireString(tc, "type", "tool_choice.type");
            toolChoice = Optional.of(switch (type) {
                case "auto" -> new ToolChoice.Auto();
                case "any" -> new ToolChoice.Required();
                case "none" -> new ToolChoice.None();
                case "tool" -> new ToolChoice.Named(Json.requireString(tc, "name", "tool_choice.name"));
                default -> throw new FormatException("tool_choice.type", "unknown tool_choice type '" + type + "'");
            });
            ObjectNode rest = Json.rest(tc, Set.of("type", "name"));
            if (!rest.isEmpty()) {
                extra.set("tool_choice", rest);
            }
        }
        List<String> stop = new ArrayList<>();
        if (Json.present(req, "stop_sequences")) {
            ArrayNode seqs = Json.requireArray(req.get("stop_sequences"), "stop_sequences");
            for (int i = 0; i < seqs.size(); i++) {
                if (!seqs.get(i).isTextual()) {
                    throw new FormatException("stop_sequences[" + i + "]", "stop sequences must be strings");
                }
                stop.add(seqs.get(i).asText());
            }
        }
        String user = "";
        if (Json.present(req, "metadata")) {
            ObjectNode metadata = Json.requireObject(req.get("metadata"), "metadata");
            user = Json.optString(metadata, "user_id", "metadata.user_id").orElse("");
            ObjectNode rest = Json.rest(metadata, Set.of("user_id"));
            if (!rest.isEmpty()) {
                extra.set("metadata", rest);
            }
        }
        Optional<JsonNode> responseFormat = Optional.empty();
        if (Json.present(req, "output_config")) {
            ObjectNode config = Json.requireObject(req.get("output_config"), "output_config");
            if (Json.present(config, "format")) {
                ObjectNode format = Json.requireObject(config.get("format"), "output_config.format");
                ObjectNode rf = Json.object().put("type", "json_schema");
                rf.putObject("json_schema").put("name", "response").set("schema",
                        Json.requireObject(format.get("schema"), "output_config.format.schema").deepCopy());
                responseFormat = Optional.of(rf);
            }
            ObjectNode rest = Json.rest(config, Set.of("format"));
            if (!rest.isEmpty()) {
                extra.set("output_config", rest);
            }
        }
        return new ChatRequest(model, messages, tools, toolChoice, maxTokens,
                Json.optNumber(req, "temperature", "temperature"), Json.optNumber(req, "top_p", "top_p"), stop,
                Optional.empty(), responseFormat, Json.optBoolean(req, "stream", "stream"), true, user,
                ANTHROPIC_MESSAGES, extra);
    }

    private static void parseMessage(JsonNode node, String p, List<Message> out) {
        ObjectNode m = Json.requireObject(node, p);
        String role = Json.requireString(m, "role", p + ".role");
        Role neutral = switch (role) {
            case "user" -> Role.USER;
            case "assistant" -> Role.ASSISTANT;
            default -> throw new FormatException(p + ".role", "role must be user or assistant, not '" + role + "'");
        };
        JsonNode content = m.get("content");
        if (content != null && content.isTextual()) {
            out.add(Message.text(neutral, content.asText()));
            return;
        }
        ArrayNode blocks = Json.requireArray(content, p + ".content");
        List<Part> pending = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            String bp = p + ".content[" + i + "]";
            ObjectNode b = Json.requireObject(blocks.get(i), bp);
            String type = Json.requireString(b, "type", bp + ".type");
            switch (type) {
                case "text" -> pending.add(new Part.Text(Json.requireString(b, "text", bp + ".text")));
                case "image" -> pending.add(parseImage(b, bp));
                case "tool_use" -> {
                    if (neutral != Role.ASSISTANT) {
                        throw new FormatException(bp + ".type", "tool_use blocks belong to assistant turns");
                    }
                    JsonNode input = b.get("input");
                    pending.add(new Part.ToolCall(Json.requireString(b, "id", bp + ".id"),
                            Json.requireString(b, "name", bp + ".name"),
                            input == null || input.isNull() ? "{}" : Json.write(input)));
                }
                case "thinking" -> pending.add(new Part.Thinking(Json.requireString(b, "thinking", bp + ".thinking"),
                        Json.optString(b, "signature", bp + ".signature").orElse("")));
                case "redacted_thinking" -> pending.add(new Part.Thinking("",
                        REDACTED_THINKING_PREFIX + Json.requireString(b, "data", bp + ".data")));
                case "tool_result" -> {
                    if (neutral != Role.USER) {
                        throw new FormatException(bp + ".type", "tool_result blocks belong to user turns");
                    }
                    if (!pending.isEmpty()) {
                        out.add(new Message(neutral, pending, ""));
                        pending = new ArrayList<>();
                    }
                    out.add(new Message(Role.TOOL, List.of(new Part.ToolResult(
                            Json.requireString(b, "tool_use_id", bp + ".tool_use_id"),
                            toolResultText(b.get("content"), bp + ".content"),
                            Json.optBoolean(b, "is_error", bp + ".is_error"))), ""));
                }
                default -> throw new FormatException(bp + ".type", "content block type '" + type
                        + "' is not supported by the gateway's neutral model");
            }
        }
        if (!pending.isEmpty() || blocks.isEmpty()) {
            out.add(new Message(neutral, pending, ""));
        }
    }

    private static Part.Image parseImage(ObjectNode b, String bp) {
        ObjectNode source = Json.requireObject(b.get("source"), bp + ".source");
        String type = Json.requireString(source, "type", bp + ".source.type");
        return switch (type) {
            case "base64" -> new Part.Image(Media.dataUrl(
                    Json.requireString(source, "media_type", bp + ".source.media_type"),
                    Json.requireString(source, "data", bp + ".source.data")), "auto");
            case "url" -> new Part.Image(Json.requireString(source, "url", bp + ".source.url"), "auto");
            default -> throw new FormatException(bp + ".source.type",
                    "image source type '" + type + "' is not supported; use base64 or url");
        };
    }

    /** A tool result's content: a string, or text blocks joined with newlines (images are refused). */
    private static String toolResultText(JsonNode content, String p) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        ArrayNode blocks = Json.requireArray(content, p);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            ObjectNode b = Json.requireObject(blocks.get(i), p + "[" + i + "]");
            String type = Json.requireString(b, "type", p + "[" + i + "].type");
            if (!type.equals("text")) {
                throw new FormatException(p + "[" + i + "].type",
                        "tool_result content of type '" + type + "' is not supported; only text is");
            }
            texts.add(Json.requireString(b, "text", p + "[" + i + "].text"));
        }
        return String.join("\n", texts);
    }

    @Override
    public ObjectNode writeRequest(ChatRequest req, String upstreamModel) {
        boolean sameFormat = ANTHROPIC_MESSAGES.equals(req.sourceFormat());
        ObjectNode out = Json.object();
        out.put("model", upstreamModel);
        out.put("max_tokens", req.maxTokens().orElse(defaultMaxTokens));
        List<String> system = new ArrayList<>();
        for (Message m : req.messages()) {
            if (m.role() == Role.SYSTEM) {
                for (Part p : m.parts()) {
                    if (p instanceof Part.Text t) {
                        system.add(t.text());
                    }
                }
            }
        }
        if (system.size() == 1) {
            out.put("system", system.get(0));
        } else if (!system.isEmpty()) {
            ArrayNode blocks = out.putArray("system");
            system.forEach(s -> blocks.addObject().put("type", "text").put("text", s));
        }
        ArrayNode messages = out.putArray("messages");
        ArrayNode lastContent = null;
        boolean lastHoldsResults = false;
        for (Message m : req.messages()) {
            if (m.role() == Role.SYSTEM) {
                continue;
            }
            ArrayNode blocks = blocks(m);
            if (blocks.isEmpty()) {
                continue;
            }
            // tool results (one neutral TOOL message each) and what the user adds after them share one user turn,
            // as Anthropic requires; other consecutive turns stay as the client sent them
            if (lastHoldsResults && m.role() != Role.ASSISTANT) {
                lastContent.addAll(blocks);
                continue;
            }
            ObjectNode msg = messages.addObject().put("role", m.role() == Role.ASSISTANT ? "assistant" : "user");
            lastContent = msg.putArray("content");
            lastContent.addAll(blocks);
            lastHoldsResults = m.role() == Role.TOOL;
        }
        // a turn that is a single text block is written as a plain string, as clients usually send it
        for (JsonNode msg : messages) {
            JsonNode content = msg.get("content");
            if (content.size() == 1 && content.get(0).path("type").asText().equals("text")) {
                ((ObjectNode) msg).put("content", content.get(0).get("text").asText());
            }
        }
        if (!req.tools().isEmpty() || (sameFormat && req.extra().has("tools"))) {
            ArrayNode tools = out.putArray("tools");
            for (Tool t : req.tools()) {
                ObjectNode o = tools.addObject().put("name", t.name());
                if (!t.description().isEmpty()) {
                    o.put("description", t.description());
                }
                JsonNode schema = t.parameters();
                if (schema.isEmpty()) {
                    ObjectNode empty = Json.object().put("type", "object");
                    empty.putObject("properties");
                    schema = empty;
                }
                o.set("input_schema", schema.deepCopy());
            }
            if (sameFormat && req.extra().path("tools").isArray()) {
                req.extra().get("tools").forEach(t -> tools.add(t.deepCopy()));
            }
        }
        req.toolChoice().ifPresent(tc -> {
            ObjectNode o = switch (tc) {
                case ToolChoice.Auto a -> Json.object().put("type", "auto");
                case ToolChoice.Required r -> Json.object().put("type", "any");
                case ToolChoice.None n -> Json.object().put("type", "none");
                case ToolChoice.Named named -> Json.object().put("type", "tool").put("name", named.name());
            };
            if (sameFormat && req.extra().path("tool_choice").isObject()) {
                o.setAll((ObjectNode) req.extra().get("tool_choice").deepCopy());
            }
            out.set("tool_choice", o);
        });
        req.temperature().ifPresent(t -> out.put("temperature", t));
        req.topP().ifPresent(t -> out.put("top_p", t));
        if (!req.stop().isEmpty()) {
            ArrayNode stop = out.putArray("stop_sequences");
            req.stop().forEach(stop::add);
        }
        if (req.stream()) {
            out.put("stream", true);
        }
        if (!req.user().isEmpty() || (sameFormat && req.extra().path("metadata").isObject())) {
            ObjectNode metadata = out.putObject("metadata");
            if (sameFormat && req.extra().path("metadata").isObject()) {
                metadata.setAll((ObjectNode) req.extra().get("metadata").deepCopy());
            }
            if (!req.user().isEmpty()) {
                metadata.put("user_id", req.user());
            }
        }
        JsonNode schema = req.responseFormat().map(rf -> rf.path("json_schema").path("schema"))
                .filter(JsonNode::isObject).orElse(null);
        if (schema != null || (sameFormat && req.extra().path("output_config").isObject())) {
            ObjectNode config = out.putObject("output_config");
            if (sameFormat && req.extra().path("output_config").isObject()) {
                config.setAll((ObjectNode) req.extra().get("output_config").deepCopy());
            }
            if (schema != null) {
                config.putObject("format").put("type", "json_schema").set("schema", schema.deepCopy());
            }
        }
        if (sameFormat) {
            req.extra().properties().forEach(e -> {
                if (!out.has(e.getKey())) {
                    out.set(e.getKey(), e.getValue().deepCopy());
                }
            });
        }
        return out;
    }

    private static ArrayNode blocks(Message m) {
        ArrayNode blocks = Json.array();
        for (Part part : m.parts()) {
            switch (part) {
                case Part.Text t -> {
                    if (!t.text().isEmpty()) {
                        blocks.addObject().put("type", "text").put("text", t.text());
                    }
                }
                case Part.Image img -> {
                    ObjectNode source = blocks.addObject().put("type", "image").putObject("source");
                    Optional<Media.Inline> inline = Media.inline(img.url());
                    if (inline.isPresent()) {
                        source.put("type", "base64").put("media_type", inline.get().mediaType())
                                .put("data", inline.get().base64());
                    } else {
                        source.put("type", "url").put("url", img.url());
                    }
                }
                case Part.ToolCall c -> blocks.addObject().put("type", "tool_use").put("id", c.id())
                        .put("name", c.name()).set("input", Json.toolArguments(c, "Anthropic requires as tool input"));
                case Part.ToolResult r -> {
                    ObjectNode b = blocks.addObject().put("type", "tool_result").put("tool_use_id", r.toolCallId())
                            .put("content", r.content());
                    if (r.error()) {
                        b.put("is_error", true);
                    }
                }
                case Part.Thinking th -> {
                    if (th.signature().startsWith(REDACTED_THINKING_PREFIX)) {
                        blocks.addObject().put("type", "redacted_thinking")
                                .put("data", th.signature().substring(REDACTED_THINKING_PREFIX.length()));
                    } else if (!th.signature().isEmpty()) {
                        blocks.addObject().put("type", "thinking").put("thinking", th.text())
                                .put("signature", th.signature());
                    }
                }
            }
        }
        return blocks;
    }

    // ---------------------------------------------------------------- responses

    @Override
    public ParsedResponse parseResponse(JsonNode body) {
        ObjectNode res = Json.requireObject(body, "");
        throwIfError(res);
        List<Part> content = new ArrayList<>();
        for (JsonNode b : res.path("content")) {
            switch (b.path("type").asText()) {
                case "text" -> content.add(new Part.Text(b.path("text").asText("")));
                case "tool_use" -> content.add(new Part.ToolCall(b.path("id").asText(""), b.path("name").asText(""),
                        Json.write(b.path("input").isObject() ? b.get("input") : Json.object())));
                case "thinking" -> content.add(new Part.Thinking(b.path("thinking").asText(""),
                        b.path("signature").asText("")));
                case "redacted_thinking" -> content.add(new Part.Thinking("",
                        REDACTED_THINKING_PREFIX + b.path("data").asText("")));
                default -> {
                    // server tool blocks ran on Anthropic's side; their outcome is in the text that follows
                }
            }
        }
        boolean reported = res.path("usage").isObject();
        Usage usage = reported ? UsageParser.anthropic(res.get("usage")) : Usage.NONE;
        return new ParsedResponse(new ChatResponse(res.path("id").asText(""), res.path("model").asText(""), content,
                stopReason(res.path("stop_reason").asText(null)), usage, clock.instant().getEpochSecond()), reported);
    }

    @Override
    public ObjectNode writeResponse(ChatResponse resp, String clientModel) {
        ObjectNode out = Json.object();
        out.put("id", messageId(resp.id()));
        out.put("type", "message");
        out.put("role", "assistant");
        out.put("model", clientModel);
        ArrayNode content = out.putArray("content");
        for (Part part : resp.content()) {
            switch (part) {
                case Part.Text t -> content.addObject().put("type", "text").put("text", t.text());
                case Part.ToolCall c -> content.addObject().put("type", "tool_use").put("id", c.id())
                        .put("name", c.name()).set("input", responseToolInput(c.arguments()));
                case Part.Thinking th -> {
                    if (th.signature().startsWith(REDACTED_THINKING_PREFIX)) {
                        content.addObject().put("type", "redacted_thinking")
                                .put("data", th.signature().substring(REDACTED_THINKING_PREFIX.length()));
                    } else {
                        content.addObject().put("type", "thinking").put("thinking", th.text())
                                .put("signature", th.signature());
                    }
                }
                default -> {
                    // images and tool results never appear in a response
                }
            }
        }
        out.put("stop_reason", stopReason(resp.stopReason()));
        out.putNull("stop_sequence");
        out.set("usage", usageJson(resp.usage()));
        return out;
    }

    /** A tool call's arguments as Anthropic's input object; text that is not a JSON object (a cut call) gives {}. */
    static ObjectNode responseToolInput(String arguments) {
        Optional<JsonNode> parsed = Json.parse(arguments);
        return parsed.isPresent() && parsed.get().isObject() ? (ObjectNode) parsed.get() : Json.object();
    }

    static String messageId(String id) {
        return id.startsWith("msg_") ? id : Ids.anthropicMessage();
    }

    /**
     * Anthropic's usage, split back out of the inclusive neutral totals: {@code input_tokens} is the uncached
     * part only; cache reads and writes (with the 5-minute/1-hour split) are separate, as Anthropic reports them.
     */
    public static ObjectNode usageJson(Usage usage) {
        ObjectNode u = Json.object();
        u.put("input_tokens", usage.uncachedInputTokens());
        u.put("cache_creation_input_tokens", usage.cacheWriteTokens());
        u.put("cache_read_input_tokens", usage.cacheReadTokens());
        ObjectNode split = u.putObject("cache_creation");
        split.put("ephemeral_5m_input_tokens", usage.cacheWrite5mTokens());
        split.put("ephemeral_1h_input_tokens", usage.cacheWrite1hTokens());
        u.put("output_tokens", usage.outputTokens());
        if (usage.reasoningTokens() > 0) {
            // newer Anthropic responses break thinking out of output_tokens the same way
            u.putObject("output_tokens_details").put("thinking_tokens", usage.reasoningTokens());
        }
        return u;
    }

    static void throwIfError(JsonNode body) {
        if (body.path("type").asText().equals("error") || body.path("error").isObject()) {
            JsonNode error = body.path("error");
            String type = error.path("type").asText("api_error");
            throw new ProviderErrorException(statusForType(type), type,
                    error.path("message").asText("the provider reported an error"));
        }
    }

    /** The HTTP status Anthropic uses for each of its error types. */
    static int statusForType(String type) {
        return switch (type) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "billing_error" -> 402;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "timeout_error" -> 504;
            case "overloaded_error" -> 529;
            default -> 500;
        };
    }

    // ---------------------------------------------------------------- stop reasons and errors

    @Override
    public String stopReason(StopReason reason) {
        return switch (reason) {
            case STOP, UNKNOWN -> "end_turn";
            case LENGTH -> "max_tokens";
            case TOOL_CALLS -> "tool_use";
            case CONTENT_FILTER -> "refusal";
        };
    }

    @Override
    public StopReason stopReason(String wireReason) {
        if (wireReason == null) {
            return StopReason.UNKNOWN;
        }
        return switch (wireReason) {
            case "end_turn", "stop_sequence", "pause_turn" -> StopReason.STOP;
            case "max_tokens", "model_context_window_exceeded" -> StopReason.LENGTH;
            case "tool_use" -> StopReason.TOOL_CALLS;
            case "refusal" -> StopReason.CONTENT_FILTER;
            default -> StopReason.UNKNOWN;
        };
    }

    @Override
    public ObjectNode error(int httpStatus, String type, String message, String param, String code) {
        ObjectNode out = Json.object().put("type", "error");
        out.putObject("error").put("type", type.isEmpty() ? errorType(httpStatus) : type).put("message", message);
        return out;
    }

    @Override
    public String errorType(int httpStatus) {
        return switch (httpStatus) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> httpStatus >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    // ---------------------------------------------------------------- streams

    @Override
    public StreamDecoder newStreamDecoder() {
        return new Decoder(this);
    }

    @Override
    public StreamEncoder newStreamEncoder(ChatRequest clientRequest, String clientModel) {
        return new Encoder(this, clientModel);
    }

    /** Reads message_start … message_stop; usage from message_start and message_delta is merged, latest value wins. */
    private static final class Decoder implements StreamDecoder {
        private final AnthropicMessagesFormat format;
        /** Anthropic block index → neutral tool-call index, for tool_use blocks only. */
        private final Map<Integer, Integer> toolBlocks = new HashMap<>();
        private int toolCount;
        private boolean started;
        private boolean finished;
        private boolean ended;
        private ObjectNode usage;

        Decoder(AnthropicMessagesFormat format) {
            this.format = format;
        }

        @Override
        public List<ChatEvent> decode(String event, String data) {
            List<ChatEvent> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            JsonNode e = Json.readEvent(data);
            String type = e.path("type").asText(event);
            switch (type) {
                case "message_start" -> {
                    JsonNode message = e.path("message");
                    if (!started) {
                        started = true;
                        out.add(new ChatEvent.Start(message.path("id").asText(""), message.path("model").asText(""),
                                format.clock.instant().getEpochSecond()));
                    }
                    mergeUsage(message.path("usage"));
                }
                case "content_block_start" -> {
                    int index = e.path("index").asInt();
                    JsonNode block = e.path("content_block");
                    switch (block.path("type").asText()) {
                        case "text" -> {
                            toolBlocks.remove(index);
                            if (!block.path("text").asText("").isEmpty()) {
                                out.add(new ChatEvent.TextDelta(block.path("text").asText()));
                            }
                        }
                        case "tool_use" -> {
                            int n = toolCount++;
                            toolBlocks.put(index, n);
                            out.add(new ChatEvent.ToolCallStart(n, block.path("id").asText(""),
                                    block.path("name").asText("")));
                            if (block.path("input").isObject() && !block.path("input").isEmpty()) {
                                out.add(new ChatEvent.ToolCallDelta(n, Json.write(block.get("input"))));
                            }
                        }
                        case "thinking" -> {
                            toolBlocks.remove(index);
                            if (!block.path("thinking").asText("").isEmpty()) {
                                out.add(new ChatEvent.ThinkingDelta(block.path("thinking").asText(), ""));
                            }
                        }
                        case "redacted_thinking" -> {
                            toolBlocks.remove(index);
                            out.add(new ChatEvent.ThinkingDelta("",
                                    REDACTED_THINKING_PREFIX + block.path("data").asText("")));
                        }
                        default -> toolBlocks.remove(index); // server tool blocks: not the client's to run
                    }
                }
                case "content_block_delta" -> {
                    int index = e.path("index").asInt();
                    JsonNode delta = e.path("delta");
                    switch (delta.path("type").asText()) {
                        case "text_delta" -> {
                            if (!delta.path("text").asText("").isEmpty()) {
                                out.add(new ChatEvent.TextDelta(delta.path("text").asText()));
                            }
                        }
                        case "input_json_delta" -> {
                            Integer n = toolBlocks.get(index);
                            String partial = delta.path("partial_json").asText("");
                            if (n != null && !partial.isEmpty()) {
                                out.add(new ChatEvent.ToolCallDelta(n, partial));
                            }
                        }
                        case "thinking_delta" -> {
                            if (!delta.path("thinking").asText("").isEmpty()) {
                                out.add(new ChatEvent.ThinkingDelta(delta.path("thinking").asText(), ""));
                            }
                        }
                        case "signature_delta" -> out.add(new ChatEvent.ThinkingDelta("",
                                delta.path("signature").asText("")));
                        default -> {
                            // citations and compaction deltas have no neutral form
                        }
                    }
                }
                case "message_delta" -> {
                    mergeUsage(e.path("usage"));
                    String reason = e.path("delta").path("stop_reason").asText(null);
                    if (reason != null && !finished) {
                        finished = true;
                        out.add(new ChatEvent.Finish(format.stopReason(reason)));
                    }
                }
                case "message_stop" -> out.addAll(end());
                case "error" -> {
                    JsonNode error = e.path("error");
                    String errorType = error.path("type").asText("api_error");
                    throw new ProviderErrorException(statusForType(errorType), errorType,
                            error.path("message").asText("the provider reported an error"));
                }
                default -> {
                    // ping and future events
                }
            }
            return out;
        }

        /** Anthropic repeats usage fields across events with the latest running values: overwrite, never add. */
        private void mergeUsage(JsonNode u) {
            if (!u.isObject()) {
                return;
            }
            if (usage == null) {
                usage = Json.object();
            }
            if (u.has("cache_creation_input_tokens") && !u.has("cache_creation")) {
                // a newer total without its 5m/1h split: the earlier split no longer adds up, so it goes
                usage.remove("cache_creation");
            }
            u.properties().forEach(f -> {
                if (f.getValue().isNull()) {
                    return;
                }
                if (f.getValue().isObject() && usage.path(f.getKey()).isObject()) {
                    ((ObjectNode) usage.get(f.getKey())).setAll((ObjectNode) f.getValue().deepCopy());
                } else {
                    usage.set(f.getKey(), f.getValue().deepCopy());
                }
            });
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
                out.add(new ChatEvent.Start(Ids.anthropicMessage(), "", format.clock.instant().getEpochSecond()));
            }
            if (!finished) {
                finished = true;
                out.add(new ChatEvent.Finish(StopReason.UNKNOWN));
            }
            if (usage != null) {
                out.add(new ChatEvent.UsageReport(UsageParser.anthropic(usage)));
            }
            return out;
        }

        @Override
        public boolean usageReported() {
            return usage != null;
        }
    }

    /** Writes Anthropic's event sequence; blocks open and close as the kind of neutral delta changes. */
    private static final class Encoder implements StreamEncoder {
        private enum Block { NONE, TEXT, THINKING, TOOL }

        private final AnthropicMessagesFormat format;
        private final String model;
        private final Map<Integer, Integer> toolBlockIndex = new HashMap<>();
        private Block open = Block.NONE;
        private int openTool = -1;
        private int nextBlock;
        private boolean started;
        private boolean ended;
        private StopReason stop = StopReason.UNKNOWN;
        private Usage usage;

        Encoder(AnthropicMessagesFormat format, String model) {
            this.format = format;
            this.model = model;
        }

        @Override
        public List<String> encode(ChatEvent event) {
            List<String> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            if (!started) {
                started = true;
                String id = event instanceof ChatEvent.Start s ? messageId(s.id()) : Ids.anthropicMessage();
                ObjectNode message = Json.object().put("id", id).put("type", "message").put("role", "assistant")
                        .put("model", model);
                message.putArray("content");
                message.putNull("stop_reason");
                message.putNull("stop_sequence");
                // input is not known yet when the upstream is not Anthropic; message_delta carries the final usage
                message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
                ObjectNode start = Json.object().put("type", "message_start");
                start.set("message", message);
                out.add(frame(start));
                if (event instanceof ChatEvent.Start) {
                    return out;
                }
            }
            switch (event) {
                case ChatEvent.Start s -> {
                    // a provider's repeated start adds nothing
                }
                case ChatEvent.TextDelta t -> {
                    open(Block.TEXT, -1, Json.object().put("type", "text").put("text", ""), out);
                    out.add(delta(Json.object().put("type", "text_delta").put("text", t.text())));
                }
                case ChatEvent.ThinkingDelta th -> {
                    if (th.signature().startsWith(REDACTED_THINKING_PREFIX)) {
                        close(out);
                        open(Block.THINKING, -1, Json.object().put("type", "redacted_thinking").put("data",
                                th.signature().substring(REDACTED_THINKING_PREFIX.length())), out);
                        close(out);
                        break;
                    }
                    open(Block.THINKING, -1, Json.object().put("type", "thinking").put("thinking", "")
                            .put("signature", ""), out);
                    if (!th.text().isEmpty()) {
                        out.add(delta(Json.object().put("type", "thinking_delta").put("thinking", th.text())));
                    }
                    if (!th.signature().isEmpty()) {
                        out.add(delta(Json.object().put("type", "signature_delta").put("signature", th.signature())));
                    }
                }
                case ChatEvent.ToolCallStart tc -> {
                    close(out);
                    ObjectNode block = Json.object().put("type", "tool_use").put("id", tc.id()).put("name", tc.name());
                    block.putObject("input");
                    open(Block.TOOL, tc.index(), block, out);
                }
                case ChatEvent.ToolCallDelta td -> {
                    Integer block = open == Block.TOOL && openTool == td.index() ? Integer.valueOf(nextBlock - 1)
                            : toolBlockIndex.get(td.index());
                    if (block != null) {
                        ObjectNode e = Json.object().put("type", "content_block_delta").put("index", block);
                        e.putObject("delta").put("type", "input_json_delta").put("partial_json", td.argumentsDelta());
                        out.add(frame(e));
                    }
                }
                case ChatEvent.Finish f -> {
                    close(out);
                    stop = f.reason();
                }
                case ChatEvent.UsageReport u -> usage = u.usage();
            }
            return out;
        }

        private void open(Block kind, int tool, ObjectNode block, List<String> out) {
            if (open == kind && (kind != Block.TOOL || openTool == tool)) {
                return;
            }
            close(out);
            ObjectNode e = Json.object().put("type", "content_block_start").put("index", nextBlock);
            e.set("content_block", block);
            out.add(frame(e));
            if (kind == Block.TOOL) {
                toolBlockIndex.put(tool, nextBlock);
            }
            nextBlock++;
            open = kind;
            openTool = tool;
        }

        private void close(List<String> out) {
            if (open != Block.NONE) {
                out.add(frame(Json.object().put("type", "content_block_stop").put("index", nextBlock - 1)));
                open = Block.NONE;
                openTool = -1;
            }
        }

        private String delta(ObjectNode delta) {
            ObjectNode e = Json.object().put("type", "content_block_delta").put("index", nextBlock - 1);
            e.set("delta", delta);
            return frame(e);
        }

        @Override
        public List<String> end() {
            List<String> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            if (!started) {
                out.addAll(encode(new ChatEvent.Start(Ids.anthropicMessage(), model, 0)));
            }
            close(out);
            ended = true;
            ObjectNode messageDelta = Json.object().put("type", "message_delta");
            messageDelta.putObject("delta").put("stop_reason", format.stopReason(stop)).putNull("stop_sequence");
            messageDelta.set("usage", usageJson(usage == null ? Usage.NONE : usage));
            out.add(frame(messageDelta));
            out.add(frame(Json.object().put("type", "message_stop")));
            return out;
        }

        private static String frame(ObjectNode e) {
            return "event: " + e.get("type").asText() + "\ndata: " + Json.write(e) + "\n\n";
        }
    }
}
