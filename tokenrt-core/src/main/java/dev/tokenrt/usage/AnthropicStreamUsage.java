package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.OptionalLong;

import static dev.tokenrt.usage.JsonCounts.count;
import static dev.tokenrt.usage.JsonCounts.object;

/**
 * Usage of an Anthropic Messages stream. {@code message_start} carries the input and cache figures and a first
 * {@code output_tokens}; {@code message_delta} carries the cumulative {@code output_tokens} and, on newer API
 * versions, updated input and cache figures (server tools and compaction change them during the request). Each
 * figure takes its latest reported value; the two events are never added. A second {@code message_start} (a
 * duplicated or spliced stream) starts the figures afresh. {@code message_stop} ends the stream.
 *
 * <p>When a {@code message_delta} updates {@code cache_creation_input_tokens} without the 5-minute / 1-hour split,
 * the 1-hour part keeps its last reported value and the rest counts as 5-minute writes.
 */
public final class AnthropicStreamUsage extends AbstractStreamUsage implements StreamUsage {

    private static final String PATH = "usage";

    private OptionalLong input = OptionalLong.empty();
    private OptionalLong cacheRead = OptionalLong.empty();
    private OptionalLong cacheCreation = OptionalLong.empty();
    private OptionalLong fiveMinutes = OptionalLong.empty();
    private OptionalLong oneHour = OptionalLong.empty();
    private OptionalLong output = OptionalLong.empty();
    private OptionalLong thinking = OptionalLong.empty();
    private volatile List<UsageParser.AnthropicIteration> iterations = List.of();

    public AnthropicStreamUsage() {
    }

    @Override
    public UsageFormat format() {
        return UsageFormat.ANTHROPIC;
    }

    /**
     * The latest {@code usage.iterations} reported (compaction, advisor and fallback iterations, which the top-level
     * figures leave out); empty when the stream reported none.
     */
    public List<UsageParser.AnthropicIteration> iterations() {
        return iterations;
    }

    @Override
    void onEvent(JsonNode event) {
        switch (event.path("type").asText()) {
            case "message_start" -> {
                JsonNode usage = event.path("message").get("usage");
                if (usage != null && usage.isObject()) {
                    reset();
                    apply(usage);
                }
            }
            case "message_delta" -> {
                JsonNode usage = event.get("usage");
                if (usage != null && usage.isObject()) {
                    apply(usage);
                }
            }
            case "message_stop", "error" -> markFinished();
            default -> {
                // content blocks and pings carry no usage
            }
        }
    }

    private void reset() {
        input = OptionalLong.empty();
        cacheRead = OptionalLong.empty();
        cacheCreation = OptionalLong.empty();
        fiveMinutes = OptionalLong.empty();
        oneHour = OptionalLong.empty();
        output = OptionalLong.empty();
        thinking = OptionalLong.empty();
        iterations = List.of();
    }

    private void apply(JsonNode usage) {
        input = latest(input, count(usage, "input_tokens", PATH));
        cacheRead = latest(cacheRead, count(usage, "cache_read_input_tokens", PATH));
        cacheCreation = latest(cacheCreation, count(usage, "cache_creation_input_tokens", PATH));
        JsonNode split = object(usage, "cache_creation", PATH);
        fiveMinutes = latest(fiveMinutes, count(split, "ephemeral_5m_input_tokens", PATH + ".cache_creation"));
        oneHour = latest(oneHour, count(split, "ephemeral_1h_input_tokens", PATH + ".cache_creation"));
        output = latest(output, count(usage, "output_tokens", PATH));
        thinking = latest(thinking, count(object(usage, "output_tokens_details", PATH), "thinking_tokens",
                PATH + ".output_tokens_details"));
        if (usage.has("iterations")) {
            iterations = UsageParser.anthropicIterations(usage);
        }
        if (input.isPresent()) {
            update(current());
        }
    }

    private Usage current() {
        long creation = cacheCreation.isPresent() ? cacheCreation.getAsLong()
                : fiveMinutes.orElse(0) + oneHour.orElse(0);
        long m5;
        long h1;
        if ((fiveMinutes.isPresent() || oneHour.isPresent())
                && fiveMinutes.orElse(0) + oneHour.orElse(0) == creation) {
            m5 = fiveMinutes.orElse(0);
            h1 = oneHour.orElse(0);
        } else if (oneHour.orElse(0) <= creation) {
            h1 = oneHour.orElse(0);
            m5 = creation - h1;
        } else {
            h1 = 0;
            m5 = creation;
        }
        long read = cacheRead.orElse(0);
        long out = output.orElse(0);
        long reasoning = thinking.orElse(0);
        if (reasoning > out) {
            throw new IllegalArgumentException(
                    "thinking_tokens (" + reasoning + ") exceed output_tokens (" + out + ")");
        }
        return new Usage(input.getAsLong() + read + creation, out, read, m5, h1, reasoning, UsageSource.PROVIDER,
                UsageSource.PROVIDER);
    }

    private static OptionalLong latest(OptionalLong previous, OptionalLong reported) {
        return reported.isPresent() ? reported : previous;
    }
}
