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
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The Gemini {@code generateContent} format (Gemini API and Vertex AI), streamed with
 * {@code streamGenerateContent?alt=sse}. The model and streaming are in Gemini's URL, not its body: use
 * {@link #parseRequest(JsonNode, String, boolean)} to supply them; {@link #writeRequest} writes no model.
 *
 * <p>Translation choices: Gemini has no tool-call ids, so calls get ids here and a {@code functionResponse}
 * is matched to the earliest unanswered call of its name. Gemini 3 requires the {@code thoughtSignature} of
 * a function call back in the next request; the neutral model has no place for it, so it travels inside the
 * tool-call id ({@code gts_…}), which every client echoes verbatim, and when a call has none (it came from
 * another provider) the first call of the turn carries Google's documented
 * {@code skip_thought_signature_validator} sentinel. Thought parts and text signatures are not sent back
 * (only function-call signatures are required). Tool schemas are written as {@code parametersJsonSchema},
 * which takes full JSON Schema. A tool result that is not a JSON object is wrapped as {@code {"result": …}}
 * ({@code {"error": …}} for errors), since Gemini's function response must be an object. Server tools
 * ({@code googleSearch}, {@code codeExecution}) pass through only to Gemini; their parts in a response are
 * not client tool calls and are not translated.
 */
public final class GeminiFormat implements WireFormat {

    /** Google's documented sentinel for a function call whose thought signature was lost. */
    public static final String SKIP_SIGNATURE = "skip_thought_signature_validator";

    private static final String SIGNED_ID = "gts_";
    private static final String SIGNED_TEXT_ID = "gtu_";
    private static final Set<String> CONSUMED = Set.of("model", "contents", "systemInstruction", "system_instruction",
            "tools", "toolConfig", "generationConfig");
    private static final Set<String> CONSUMED_GENERATION = Set.of("maxOutputTokens", "temperature", "topP",
            "stopSequences", "seed", "responseMimeType", "responseSchema", "responseJsonSchema");

    private final Clock clock;

    public GeminiFormat() {
        this(Clock.systemUTC());
    }

    public GeminiFormat(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String id() {
        return GEMINI;
    }

    // ---------------------------------------------------------------- thought signatures in ids

    /** A tool-call id that carries Gemini's thought signature (or a plain one when there is none). */
    static String toolCallId(String signature) {
        if (signature.isEmpty()) {
            return "call_" + Ids.random(24);
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(signature);
            if (Base64.getEncoder().encodeToString(bytes).equals(signature)) {
                return SIGNED_ID + Ids.random(8) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            }
        } catch (IllegalArgumentException notBase64) {
            // fall through to the lossless text form
        }
        return SIGNED_TEXT_ID + Ids.random(8) + "_"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(signature.getBytes(StandardCharsets.UTF_8));
    }

    /** The thought signature a tool-call id made by {@link #toolCallId} carries. */
    static Optional<String> signatureOf(String id) {
        boolean bytes = id.startsWith(SIGNED_ID);
        if (!bytes && !id.startsWith(SIGNED_TEXT_ID)) {
            return Optional.empty();
        }
        String[] pieces = id.split("_", 3);
        if (pieces.length < 3) {
            return Optional.empty();
        }
        try {
            byte[] decoded = Base64.getUrlDecoder().decode(pieces[2]);
            return Optional.of(bytes ? Base64.getEncoder().encodeToString(decoded)
                    : new String(decoded, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- requests

    /** Parses a body whose model and streaming come from elsewhere; the model is the body's {@code model}, if any. */
    @Override
    public ChatRequest parseRequest(JsonNode body) {
        return parseRequest(body, body == null ? "" : body.path("model").asText(""), false);
    }

    /**
     * Parses a request body.
     *
     * @param model  the model named in the URL ({@code models/{model}:generateContent})
     * @param stream whether the URL was {@code streamGenerateContent}
     */
    public ChatRequest parseRequest(JsonNode body, String model, boolean stream) {
        ObjectNode req = Json.requireObject(body, "");
        List<Message> messages = new ArrayList<>();
        JsonNode system = req.has("systemInstruction") ? req.get("systemInstruction") : req.get("system_instruction");
        if (system != null && !system.isNull()) {
            ObjectNode sys = Json.requireObject(system, "systemInstruction");
            ArrayNode parts = Json.requireArray(sys.get("parts"), "systemInstruction.parts");
            List<Part> texts = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                String p = "systemInstruction.parts[" + i + "]";
                texts.add(new Part.Text(Json.requireString(Json.requireObject(parts.get(i), p), "text", p + ".text")));
            }
            messages.add(new Message(Role.SYSTEM, texts, ""));
        }
        ArrayNode contents = Json.requireArray(req.get("contents"), "contents");
        if (contents.isEmpty()) {
            throw new FormatException("contents", "'contents' must contain at least one content");
        }
        Map<String, Deque<String>> unanswered = new HashMap<>();
        for (int i = 0; i < contents.size(); i++) {
            parseContent(contents.get(i), "contents[" + i + "]", messages, unanswered);
        }
        ObjectNode extra = Json.rest(req, CONSUMED);
        List<Tool> tools = new ArrayList<>();
        if (Json.present(req, "tools")) {
            ArrayNode rawTools = Json.requireArray(req.get("tools"), "tools");
            ArrayNode passthrough = Json.array();
            for (int i = 0; i < rawTools.size(); i++) {
                String p = "tools[" + i + "]";
                ObjectNode t = Json.requireObject(rawTools.get(i), p);
                JsonNode declarations = t.has("functionDeclarations") ? t.get("functionDeclarations")
                        : t.get("function_declarations");
                if (declarations == null) {
                    passthrough.add(t.deepCopy());
                    continue;
                }
                ArrayNode decls = Json.requireArray(declarations, p + ".functionDeclarations");
                for (int j = 0; j < decls.size(); j++) {
                    String dp = p + ".functionDeclarations[" + j + "]";
                    ObjectNode d = Json.requireObject(decls.get(j), dp);
                    JsonNode schema = Json.present(d, "parametersJsonSchema") ? d.get("parametersJsonSchema")
                            : d.get("parameters");
                    tools.add(new Tool(Json.requireString(d, "name", dp + ".name"),
                            Json.optString(d, "description", dp + ".description").orElse(""),
                            schema == null || schema.isNull() ? Json.object()
                                    : Json.requireObject(schema, dp + ".parameters").deepCopy()));
                }
            }
            if (!passthrough.isEmpty()) {
                extra.set("tools", passthrough);
            }
        }
        Optional<ToolChoice> toolChoice = Optional.empty();
        if (Json.present(req, "toolConfig")) {
            ObjectNode config = Json.requireObject(req.get("toolConfig"), "toolConfig");
            if (Json.present(config, "functionCallingConfig")) {
                ObjectNode fc = Json.requireObject(config.get("functionCallingConfig"),
                        "toolConfig.functionCallingConfig");
                String mode = Json.optString(fc, "mode", "toolConfig.functionCallingConfig.mode").orElse("AUTO");
                JsonNode allowed = fc.path("allowedFunctionNames");
                toolChoice = Optional.of(switch (mode) {
                    case "NONE" -> new ToolChoice.None();
                    case "ANY" -> allowed.size() == 1 ? new ToolChoice.Named(allowed.get(0).asText())
                            : new ToolChoice.Required();
                    default -> new ToolChoice.Auto();
                });
            }
            ObjectNode rest = Json.rest(config, Set.of("functionCallingConfig"));
            if (!rest.isEmpty()) {
                extra.set("toolConfig", rest);
            }
        }
        OptionalInt maxTokens = OptionalInt.empty();
        Optional<Double> temperature = Optional.empty();
        Optional<Double> topP = Optional.empty();
        Optional<Long> seed = Optional.empty();
        Optional<JsonNode> responseFormat = Optional.empty();
        List<String> stop = new ArrayList<>();
        if (Json.present(req, "generationConfig")) {
            ObjectNode gc = Json.requireObject(req.get("generationConfig"), "generationConfig");
            maxTokens = Json.optNonNegativeInt(gc, "maxOutputTokens", "generationConfig.maxOutputTokens");
            temperature = Json.optNumber(gc, "temperature", "generationConfig.temperature");
            topP = Json.optNumber(gc, "topP", "generationConfig.topP");
            seed = Json.optLong(gc, "seed", "generationConfig.seed");
            if (Json.present(gc, "stopSequences")) {
                ArrayNode seqs = Json.requireArray(gc.get("stopSequences"), "generationConfig.stopSequences");
                seqs.forEach(s -> stop.add(s.asText()));
            }
            JsonNode schema = Json.present(gc, "responseJsonSchema") ? gc.get("responseJsonSchema")
                    : gc.get("responseSchema");
            if (schema != null && schema.isObject()) {
                ObjectNode rf = Json.object().put("type", "json_schema");
                rf.putObject("json_schema").put("name", "response").set("schema", schema.deepCopy());
                responseFormat = Optional.of(rf);
            } else if (gc.path("responseMimeType").asText().equals("application/json")) {
                responseFormat = Optional.of(Json.object().put("type", "json_object"));
            }
            ObjectNode rest = Json.rest(gc, CONSUMED_GENERATION);
            if (!rest.isEmpty()) {
                extra.set("generationConfig", rest);
            }
        }
        return new ChatRequest(model, messages, tools, toolChoice, maxTokens, temperature, topP, stop, seed,
                responseFormat, stream, true, "", GEMINI, extra);
    }

    private static void parseContent(JsonNode node, String p, List<Message> out,
            Map<String, Deque<String>> unanswered) {
        ObjectNode c = Json.requireObject(node, p);
        String role = Json.optString(c, "role", p + ".role").orElse("user");
        Role neutral = switch (role) {
            case "user", "function" -> Role.USER;
            case "model" -> Role.ASSISTANT;
            default -> throw new FormatException(p + ".role", "role must be user or model, not '" + role + "'");
        };
        ArrayNode parts = Json.requireArray(c.get("parts"), p + ".parts");
        List<Part> pending = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String pp = p + ".parts[" + i + "]";
            ObjectNode part = Json.requireObject(parts.get(i), pp);
            String signature = part.path("thoughtSignature").asText("");
            if (part.has("text")) {
                String text = Json.requireString(part, "text", pp + ".text");
                if (part.path("thought").asBoolean(false)) {
                    pending.add(new Part.Thinking(text, ""));
                } else {
                    pending.add(new Part.Text(text));
                }
            } else if (part.has("inlineData") || part.has("inline_data")) {
                ObjectNode data = Json.requireObject(part.has("inlineData") ? part.get("inlineData")
                        : part.get("inline_data"), pp + ".inlineData");
                String mime = data.has("mimeType") ? Json.requireString(data, "mimeType", pp + ".inlineData.mimeType")
                        : Json.requireString(data, "mime_type", pp + ".inlineData.mimeType");
                pending.add(new Part.Image(Media.dataUrl(mime, Json.requireString(data, "data", pp + ".inlineData.data")),
                        "auto"));
            } else if (part.has("fileData")) {
                ObjectNode data = Json.requireObject(part.get("fileData"), pp + ".fileData");
                pending.add(new Part.Image(Json.requireString(data, "fileUri", pp + ".fileData.fileUri"), "auto"));
            } else if (part.has("functionCall")) {
                ObjectNode call = Json.requireObject(part.get("functionCall"), pp + ".functionCall");
                String name = Json.requireString(call, "name", pp + ".functionCall.name");
                String id = signature.isEmpty() && Json.present(call, "id") ? call.get("id").asText()
                        : toolCallId(signature);
                unanswered.computeIfAbsent(name, k -> new ArrayDeque<>()).add(id);
                JsonNode args = call.get("args");
                pending.add(new Part.ToolCall(id, name, Json.write(args == null || args.isNull() ? Json.object() : args)));
            } else if (part.has("functionResponse")) {
                ObjectNode response = Json.requireObject(part.get("functionResponse"), pp + ".functionResponse");
                String name = Json.requireString(response, "name", pp + ".functionResponse.name");
                Deque<String> ids = unanswered.getOrDefault(name, new ArrayDeque<>());
                String id = Json.present(response, "id") && ids.remove(response.get("id").asText())
                        ? response.get("id").asText()
                        : ids.isEmpty() ? name : ids.poll();
                if (!pending.isEmpty()) {
                    out.add(new Message(neutral, pending, ""));
                    pending = new ArrayList<>();
                }
                JsonNode result = response.path("response");
                out.add(new Message(Role.TOOL, List.of(new Part.ToolResult(id,
                        result.isMissingNode() ? "" : Json.write(result), false)), ""));
            } else {
                throw new FormatException(pp, "part '" + String.join(",", (Iterable<String>) part::fieldNames)
                        + "' is not supported by the gateway's neutral model");
            }
        }
        if (!pending.isEmpty() || parts.isEmpty()) {
            out.add(new Message(neutral, pending, ""));
        }
    }

    /** Writes the body of a Gemini request; the model ({@code upstreamModel}) belongs in the URL and is not written. */
    @Override
    public ObjectNode writeRequest(ChatRequest req, String upstreamModel) {
        boolean sameFormat = GEMINI.equals(req.sourceFormat());
        ObjectNode out = Json.object();
        Map<String, String> toolNames = new HashMap<>();
        List<String> system = new ArrayList<>();
        for (Message m : req.messages()) {
            for (Part p : m.parts()) {
                if (p instanceof Part.ToolCall c) {
                    toolNames.put(c.id(), c.name());
                } else if (m.role() == Role.SYSTEM && p instanceof Part.Text t) {
                    system.add(t.text());
                }
            }
        }
        ArrayNode contents = out.putArray("contents");
        ArrayNode lastParts = null;
        boolean lastHoldsResults = false;
        for (Message m : req.messages()) {
            if (m.role() == Role.SYSTEM) {
                continue;
            }
            ArrayNode parts = parts(m, toolNames);
            if (parts.isEmpty()) {
                continue;
            }
            // the responses to one turn's function calls (one neutral TOOL message each) share one user content
            if (lastHoldsResults && m.role() != Role.ASSISTANT) {
                lastParts.addAll(parts);
                continue;
            }
            lastParts = contents.addObject().put("role", m.role() == Role.ASSISTANT ? "model" : "user")
                    .putArray("parts");
            lastParts.addAll(parts);
            lastHoldsResults = m.role() == Role.TOOL;
        }
        // Gemini 3 rejects a model turn whose first function call has no thought signature
        for (JsonNode content : contents) {
            if (content.path("role").asText().equals("model")) {
                for (JsonNode part : content.path("parts")) {
                    if (part.has("functionCall")) {
                        if (!part.has("thoughtSignature")) {
                            ((ObjectNode) part).put("thoughtSignature", SKIP_SIGNATURE);
                        }
                        break;
                    }
                }
            }
        }
        if (!system.isEmpty()) {
            ArrayNode parts = out.putObject("systemInstruction").putArray("parts");
            system.forEach(s -> parts.addObject().put("text", s));
        }
        if (!req.tools().isEmpty() || (sameFormat && req.extra().has("tools"))) {
            ArrayNode tools = out.putArray("tools");
            if (!req.tools().isEmpty()) {
                ArrayNode decls = tools.addObject().putArray("functionDeclarations");
                for (Tool t : req.tools()) {
                    ObjectNode d = decls.addObject().put("name", t.name());
                    if (!t.description().isEmpty()) {
                        d.put("description", t.description());
                    }
                    if (!t.parameters().isEmpty()) {
                        d.set("parametersJsonSchema", t.parameters().deepCopy());
                    }
                }
            }
            if (sameFormat && req.extra().path("tools").isArray()) {
                req.extra().get("tools").forEach(t -> tools.add(t.deepCopy()));
            }
        }
        ObjectNode toolConfig = sameFormat && req.extra().path("toolConfig").isObject()
                ? (ObjectNode) req.extra().get("toolConfig").deepCopy() : Json.object();
        req.toolChoice().ifPresent(tc -> {
            ObjectNode fc = toolConfig.putObject("functionCallingConfig");
            switch (tc) {
                case ToolChoice.Auto a -> fc.put("mode", "AUTO");
                case ToolChoice.None n -> fc.put("mode", "NONE");
                case ToolChoice.Required r -> fc.put("mode", "ANY");
                case ToolChoice.Named named -> {
                    fc.put("mode", "ANY");
                    fc.putArray("allowedFunctionNames").add(named.name());
                }
            }
        });
        if (!toolConfig.isEmpty()) {
            out.set("toolConfig", toolConfig);
        }
        ObjectNode gc = sameFormat && req.extra().path("generationConfig").isObject()
                ? (ObjectNode) req.extra().get("generationConfig").deepCopy() : Json.object();
        req.maxTokens().ifPresent(n -> gc.put("maxOutputTokens", n));
        req.temperature().ifPresent(t -> gc.put("temperature", t));
        req.topP().ifPresent(t -> gc.put("topP", t));
        if (!req.stop().isEmpty()) {
            ArrayNode stop = gc.putArray("stopSequences");
            req.stop().forEach(stop::add);
        }
        req.seed().ifPresent(s -> gc.put("seed", s));
        req.responseFormat().ifPresent(rf -> {
            String type = rf.path("type").asText();
            if (type.equals("json_schema") && rf.path("json_schema").path("schema").isObject()) {
                gc.put("responseMimeType", "application/json");
                gc.set("responseJsonSchema", rf.path("json_schema").path("schema").deepCopy());
            } else if (type.equals("json_object")) {
                gc.put("responseMimeType", "application/json");
            }
        });
        if (!gc.isEmpty()) {
            out.set("generationConfig", gc);
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

    private static ArrayNode parts(Message m, Map<String, String> toolNames) {
        ArrayNode parts = Json.array();
        for (Part part : m.parts()) {
            switch (part) {
                case Part.Text t -> parts.addObject().put("text", t.text());
                case Part.Image img -> {
                    Optional<Media.Inline> inline = Media.inline(img.url());
                    if (inline.isPresent()) {
                        parts.addObject().putObject("inlineData").put("mimeType", inline.get().mediaType())
                                .put("data", inline.get().base64());
                    } else {
                        parts.addObject().putObject("fileData").put("mimeType", Media.guessMediaType(img.url()))
                                .put("fileUri", img.url());
                    }
                }
                case Part.ToolCall c -> {
                    ObjectNode p = parts.addObject();
                    p.putObject("functionCall").put("name", c.name()).set("args", Json.toolArguments(c, "Gemini requires as function call args"));
                    signatureOf(c.id()).ifPresent(s -> p.put("thoughtSignature", s));
                }
                case Part.ToolResult r -> {
                    ObjectNode response = parts.addObject().putObject("functionResponse");
                    response.put("name", toolNames.getOrDefault(r.toolCallId(), r.toolCallId()));
                    Optional<JsonNode> parsed = Json.parse(r.content());
                    if (!r.error() && parsed.isPresent() && parsed.get().isObject()) {
                        response.set("response", parsed.get());
                    } else {
                        response.putObject("response").put(r.error() ? "error" : "result", r.content());
                    }
                }
                case Part.Thinking th -> {
                    // thought text is not sent back to Gemini; function-call signatures travel in the call id
                }
            }
        }
        return parts;
    }

    // ---------------------------------------------------------------- responses

    @Override
    public ParsedResponse parseResponse(JsonNode body) {
        ObjectNode res = Json.requireObject(body, "");
        throwIfError(res);
        JsonNode candidate = res.path("candidates").path(0);
        List<Part> content = new ArrayList<>();
        boolean calls = false;
        for (JsonNode part : candidate.path("content").path("parts")) {
            if (part.has("functionCall")) {
                JsonNode call = part.get("functionCall");
                JsonNode args = call.path("args");
                content.add(new Part.ToolCall(toolCallId(part.path("thoughtSignature").asText("")),
                        call.path("name").asText(""), Json.write(args.isObject() ? args : Json.object())));
                calls = true;
            } else if (part.path("text").isTextual()) {
                String text = part.get("text").asText();
                if (part.path("thought").asBoolean(false)) {
                    content.add(new Part.Thinking(text, ""));
                } else if (!text.isEmpty()) {
                    content.add(new Part.Text(text));
                }
            }
        }
        StopReason stop = res.path("promptFeedback").has("blockReason") && candidate.isMissingNode()
                ? StopReason.CONTENT_FILTER
                : stopReason(candidate.path("finishReason").asText(null));
        if (calls && stop == StopReason.STOP) {
            stop = StopReason.TOOL_CALLS;
        }
        boolean reported = hasCounts(res.path("usageMetadata"));
        Usage usage = reported ? UsageParser.gemini(res.get("usageMetadata")) : Usage.NONE;
        String id = res.path("responseId").asText("");
        return new ParsedResponse(new ChatResponse(id.isEmpty() ? Ids.geminiResponse() : id,
                res.path("modelVersion").asText(""), content, stop, usage, clock.instant().getEpochSecond()), reported);
    }

    private static boolean hasCounts(JsonNode usageMetadata) {
        return usageMetadata.isObject() && (usageMetadata.has("promptTokenCount")
                || usageMetadata.has("candidatesTokenCount") || usageMetadata.has("totalTokenCount"));
    }

    @Override
    public ObjectNode writeResponse(ChatResponse resp, String clientModel) {
        ObjectNode out = Json.object();
        ObjectNode candidate = out.putArray("candidates").addObject();
        ArrayNode parts = candidate.putObject("content").put("role", "model").putArray("parts");
        for (Part part : resp.content()) {
            switch (part) {
                case Part.Text t -> parts.addObject().put("text", t.text());
                case Part.Thinking th -> {
                    if (!th.text().isEmpty()) {
                        parts.addObject().put("text", th.text()).put("thought", true);
                    }
                }
                case Part.ToolCall c -> {
                    ObjectNode p = parts.addObject();
                    p.putObject("functionCall").put("name", c.name())
                            .set("args", AnthropicMessagesFormat.responseToolInput(c.arguments()));
                    signatureOf(c.id()).ifPresent(s -> p.put("thoughtSignature", s));
                }
                default -> {
                    // images and tool results never appear in a response
                }
            }
        }
        candidate.put("finishReason", stopReason(resp.stopReason()));
        candidate.put("index", 0);
        out.set("usageMetadata", usageJson(resp.usage()));
        out.put("modelVersion", clientModel);
        out.put("responseId", geminiId(resp.id()));
        return out;
    }

    static String geminiId(String id) {
        return id.isEmpty() || id.startsWith("chatcmpl-") || id.startsWith("msg_") ? Ids.geminiResponse() : id;
    }

    /** Gemini's usageMetadata: candidates exclude thoughts; the prompt count includes cached content. */
    public static ObjectNode usageJson(Usage usage) {
        ObjectNode u = Json.object();
        u.put("promptTokenCount", usage.inputTokens());
        u.put("candidatesTokenCount", usage.visibleOutputTokens());
        u.put("totalTokenCount", usage.totalTokens());
        if (usage.reasoningTokens() > 0) {
            u.put("thoughtsTokenCount", usage.reasoningTokens());
        }
        if (usage.cacheReadTokens() > 0) {
            u.put("cachedContentTokenCount", usage.cacheReadTokens());
        }
        return u;
    }

    static void throwIfError(JsonNode body) {
        JsonNode error = body.get("error");
        if (error != null && error.isObject()) {
            throw new ProviderErrorException(error.path("code").asInt(502), error.path("status").asText("UNKNOWN"),
                    error.path("message").asText("the provider reported an error"));
        }
    }

    // ---------------------------------------------------------------- stop reasons and errors

    @Override
    public String stopReason(StopReason reason) {
        return switch (reason) {
            case STOP, TOOL_CALLS -> "STOP";
            case LENGTH -> "MAX_TOKENS";
            case CONTENT_FILTER -> "SAFETY";
            case UNKNOWN -> "OTHER";
        };
    }

    @Override
    public StopReason stopReason(String wireReason) {
        if (wireReason == null) {
            return StopReason.UNKNOWN;
        }
        return switch (wireReason) {
            case "STOP" -> StopReason.STOP;
            case "MAX_TOKENS" -> StopReason.LENGTH;
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
                    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "LANGUAGE" -> StopReason.CONTENT_FILTER;
            default -> StopReason.UNKNOWN;
        };
    }

    @Override
    public ObjectNode error(int httpStatus, String type, String message, String param, String code) {
        ObjectNode out = Json.object();
        out.putObject("error").put("code", httpStatus).put("message", message)
                .put("status", type.isEmpty() ? errorType(httpStatus) : type);
        return out;
    }

    @Override
    public String errorType(int httpStatus) {
        return switch (httpStatus) {
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 409 -> "ABORTED";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 501 -> "UNIMPLEMENTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> httpStatus >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
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

    /**
     * Reads {@code alt=sse} chunks. Gemini sends no closing event, so the finish and the usage (cumulative in
     * every chunk; the latest wins) come from {@link #end()}. Function calls arrive whole, or (Gemini 3 with
     * streamed arguments) as a name followed by {@code partialArgs} addressed by JSON path; those are
     * assembled and emitted as one arguments delta when the call closes.
     */
    private static final class Decoder implements StreamDecoder {
        private final GeminiFormat format;
        private boolean started;
        private boolean ended;
        private int toolCount;
        private boolean sawToolCall;
        private String finishReason;
        private boolean blocked;
        private JsonNode usage;
        private int openCall = -1;
        private ObjectNode openArgs;

        Decoder(GeminiFormat format) {
            this.format = format;
        }

        @Override
        public List<ChatEvent> decode(String event, String data) {
            List<ChatEvent> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            JsonNode chunk = Json.readEvent(data);
            throwIfError(chunk);
            if (!started) {
                started = true;
                String id = chunk.path("responseId").asText("");
                out.add(new ChatEvent.Start(id.isEmpty() ? Ids.geminiResponse() : id,
                        chunk.path("modelVersion").asText(""), format.clock.instant().getEpochSecond()));
            }
            if (hasCounts(chunk.path("usageMetadata"))) {
                usage = chunk.get("usageMetadata");
            }
            if (chunk.path("promptFeedback").has("blockReason")) {
                blocked = true;
            }
            for (JsonNode candidate : chunk.path("candidates")) {
                if (candidate.path("index").asInt(0) != 0) {
                    continue;
                }
                for (JsonNode part : candidate.path("content").path("parts")) {
                    decodePart(part, out);
                }
                String reason = candidate.path("finishReason").asText(null);
                if (reason != null) {
                    finishReason = reason;
                    closeCall(out);
                }
            }
            return out;
        }

        private void decodePart(JsonNode part, List<ChatEvent> out) {
            if (part.has("functionCall")) {
                JsonNode call = part.get("functionCall");
                boolean more = call.path("willContinue").asBoolean(false);
                if (!call.path("name").asText("").isEmpty()) {
                    closeCall(out);
                    int n = toolCount++;
                    sawToolCall = true;
                    out.add(new ChatEvent.ToolCallStart(n, toolCallId(part.path("thoughtSignature").asText("")),
                            call.get("name").asText()));
                    ObjectNode args = call.path("args").isObject() ? (ObjectNode) call.get("args").deepCopy()
                            : Json.object();
                    openCall = n;
                    openArgs = args;
                    applyPartialArgs(call.path("partialArgs"));
                    if (!more) {
                        closeCall(out);
                    }
                } else if (openCall >= 0) {
                    applyPartialArgs(call.path("partialArgs"));
                    if (!more) {
                        closeCall(out);
                    }
                }
                return;
            }
            if (part.path("text").isTextual() && !part.get("text").asText().isEmpty()) {
                closeCall(out);
                String text = part.get("text").asText();
                out.add(part.path("thought").asBoolean(false) ? new ChatEvent.ThinkingDelta(text, "")
                        : new ChatEvent.TextDelta(text));
            }
        }

        private void applyPartialArgs(JsonNode partials) {
            for (JsonNode partial : partials) {
                List<Object> path = jsonPath(partial.path("jsonPath").asText("$"));
                JsonNode value;
                if (partial.has("stringValue")) {
                    JsonNode existing = get(openArgs, path);
                    String prefix = existing != null && existing.isTextual() ? existing.asText() : "";
                    value = Json.NODES.textNode(prefix + partial.get("stringValue").asText());
                } else if (partial.has("numberValue")) {
                    value = partial.get("numberValue");
                } else if (partial.has("boolValue")) {
                    value = partial.get("boolValue");
                } else if (partial.has("nullValue")) {
                    value = Json.NODES.nullNode();
                } else {
                    continue;
                }
                set(openArgs, path, value);
            }
        }

        private void closeCall(List<ChatEvent> out) {
            if (openCall >= 0) {
                out.add(new ChatEvent.ToolCallDelta(openCall, Json.write(openArgs)));
                openCall = -1;
                openArgs = null;
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
                out.add(new ChatEvent.Start(Ids.geminiResponse(), "", format.clock.instant().getEpochSecond()));
            }
            closeCall(out);
            StopReason stop = blocked && finishReason == null ? StopReason.CONTENT_FILTER
                    : format.stopReason(finishReason);
            if (sawToolCall && stop == StopReason.STOP) {
                stop = StopReason.TOOL_CALLS;
            }
            out.add(new ChatEvent.Finish(stop));
            if (usage != null) {
                out.add(new ChatEvent.UsageReport(UsageParser.gemini(usage)));
            }
            return out;
        }

        @Override
        public boolean usageReported() {
            return usage != null;
        }
    }

    /** Splits a JSON path such as {@code $.a.b[0].c} into field names and array indexes. */
    static List<Object> jsonPath(String path) {
        List<Object> steps = new ArrayList<>();
        int i = path.startsWith("$") ? 1 : 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < path.length() && path.charAt(j) != '.' && path.charAt(j) != '[') {
                    j++;
                }
                steps.add(path.substring(i + 1, j));
                i = j;
            } else if (c == '[') {
                int close = path.indexOf(']', i);
                String inside = path.substring(i + 1, close < 0 ? path.length() : close);
                if (inside.startsWith("'") || inside.startsWith("\"")) {
                    steps.add(inside.substring(1, inside.length() - 1));
                } else {
                    steps.add(Integer.parseInt(inside.trim()));
                }
                i = close < 0 ? path.length() : close + 1;
            } else {
                int j = i;
                while (j < path.length() && path.charAt(j) != '.' && path.charAt(j) != '[') {
                    j++;
                }
                steps.add(path.substring(i, j));
                i = j;
            }
        }
        return steps;
    }

    private static JsonNode get(JsonNode root, List<Object> path) {
        JsonNode node = root;
        for (Object step : path) {
            node = step instanceof Integer i ? node.get(i) : node.get((String) step);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    private static void set(ObjectNode root, List<Object> path, JsonNode value) {
        if (path.isEmpty()) {
            return;
        }
        JsonNode node = root;
        for (int k = 0; k < path.size(); k++) {
            Object step = path.get(k);
            boolean last = k == path.size() - 1;
            JsonNode child = last ? value : (path.get(k + 1) instanceof Integer ? Json.array() : Json.object());
            if (step instanceof Integer index && node instanceof ArrayNode arr) {
                while (arr.size() <= index) {
                    arr.addNull();
                }
                if (last || arr.get(index).isNull()) {
                    arr.set(index, child);
                }
                node = arr.get(index);
            } else if (step instanceof String field && node instanceof ObjectNode obj) {
                if (last || !obj.has(field) || !obj.get(field).isContainerNode()) {
                    obj.set(field, child);
                }
                node = obj.get(field);
            } else {
                return;
            }
        }
    }

    /** Writes {@code alt=sse} chunks; function calls are sent whole in the closing chunk, as Gemini sends them. */
    private static final class Encoder implements StreamEncoder {
        private final GeminiFormat format;
        private final String model;
        private final Map<Integer, String> callNames = new HashMap<>();
        private final Map<Integer, String> callIds = new HashMap<>();
        private final Map<Integer, StringBuilder> callArgs = new HashMap<>();
        private String id = "";
        private boolean ended;
        private StopReason stop = StopReason.UNKNOWN;
        private Usage usage;

        Encoder(GeminiFormat format, String model) {
            this.format = format;
            this.model = model;
        }

        @Override
        public List<String> encode(ChatEvent event) {
            List<String> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            if (id.isEmpty()) {
                id = event instanceof ChatEvent.Start s ? geminiId(s.id()) : Ids.geminiResponse();
            }
            switch (event) {
                case ChatEvent.Start s -> {
                    // Gemini has no opening event; every chunk names the response
                }
                case ChatEvent.TextDelta t -> out.add(frame(chunk(Json.array().add(Json.object().put("text", t.text())))));
                case ChatEvent.ThinkingDelta th -> {
                    if (!th.text().isEmpty()) {
                        out.add(frame(chunk(Json.array().add(Json.object().put("text", th.text()).put("thought", true)))));
                    }
                }
                case ChatEvent.ToolCallStart tc -> {
                    callNames.put(tc.index(), tc.name());
                    callIds.put(tc.index(), tc.id());
                    callArgs.put(tc.index(), new StringBuilder());
                }
                case ChatEvent.ToolCallDelta td -> callArgs.computeIfAbsent(td.index(), k -> new StringBuilder())
                        .append(td.argumentsDelta());
                case ChatEvent.Finish f -> stop = f.reason();
                case ChatEvent.UsageReport u -> usage = u.usage();
            }
            return out;
        }

        private ObjectNode chunk(ArrayNode parts) {
            ObjectNode c = Json.object();
            ObjectNode candidate = c.putArray("candidates").addObject();
            candidate.putObject("content").put("role", "model").set("parts", parts);
            candidate.put("index", 0);
            return c;
        }

        @Override
        public List<String> end() {
            List<String> out = new ArrayList<>();
            if (ended) {
                return out;
            }
            ended = true;
            if (id.isEmpty()) {
                id = Ids.geminiResponse();
            }
            ArrayNode parts = Json.array();
            callNames.keySet().stream().sorted().forEach(i -> {
                ObjectNode p = parts.addObject();
                p.putObject("functionCall").put("name", callNames.get(i))
                        .set("args", AnthropicMessagesFormat.responseToolInput(callArgs.get(i).toString()));
                signatureOf(callIds.get(i)).ifPresent(s -> p.put("thoughtSignature", s));
            });
            if (parts.isEmpty()) {
                parts.addObject().put("text", "");
            }
            ObjectNode last = chunk(parts);
            ((ObjectNode) last.get("candidates").get(0)).put("finishReason", format.stopReason(stop));
            if (usage != null) {
                last.set("usageMetadata", usageJson(usage));
            }
            out.add(frame(last));
            return out;
        }

        private String frame(ObjectNode chunk) {
            chunk.put("modelVersion", model);
            chunk.put("responseId", id);
            return "data: " + Json.write(chunk) + "\n\n";
        }
    }
}
