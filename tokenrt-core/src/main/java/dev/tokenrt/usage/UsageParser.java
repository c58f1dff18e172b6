package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * PLACEHOLDER written on the codec branch only so that the codecs compile and can be tested; the real
 * UsageParser is written on another branch and replaces this file at merge. Only the three agreed
 * signatures matter; the bodies here are a minimal reading of each provider's documented usage shape.
 */
public final class UsageParser {

    private UsageParser() {
    }

    /** OpenAI chat {@code usage}: prompt includes cached, completion includes reasoning. */
    public static Usage openAi(JsonNode usage) {
        long prompt = usage.path("prompt_tokens").asLong(0);
        long completion = usage.path("completion_tokens").asLong(0);
        long cached = usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
        long reasoning = usage.path("completion_tokens_details").path("reasoning_tokens").asLong(0);
        if (reasoning > completion) {
            // some OpenAI-compatible providers (xAI) report completion_tokens without the reasoning tokens
            completion += reasoning;
        }
        return new Usage(prompt, completion, Math.min(cached, prompt), 0, 0, reasoning, UsageSource.PROVIDER,
                UsageSource.PROVIDER);
    }

    /** Anthropic {@code usage}: input_tokens excludes cache reads and writes. */
    public static Usage anthropic(JsonNode usage) {
        long uncached = usage.path("input_tokens").asLong(0);
        long read = usage.path("cache_read_input_tokens").asLong(0);
        long write = usage.path("cache_creation_input_tokens").asLong(0);
        JsonNode split = usage.path("cache_creation");
        long w1h = split.path("ephemeral_1h_input_tokens").asLong(0);
        long w5m = split.has("ephemeral_5m_input_tokens") ? split.path("ephemeral_5m_input_tokens").asLong(0)
                : Math.max(0, write - w1h);
        return new Usage(uncached + read + w5m + w1h, usage.path("output_tokens").asLong(0), read, w5m, w1h, 0,
                UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    /** Gemini {@code usageMetadata}: prompt includes cached content, candidates exclude thoughts. */
    public static Usage gemini(JsonNode usageMetadata) {
        long prompt = usageMetadata.path("promptTokenCount").asLong(0);
        long cached = usageMetadata.path("cachedContentTokenCount").asLong(0);
        long thoughts = usageMetadata.path("thoughtsTokenCount").asLong(0);
        long candidates = usageMetadata.path("candidatesTokenCount").asLong(0);
        return new Usage(prompt, candidates + thoughts, Math.min(cached, prompt), 0, 0, thoughts,
                UsageSource.PROVIDER, UsageSource.PROVIDER);
    }
}
