package dev.tokenrt.usage;

/**
 * Token usage of one request in one neutral shape, whatever the provider.
 *
 * <p>The totals are inclusive so that they compare across providers: {@code inputTokens} counts every
 * prompt token, including those read from the provider's prompt cache and those written to it;
 * {@code outputTokens} counts every generated token, including reasoning ("thinking") tokens. The detail
 * fields are subsets of those totals, never additions to them. Providers differ here, which is exactly
 * where peers count cached tokens twice or drop them:
 * <ul>
 *   <li>OpenAI: {@code prompt_tokens} already includes {@code cached_tokens}; {@code completion_tokens}
 *       already includes {@code reasoning_tokens}.</li>
 *   <li>Anthropic: {@code input_tokens} excludes {@code cache_read_input_tokens} and
 *       {@code cache_creation_input_tokens}, so the total is their sum.</li>
 *   <li>Gemini: {@code promptTokenCount} includes {@code cachedContentTokenCount};
 *       {@code candidatesTokenCount} excludes {@code thoughtsTokenCount}, so output is their sum.</li>
 * </ul>
 *
 * @param inputTokens        all prompt tokens (uncached + cache read + cache write)
 * @param outputTokens       all generated tokens (visible + reasoning)
 * @param cacheReadTokens    prompt tokens served from the provider's prompt cache (billed at the cached rate)
 * @param cacheWrite5mTokens prompt tokens written to a 5-minute prompt cache (Anthropic's default TTL)
 * @param cacheWrite1hTokens prompt tokens written to a 1-hour prompt cache
 * @param reasoningTokens    generated tokens spent on hidden reasoning (part of {@code outputTokens})
 * @param inputSource        whether the input figures were reported by the provider or estimated here
 * @param outputSource       whether the output figures were reported by the provider or estimated here
 */
public record Usage(
        long inputTokens,
        long outputTokens,
        long cacheReadTokens,
        long cacheWrite5mTokens,
        long cacheWrite1hTokens,
        long reasoningTokens,
        UsageSource inputSource,
        UsageSource outputSource) {

    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0, UsageSource.PROVIDER, UsageSource.PROVIDER);

    public Usage {
        if (inputTokens < 0 || outputTokens < 0 || cacheReadTokens < 0 || cacheWrite5mTokens < 0
                || cacheWrite1hTokens < 0 || reasoningTokens < 0) {
            throw new IllegalArgumentException("usage figures cannot be negative");
        }
        if (cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens > inputTokens) {
            throw new IllegalArgumentException("cached and cache-write tokens (" + (cacheReadTokens + cacheWrite5mTokens
                    + cacheWrite1hTokens) + ") exceed input tokens (" + inputTokens + ")");
        }
        if (reasoningTokens > outputTokens) {
            throw new IllegalArgumentException(
                    "reasoning tokens (" + reasoningTokens + ") exceed output tokens (" + outputTokens + ")");
        }
        if (inputSource == null || outputSource == null) {
            throw new IllegalArgumentException("usage source is required");
        }
    }

    /** Usage reported by a provider, with no prompt caching and no reasoning. */
    public static Usage of(long inputTokens, long outputTokens) {
        return new Usage(inputTokens, outputTokens, 0, 0, 0, 0, UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    /** Usage counted locally because the provider reported none. */
    public static Usage estimated(long inputTokens, long outputTokens) {
        return new Usage(inputTokens, outputTokens, 0, 0, 0, 0, UsageSource.ESTIMATED, UsageSource.ESTIMATED);
    }

    /** All prompt-cache writes, whatever their TTL. */
    public long cacheWriteTokens() {
        return cacheWrite5mTokens + cacheWrite1hTokens;
    }

    /** Prompt tokens billed at the plain input rate: neither read from nor written to the prompt cache. */
    public long uncachedInputTokens() {
        return inputTokens - cacheReadTokens - cacheWrite5mTokens - cacheWrite1hTokens;
    }

    /** Generated tokens that are not reasoning. */
    public long visibleOutputTokens() {
        return outputTokens - reasoningTokens;
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /** True when any figure was estimated rather than reported by the provider. */
    public boolean estimated() {
        return inputSource == UsageSource.ESTIMATED || outputSource == UsageSource.ESTIMATED;
    }
}
