package dev.tokenrt.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.tokens.ModelData.ChatFraming;
import dev.tokenrt.tokens.ModelData.ImageRule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Counts the prompt tokens of an OpenAI chat-completions request body as OpenAI bills them ({@code usage.prompt_tokens}),
 * before the request is sent: budgets reserve on it and context fitting trims by it.
 *
 * <h2>The rule, and where each part comes from</h2>
 * Text is counted with the model's tiktoken encoding (plain text: special-token strings count as text). On top:
 * <ul>
 * <li>every message costs {@code tokensPerMessage} (3) plus its role, content and name; a name costs
 *     {@code tokensPerName} (1) more ({@code gpt-3.5-turbo-0301}: 4 and -1); the reply is primed with 3 tokens.
 *     Source: OpenAI cookbook, "How to count tokens with tiktoken" (129 / 124 prompt tokens for its example).</li>
 * <li>functions / tools: the definitions are rendered as the TypeScript-like {@code namespace functions} that OpenAI
 *     injects into the prompt ({@link FunctionDefinitions}) and counted as text, plus 9; when the request has a system
 *     message, the first one gets a trailing newline (if it has none) and 4 tokens are taken off; a {@code function}
 *     (or {@code tool}) message costs 2 less; a function call in an assistant message costs its name, its arguments
 *     and 3; {@code function_call}/{@code tool_choice} "none" adds 1, a named function its name plus 4, "auto" nothing.
 *     Source: measured against the API by hmarr/openai-chat-tokens and niieani/gpt-tokenizer
 *     ({@code src/functionCalling.ts}); its 32 API-measured cases pass here with gpt-4o (o200k_base).</li>
 * </ul>
 * The cookbook counts tools differently, with per-function constants (func_init 7 or 10, prop_key 3, enum_item 3,
 * func_end 12) fitted to its one example. The namespace rendering above also gives that example's 105
 * (gpt-3.5-turbo, gpt-4) and 101 (gpt-4o, gpt-4o-mini) exactly, so one rule serves every family and there is no
 * branch by model for tools; the tests check both sources.
 *
 * <h2>Images</h2>
 * {@code image_url} parts follow OpenAI's "Calculating costs" (per-model constants in {@code openai-models.json}).
 * The size of a base64 {@code data:} URL image is read from its header; a remote URL's size is unknown, so it is
 * counted at the worst case for its detail and the result is marked not exact.
 *
 * <h2>When the result is not exact</h2>
 * Besides remote images: a model counted by a tokenizer registered with {@link Tokenizers#withModel} (OpenAI's framing
 * may not be that provider's), an inexact tokenizer, patch-billed images, several tool calls in one assistant message
 * (OpenAI renders parallel calls differently and no measured case covers them), a {@code tool_choice} of "required",
 * and tools that are not functions. Every one of these still gives the best count known.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTokenCounter {

    private final Tokenizers tokenizers;

    public ChatTokenCounter(Tokenizers tokenizers) {
        this.tokenizers = Objects.requireNonNull(tokenizers, "tokenizers");
    }

    /**
     * The prompt tokens of {@code request} (a chat-completions request body) for {@code model}.
     *
     * @throws IllegalArgumentException for an unknown model, or a request that is not a chat-completions body
     *                                  (the message names the problem and where it is)
     */
    public TokenCount countPrompt(String model, JsonNode request) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(request, "request");
        Tokenizer tokenizer = tokenizers.forModelOrThrow(model);
        ModelData data = tokenizers.data();
        String normalised = data.normalise(model);
        ChatFraming f = data.framing().find(normalised).orElse(data.defaultFraming());
        Count count = new Count(tokenizer, tokenizers.isOpenAiModel(model) && tokenizer.exact());

        if (!request.isObject()) {
            throw new IllegalArgumentException("request must be a JSON object, not " + request.getNodeType());
        }
        JsonNode messages = request.get("messages");
        if (messages == null || !messages.isArray()) {
            throw new IllegalArgumentException("request has no 'messages' array");
        }
        List<JsonNode> functions = functions(request, count);
        boolean hasFunctions = !functions.isEmpty();

        boolean systemSeen = false;
        Map<String, String> toolCallNames = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String where = "messages[" + i + "]";
            if (!message.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            String role = requiredText(message, "role", where);
            boolean padSystem = hasFunctions && !systemSeen && role.equals("system");
            systemSeen |= role.equals("system");
            countMessage(message, role, where, padSystem, f, count, toolCallNames, data, normalised);
        }
        count.add(f.replyPriming());

        if (hasFunctions) {
            count.text(FunctionDefinitions.render(functions));
            count.add(f.functionDefinitionsOverhead());
            if (systemSeen) {
                count.add(-f.systemWithFunctionsDeduction());
            }
        }
        countChoice(request.get("function_call"), "function_call", f, count);
        countChoice(request.get("tool_choice"), "tool_choice", f, count);
        return count.result();
    }

    private void countMessage(JsonNode message, String role, String where, boolean padSystem, ChatFraming f,
                              Count count, Map<String, String> toolCallNames, ModelData data, String model) {
        count.add(f.tokensPerMessage());
        count.text(role);

        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            // An assistant message that only calls tools has no content.
        } else if (content.isTextual()) {
            count.text(padSystem ? padded(content.asText()) : content.asText());
        } else if (content.isArray()) {
            countParts(content, where, padSystem, count, data, model);
        } else {
            throw new IllegalArgumentException(where + ".content must be a string or an array of parts");
        }

        String name = optionalText(message, "name", where);
        if (role.equals("tool")) {
            // A tool result is a function result whose name is the called function's (found through its call id).
            String id = optionalText(message, "tool_call_id", where);
            String called = toolCallNames.get(id);
            if (called != null) {
                name = called;
            } else {
                count.inexact();
            }
        }
        if (!name.isEmpty()) {
            count.text(name);
            count.add(f.tokensPerName());
        }

        JsonNode functionCall = message.get("function_call");
        if (functionCall != null && !functionCall.isNull()) {
            countCall(functionCall, where + ".function_call", f, count);
        }
        JsonNode toolCalls = message.get("tool_calls");
        if (toolCalls != null && !toolCalls.isNull()) {
            if (!toolCalls.isArray()) {
                throw new IllegalArgumentException(where + ".tool_calls must be an array");
            }
            if (toolCalls.size() > 1) {
                count.inexact();
            }
            for (int j = 0; j < toolCalls.size(); j++) {
                JsonNode call = toolCalls.get(j);
                String callWhere = where + ".tool_calls[" + j + "]";
                JsonNode fn = call.get("function");
                if (fn == null || !fn.isObject()) {
                    count.inexact();
                    count.text(call.toString());
                    continue;
                }
                String id = optionalText(call, "id", callWhere);
                if (!id.isEmpty()) {
                    toolCallNames.put(id, optionalText(fn, "name", callWhere + ".function"));
                }
                countCall(fn, callWhere + ".function", f, count);
            }
        }
        if (role.equals("function") || role.equals("tool")) {
            count.add(-f.functionRoleDiscount());
        }
    }

    private static void countCall(JsonNode call, String where, ChatFraming f, Count count) {
        if (!call.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        count.text(optionalText(call, "name", where));
        count.text(optionalText(call, "arguments", where));
        count.add(f.functionCallOverhead());
    }

    private void countParts(JsonNode parts, String where, boolean padSystem, Count count, ModelData data,
                            String model) {
        int lastText = -1;
        for (int k = 0; k < parts.size(); k++) {
            if ("text".equals(parts.get(k).path("type").asText())) {
                lastText = k;
            }
        }
        for (int k = 0; k < parts.size(); k++) {
            JsonNode part = parts.get(k);
            String partWhere = where + ".content[" + k + "]";
            if (!part.isObject()) {
                throw new IllegalArgumentException(partWhere + " must be an object");
            }
            String type = requiredText(part, "type", partWhere);
            switch (type) {
                case "text" -> {
                    String text = requiredText(part, "text", partWhere);
                    count.text(padSystem && k == lastText ? padded(text) : text);
                }
                case "refusal" -> count.text(requiredText(part, "refusal", partWhere));
                case "image_url" -> count.add(image(part, partWhere, data, model));
                default -> throw new IllegalArgumentException(partWhere + " has content part type '" + type
                        + "', which cannot be counted (text, refusal and image_url can)");
            }
        }
    }

    private static TokenCount image(JsonNode part, String where, ModelData data, String model) {
        JsonNode imageUrl = part.get("image_url");
        String url;
        ImageTokens.Detail detail = ImageTokens.Detail.AUTO;
        if (imageUrl != null && imageUrl.isTextual()) {
            url = imageUrl.asText();
        } else if (imageUrl != null && imageUrl.isObject()) {
            url = requiredText(imageUrl, "url", where + ".image_url");
            String d = optionalText(imageUrl, "detail", where + ".image_url");
            if (!d.isEmpty()) {
                detail = ImageTokens.Detail.parse(d);
            }
        } else {
            throw new IllegalArgumentException(where + ".image_url must be an object with a 'url'");
        }
        ImageRule rule = data.images().find(model).orElseThrow(() -> new IllegalArgumentException(
                where + " is an image, but model '" + model + "' has no image rule in openai-models.json"));
        return ImageTokens.tokens(rule, detail, ImageTokens.dimensionsOf(url));
    }

    /** {@code function_call} or {@code tool_choice}: "none" +1, "auto" 0, a named function its name + 4. */
    private static void countChoice(JsonNode choice, String field, ChatFraming f, Count count) {
        if (choice == null || choice.isNull()) {
            return;
        }
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "auto" -> { }
                case "none" -> count.add(f.functionCallNone());
                case "required" -> count.inexact();
                default -> throw new IllegalArgumentException(
                        field + " must be 'none', 'auto', 'required' or an object naming a function");
            }
            return;
        }
        if (!choice.isObject()) {
            throw new IllegalArgumentException(field + " must be a string or an object");
        }
        JsonNode fn = choice.has("function") ? choice.get("function") : choice;
        String name = fn.isObject() ? optionalText(fn, "name", field) : "";
        if (name.isEmpty()) {
            count.inexact();
            return;
        }
        count.text(name);
        count.add(f.functionCallNamedOverhead());
    }

    /** Legacy {@code functions} and {@code tools} of type function, in request order. */
    private static List<JsonNode> functions(JsonNode request, Count count) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode functions = request.get("functions");
        if (functions != null && !functions.isNull()) {
            if (!functions.isArray()) {
                throw new IllegalArgumentException("'functions' must be an array");
            }
            for (int i = 0; i < functions.size(); i++) {
                out.add(checkedFunction(functions.get(i), "functions[" + i + "]"));
            }
        }
        JsonNode tools = request.get("tools");
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw new IllegalArgumentException("'tools' must be an array");
            }
            for (int i = 0; i < tools.size(); i++) {
                JsonNode tool = tools.get(i);
                String where = "tools[" + i + "]";
                if (!tool.isObject()) {
                    throw new IllegalArgumentException(where + " must be an object");
                }
                if ("function".equals(tool.path("type").asText("function")) && tool.has("function")) {
                    out.add(checkedFunction(tool.get("function"), where + ".function"));
                } else {
                    // A built-in or custom tool: OpenAI's rendering of it is not known; count its JSON as a stand-in.
                    count.inexact();
                    count.text(tool.toString());
                }
            }
        }
        return out;
    }

    private static JsonNode checkedFunction(JsonNode fn, String where) {
        if (fn == null || !fn.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        requiredText(fn, "name", where);
        JsonNode parameters = fn.get("parameters");
        if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
            throw new IllegalArgumentException(where + ".parameters must be an object");
        }
        return fn;
    }

    private static String padded(String systemContent) {
        return systemContent.isEmpty() || systemContent.endsWith("\n") ? systemContent : systemContent + "\n";
    }

    private static String requiredText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(where + " needs a string '" + field + "'");
        }
        return v.asText();
    }

    private static String optionalText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + " must be a string");
        }
        return v.asText();
    }

    /** A running total and whether it is still exact. */
    private static final class Count {
        private final Tokenizer tokenizer;
        private long tokens;
        private boolean exact;

        Count(Tokenizer tokenizer, boolean exact) {
            this.tokenizer = tokenizer;
            this.exact = exact;
        }

        void text(String s) {
            if (!s.isEmpty()) {
                tokens += tokenizer.countTokens(s);
            }
        }

        void add(long n) {
            tokens += n;
        }

        void add(TokenCount c) {
            tokens += c.tokens();
            exact &= c.exact();
        }

        void inexact() {
            exact = false;
        }

        TokenCount result() {
            return new TokenCount(Math.max(0, tokens), exact);
        }
    }

    @Override
    public String toString() {
        return "ChatTokenCounter[" + tokenizers + "]";
    }
}
