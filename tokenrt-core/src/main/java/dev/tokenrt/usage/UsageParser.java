package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.tokenrt.usage.JsonCounts.count;
import static dev.tokenrt.usage.JsonCounts.countOrZero;
import static dev.tokenrt.usage.JsonCounts.hasAny;
import static dev.tokenrt.usage.JsonCounts.object;
import static dev.tokenrt.usage.JsonCounts.required;
import static dev.tokenrt.usage.JsonCounts.requireObject;

/**
 * Turns the usage a provider reports into the neutral, inclusive {@link Usage}. This is the one place that knows
 * which provider figures include which others, so that cached tokens are neither counted twice nor dropped and
 * reasoning tokens are counted once, whatever the provider.
 *
 * <p>Every figure comes back with {@link UsageSource#PROVIDER}. Malformed figures (negative, fractional, textual,
 * a subset larger than its total) raise {@link IllegalArgumentException} with the offending field named: a
 * settlement that silently used a wrong number would be worse than one that fails and falls back to local counts.
 */
public final class UsageParser {

    private static final String[] ANTHROPIC_MARKERS = {
        "cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation", "server_tool_use",
        "service_tier", "inference_geo", "iterations"};
    private static final String[] OPENAI_RESPONSES_MARKERS = {"input_tokens_details", "total_tokens"};
    private static final String[] GEMINI_COUNTS = {
        "promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount",
        "cachedContentTokenCount", "totalTokenCount", "responseTokenCount"};
    private static final String[] GEMINI_INTERACTIONS_COUNTS = {
        "total_input_tokens", "total_output_tokens", "total_thought_tokens", "total_tool_use_tokens",
        "total_cached_tokens"};
    /** Objects that wrap a response, in stream events: Responses API events, Anthropic message_start, Interactions. */
    private static final String[] WRAPPERS = {"response", "message", "interaction"};

    private UsageParser() {
    }

    /** A usage object recognised by its shape, with the format it was read as. */
    public record Detected(UsageFormat format, Usage usage) {
        public Detected {
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(usage, "usage");
        }

        /** The format's stable name, e.g. {@code openai-chat}. */
        public String formatName() {
            return format.wireName();
        }
    }

    /**
     * One sampling iteration inside an Anthropic request ({@code usage.iterations[]}). Anthropic reports compaction
     * and advisor iterations here and leaves them out of the top-level figures, although they are billed (an
     * advisor iteration at its own model's price); callers that charge must read them too.
     *
     * @param type  {@code message}, {@code compaction}, {@code advisor_message}, {@code fallback_message}, ...
     * @param model the model that ran the iteration when Anthropic names it (advisor and fallback iterations)
     * @param usage the iteration's usage, read with the same rules as the top-level object
     */
    public record AnthropicIteration(String type, Optional<String> model, Usage usage) {
        public AnthropicIteration {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(usage, "usage");
        }
    }

    /**
     * Reads an OpenAI usage object of either API.
     *
     * <ul>
     *   <li>Chat Completions: {@code prompt_tokens} includes {@code prompt_tokens_details.cached_tokens};
     *       {@code completion_tokens} includes {@code completion_tokens_details.reasoning_tokens}. DeepSeek's
     *       {@code prompt_cache_hit_tokens} is used when {@code cached_tokens} is absent. A missing
     *       {@code completion_tokens} (embeddings) counts as zero.</li>
     *   <li>Responses: {@code input_tokens} includes {@code input_tokens_details.cached_tokens} (and
     *       {@code cache_write_tokens}, reported by some compatible gateways, taken as a 5-minute cache write);
     *       {@code output_tokens} includes {@code output_tokens_details.reasoning_tokens}.</li>
     * </ul>
     *
     * <p>Some OpenAI-compatible servers (xAI's chat API) report {@code completion_tokens} without the reasoning
     * tokens. {@code total_tokens} tells the two apart: when it equals prompt + completion + reasoning (and not
     * prompt + completion), reasoning is added to the output. Without {@code total_tokens}, reasoning larger than
     * the completion can only mean the same thing.
     */
    public static Usage openAi(JsonNode usage) {
        requireObject(usage, "OpenAI usage");
        if (hasAny(usage, "prompt_tokens", "completion_tokens")) {
            return openAiChat(usage);
        }
        if (hasAny(usage, "input_tokens", "output_tokens")) {
            return openAiResponses(usage);
        }
        throw new IllegalArgumentException("not an OpenAI usage object: neither prompt_tokens nor input_tokens");
    }

    private static Usage openAiChat(JsonNode u) {
        String path = "usage";
        long prompt = required(u, "prompt_tokens", path);
        long completion = countOrZero(u, "completion_tokens", path);
        JsonNode promptDetails = object(u, "prompt_tokens_details", path);
        OptionalLong cachedField = count(promptDetails, "cached_tokens", path + ".prompt_tokens_details");
        long cached = cachedField.isPresent() ? cachedField.getAsLong()
                : countOrZero(u, "prompt_cache_hit_tokens", path);
        JsonNode completionDetails = object(u, "completion_tokens_details", path);
        OptionalLong reasoningField = count(completionDetails, "reasoning_tokens", path + ".completion_tokens_details");
        long reasoning = reasoningField.isPresent() ? reasoningField.getAsLong()
                : countOrZero(u, "reasoning_tokens", path);
        if (cached > prompt) {
            throw new IllegalArgumentException(
                    "cached_tokens (" + cached + ") exceed prompt_tokens (" + prompt + ")");
        }
        long output = outputWithReasoning(prompt, completion, reasoning, count(u, "total_tokens", path),
                "prompt_tokens", "completion_tokens");
        return new Usage(prompt, output, cached, 0, 0, reasoning, UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    private static Usage openAiResponses(JsonNode u) {
        String path = "usage";
        long input = required(u, "input_tokens", path);
        long output = countOrZero(u, "output_tokens", path);
        JsonNode inputDetails = object(u, "input_tokens_details", path);
        long cached = countOrZero(inputDetails, "cached_tokens", path + ".input_tokens_details");
        long cacheWrite = countOrZero(inputDetails, "cache_write_tokens", path + ".input_tokens_details");
        JsonNode outputDetails = object(u, "output_tokens_details", path);
        long reasoning = countOrZero(outputDetails, "reasoning_tokens", path + ".output_tokens_details");
        if (cached + cacheWrite > input) {
            throw new IllegalArgumentException("cached_tokens + cache_write_tokens (" + (cached + cacheWrite)
                    + ") exceed input_tokens (" + input + ")");
        }
        long allOutput = outputWithReasoning(input, output, reasoning, count(u, "total_tokens", path),
                "input_tokens", "output_tokens");
        return new Usage(input, allOutput, cached, cacheWrite, 0, reasoning, UsageSource.PROVIDER,
                UsageSource.PROVIDER);
    }

    /** Inclusive output, deciding whether the provider's output figure already holds the reasoning tokens. */
    private static long outputWithReasoning(long input, long output, long reasoning, OptionalLong total,
                                            String inputName, String outputName) {
        if (reasoning == 0) {
            return output;
        }
        if (total.isPresent()) {
            long t = total.getAsLong();
            if (t == input + output) {
                if (reasoning > output) {
                    throw new IllegalArgumentException("reasoning_tokens (" + reasoning + ") exceed " + outputName
                            + " (" + output + ") although total_tokens = " + inputName + " + " + outputName);
                }
                return output;
            }
            if (t == input + output + reasoning) {
                return output + reasoning;
            }
        }
        return reasoning <= output ? output : output + reasoning;
    }

    /**
     * Reads an Anthropic Messages usage object. {@code input_tokens} excludes cache reads and writes, so the total
     * input is {@code input_tokens + cache_read_input_tokens + cache_creation_input_tokens}. Cache writes are split
     * by {@code cache_creation.ephemeral_5m_input_tokens} / {@code ephemeral_1h_input_tokens} when Anthropic sends
     * the split, and are all 5-minute writes otherwise (the default TTL). {@code output_tokens} includes thinking;
     * {@code output_tokens_details.thinking_tokens}, when present, is taken as the reasoning subset.
     *
     * <p>The figures are the top-level ones. Compaction and advisor iterations are not in them: see
     * {@link #anthropicIterations(JsonNode)}.
     */
    public static Usage anthropic(JsonNode usage) {
        requireObject(usage, "Anthropic usage");
        String path = "usage";
        long input = required(usage, "input_tokens", path);
        long read = countOrZero(usage, "cache_read_input_tokens", path);
        OptionalLong creation = count(usage, "cache_creation_input_tokens", path);
        JsonNode split = object(usage, "cache_creation", path);
        OptionalLong fiveMinutes = count(split, "ephemeral_5m_input_tokens", path + ".cache_creation");
        OptionalLong oneHour = count(split, "ephemeral_1h_input_tokens", path + ".cache_creation");
        long[] writes = cacheWrites(creation, fiveMinutes, oneHour);
        long output = countOrZero(usage, "output_tokens", path);
        long thinking = countOrZero(object(usage, "output_tokens_details", path), "thinking_tokens",
                path + ".output_tokens_details");
        if (thinking > output) {
            throw new IllegalArgumentException(
                    "thinking_tokens (" + thinking + ") exceed output_tokens (" + output + ")");
        }
        return new Usage(input + read + writes[0] + writes[1], output, read, writes[0], writes[1], thinking,
                UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    /**
     * Splits Anthropic cache writes into {5 minute, 1 hour}. The split must add up to the total when both are sent;
     * a split without a total is taken as the total.
     */
    static long[] cacheWrites(OptionalLong creation, OptionalLong fiveMinutes, OptionalLong oneHour) {
        boolean hasSplit = fiveMinutes.isPresent() || oneHour.isPresent();
        long m5 = fiveMinutes.orElse(0);
        long h1 = oneHour.orElse(0);
        if (creation.isEmpty()) {
            return new long[] {m5, h1};
        }
        long total = creation.getAsLong();
        if (!hasSplit) {
            return new long[] {total, 0};
        }
        if (m5 + h1 != total) {
            throw new IllegalArgumentException("cache_creation split (ephemeral_5m " + m5 + " + ephemeral_1h " + h1
                    + ") does not add up to cache_creation_input_tokens (" + total + ")");
        }
        return new long[] {m5, h1};
    }

    /**
     * The iterations of an Anthropic usage object, empty when it has none. Anthropic's top-level figures leave out
     * compaction iterations (same model, billed) and advisor iterations (billed at the advisor model's price), so a
     * caller that charges for a request must add these; this parser does not fold them in because the neutral
     * {@link Usage} has one model and one price.
     */
    public static List<AnthropicIteration> anthropicIterations(JsonNode usage) {
        requireObject(usage, "Anthropic usage");
        JsonNode iterations = usage.get("iterations");
        if (iterations == null || iterations.isNull()) {
            return List.of();
        }
        if (!iterations.isArray()) {
            throw new IllegalArgumentException("usage.iterations must be an array");
        }
        List<AnthropicIteration> result = new ArrayList<>(iterations.size());
        for (int i = 0; i < iterations.size(); i++) {
            JsonNode iteration = iterations.get(i);
            requireObject(iteration, "usage.iterations[" + i + "]");
            String type = iteration.path("type").asText("message");
            JsonNode model = iteration.get("model");
            Optional<String> modelName = model == null || model.isNull() ? Optional.empty()
                    : Optional.of(model.asText());
            Usage parsed;
            try {
                parsed = anthropic(iteration);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("usage.iterations[" + i + "]: " + e.getMessage(), e);
            }
            result.add(new AnthropicIteration(type, modelName, parsed));
        }
        return List.copyOf(result);
    }

    /**
     * Reads a Gemini {@code usageMetadata} object. {@code promptTokenCount} includes
     * {@code cachedContentTokenCount}. {@code toolUsePromptTokenCount} (results of Google Search, URL context and
     * code execution fed back to the model) is not part of {@code promptTokenCount} but is billed as input: in the
     * recorded responses {@code totalTokenCount = promptTokenCount + candidatesTokenCount + thoughtsTokenCount +
     * toolUsePromptTokenCount}. Output is {@code candidatesTokenCount + thoughtsTokenCount}, and the thoughts are
     * the reasoning subset. {@code responseTokenCount}, the Live API's name for candidates, is accepted in its
     * place.
     */
    public static Usage gemini(JsonNode usageMetadata) {
        requireObject(usageMetadata, "Gemini usageMetadata");
        if (!hasAny(usageMetadata, GEMINI_COUNTS)) {
            throw new IllegalArgumentException("usageMetadata carries no token counts");
        }
        String path = "usageMetadata";
        long prompt = countOrZero(usageMetadata, "promptTokenCount", path);
        long toolUse = countOrZero(usageMetadata, "toolUsePromptTokenCount", path);
        long cached = countOrZero(usageMetadata, "cachedContentTokenCount", path);
        OptionalLong candidatesField = count(usageMetadata, "candidatesTokenCount", path);
        long candidates = candidatesField.isPresent() ? candidatesField.getAsLong()
                : countOrZero(usageMetadata, "responseTokenCount", path);
        long thoughts = countOrZero(usageMetadata, "thoughtsTokenCount", path);
        if (cached > prompt) {
            throw new IllegalArgumentException(
                    "cachedContentTokenCount (" + cached + ") exceeds promptTokenCount (" + prompt + ")");
        }
        return new Usage(prompt + toolUse, candidates + thoughts, cached, 0, 0, thoughts, UsageSource.PROVIDER,
                UsageSource.PROVIDER);
    }

    /**
     * Reads a Gemini Interactions API {@code usage} object. As with {@code generateContent}, the output and tool-use
     * figures are reported apart from thoughts and input ({@code total_tokens = total_input_tokens +
     * total_output_tokens + total_thought_tokens + total_tool_use_tokens} in the recorded responses), and
     * {@code total_cached_tokens} is taken as a subset of {@code total_input_tokens}.
     */
    public static Usage geminiInteractions(JsonNode usage) {
        requireObject(usage, "Gemini Interactions usage");
        String path = "usage";
        long input = required(usage, "total_input_tokens", path);
        long toolUse = countOrZero(usage, "total_tool_use_tokens", path);
        long cached = countOrZero(usage, "total_cached_tokens", path);
        long output = countOrZero(usage, "total_output_tokens", path);
        long thoughts = countOrZero(usage, "total_thought_tokens", path);
        if (cached > input) {
            throw new IllegalArgumentException(
                    "total_cached_tokens (" + cached + ") exceed total_input_tokens (" + input + ")");
        }
        return new Usage(input + toolUse, output + thoughts, cached, 0, 0, thoughts, UsageSource.PROVIDER,
                UsageSource.PROVIDER);
    }

    /** Reads a usage object of a known format. */
    public static Usage parse(UsageFormat format, JsonNode usage) {
        return switch (format) {
            case OPENAI_CHAT, OPENAI_RESPONSES -> openAi(usage);
            case ANTHROPIC -> anthropic(usage);
            case GEMINI -> gemini(usage);
            case GEMINI_INTERACTIONS -> geminiInteractions(usage);
        };
    }

    /**
     * Finds and reads the usage in a bare usage object or in a whole response body (or stream event), recognising the
     * format by its shape. Looks at {@code usageMetadata} and {@code usage} at the top, then inside the objects that
     * wrap a response in stream events ({@code response}, {@code message}, {@code interaction}), then Groq's
     * {@code x_groq.usage}, then the node itself as a bare usage object.
     *
     * <p>Empty when there is no token usage (errors, safety blocks, count-tokens replies, usage billed by duration,
     * shapes this parser does not know): the caller then counts locally. A recognised usage object with bad figures
     * raises {@link IllegalArgumentException}.
     *
     * <p>A bare {@code {input_tokens, output_tokens}} object is both a minimal Anthropic and a minimal Responses
     * usage; the two readings agree, and it is reported as Anthropic.
     */
    public static Optional<Detected> detect(JsonNode node) {
        if (node == null || !node.isObject()) {
            return Optional.empty();
        }
        Optional<Detected> found = inBody(node);
        if (found.isPresent()) {
            return found;
        }
        for (String wrapper : WRAPPERS) {
            JsonNode inner = node.get(wrapper);
            if (inner != null && inner.isObject()) {
                found = inBody(inner);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        JsonNode groq = node.path("x_groq").path("usage");
        if (groq.isObject()) {
            found = bare(groq);
            if (found.isPresent()) {
                return found;
            }
        }
        return bare(node);
    }

    private static Optional<Detected> inBody(JsonNode body) {
        JsonNode metadata = body.get("usageMetadata");
        if (metadata != null && metadata.isObject() && hasAny(metadata, GEMINI_COUNTS)) {
            return Optional.of(new Detected(UsageFormat.GEMINI, gemini(metadata)));
        }
        JsonNode usage = body.get("usage");
        if (usage != null && usage.isObject()) {
            return bare(usage);
        }
        return Optional.empty();
    }

    /** True when a Gemini {@code usageMetadata} object carries token counts (not only {@code trafficType}). */
    static boolean hasGeminiCounts(JsonNode usageMetadata) {
        return usageMetadata != null && usageMetadata.isObject() && hasAny(usageMetadata, GEMINI_COUNTS);
    }

    /** Recognises a bare usage object by the fields only its format has. */
    static Optional<UsageFormat> shapeOf(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Optional.empty();
        }
        if (hasAny(usage, "prompt_tokens")) {
            return Optional.of(UsageFormat.OPENAI_CHAT);
        }
        if (hasAny(usage, GEMINI_COUNTS)) {
            return Optional.of(UsageFormat.GEMINI);
        }
        if (hasAny(usage, "total_input_tokens")) {
            return Optional.of(UsageFormat.GEMINI_INTERACTIONS);
        }
        if (hasAny(usage, "input_tokens") && hasAny(usage, "output_tokens")) {
            // without output_tokens it is a count_tokens reply ({"input_tokens": n}), not the usage of a generation
            if (hasAny(usage, ANTHROPIC_MARKERS)) {
                return Optional.of(UsageFormat.ANTHROPIC);
            }
            if (hasAny(usage, OPENAI_RESPONSES_MARKERS)) {
                return Optional.of(UsageFormat.OPENAI_RESPONSES);
            }
            return Optional.of(UsageFormat.ANTHROPIC);
        }
        return Optional.empty();
    }

    private static Optional<Detected> bare(JsonNode usage) {
        return shapeOf(usage).map(format -> new Detected(format, parse(format, usage)));
    }
}
