package dev.tokenrt.pricing;

import java.util.Objects;

/**
 * Long-context pricing: when a request's prompt (all input tokens, cached ones included) exceeds
 * {@code aboveInputTokens}, the whole request is billed at these rates, not only the tokens past the
 * threshold. That is how Anthropic prices prompts over 200K tokens on 1M-context models and how Google
 * prices Gemini 2.5 Pro prompts over 200K tokens (both providers' pricing pages; genai-prices' schema
 * documents the same "cliff" model for its {@code TieredPrices}). Kinds the tier leaves absent keep the
 * model's base rate.
 *
 * @param aboveInputTokens the threshold; the tier applies when input tokens are strictly greater
 * @param rates            the tier's prices (never batch prices)
 */
public record PriceTier(long aboveInputTokens, Rates rates) {

    public PriceTier {
        Objects.requireNonNull(rates, "rates");
        if (aboveInputTokens <= 0) {
            throw new IllegalArgumentException("tier threshold must be positive: " + aboveInputTokens);
        }
        if (rates.isEmpty()) {
            throw new IllegalArgumentException("tier above " + aboveInputTokens + " tokens has no prices");
        }
        if (rates.batchInput().isPresent() || rates.batchOutput().isPresent()) {
            throw new IllegalArgumentException("tier above " + aboveInputTokens + " tokens cannot carry batch prices");
        }
    }

    public boolean appliesTo(long inputTokens) {
        return inputTokens > aboveInputTokens;
    }
}
