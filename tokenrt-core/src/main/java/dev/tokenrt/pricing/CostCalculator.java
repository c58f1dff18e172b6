package dev.tokenrt.pricing;

import dev.tokenrt.usage.Usage;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Optional;

/**
 * Prices a request's {@link Usage} with a catalog {@link ModelPrice}, exactly.
 *
 * <p>Usage totals are inclusive (see {@link Usage}), so the kinds are carved out of them, never added:
 * <ul>
 *   <li>uncached input = input &minus; cache read &minus; cache write 5m &minus; cache write 1h, at the input rate;</li>
 *   <li>cache reads at the cache-read rate; <b>fallback</b>: the input rate, because a model with no cached price
 *       is one whose provider gives no discount (charging the full rate never under-bills);</li>
 *   <li>5-minute cache writes at the 5m rate; fallback: the input rate;</li>
 *   <li>1-hour cache writes at the 1h rate; fallback: the 5m rate, then the input rate (a longer TTL never costs
 *       less than a shorter one). For Anthropic the catalog builder already fills a missing 1h rate with 2&times;
 *       input, Anthropic's published rule, which every Anthropic entry in LiteLLM that has one follows;</li>
 *   <li>visible output (output &minus; reasoning) at the output rate;</li>
 *   <li>reasoning at the reasoning rate where a model prices it separately, else the output rate (OpenAI,
 *       Anthropic and Google bill thinking tokens as output).</li>
 * </ul>
 *
 * <p><b>Long context.</b> When the prompt's input tokens (cached and written ones included) exceed a tier's
 * threshold, every kind is billed at the tier's rate, for the whole request: Anthropic's 1M-context pricing
 * ("requests over 200K input tokens are charged at premium rates") and Google's Gemini 2.5 Pro pricing
 * ("prompts longer than 200k tokens") both work this way, and genai-prices' schema documents the same cliff.
 * A kind the tier does not price keeps its base rate, then the fallbacks above apply.
 *
 * <p><b>Batch.</b> With {@link Billing#BATCH}, uncached input and output use the model's batch prices. Cache
 * reads and writes, reasoning and long-context tiers have no batch figure in either source, so they are scaled
 * by the model's own batch discount (batch input &divide; input on the prompt side, batch output &divide; output
 * on the generation side): Anthropic states that batch and prompt-caching discounts stack, and OpenAI's batch
 * cached-input prices are the standard ones halved like the rest. A model without batch prices is billed at its
 * standard rates, which over- rather than under-states the cost.
 *
 * <p><b>Arithmetic.</b> Each part is {@code tokens × USD-per-million × 1000} nano-dollars (times the batch ratio),
 * computed exactly in {@link BigDecimal} and rounded once, half up, to a whole nano-dollar; with a batch ratio the
 * single division is that rounding. Totals are sums of the rounded parts ({@link Cost}).
 */
public final class CostCalculator {

    /** USD per million tokens × tokens × 1000 = nano-USD (1e9 / 1e6). */
    private static final int NANOS_PER_USD_PER_MILLION_EXPONENT = 3;

    private CostCalculator() {
    }

    /** The cost at standard (non-batch) rates. */
    public static Cost cost(ModelPrice price, Usage usage) {
        return cost(price, usage, Billing.STANDARD);
    }

    /**
     * The cost of {@code usage} at {@code price}.
     *
     * @throws IllegalArgumentException when the usage has output tokens and the model has no output price
     *                                  (an embedding model asked to price a chat response)
     */
    public static Cost cost(ModelPrice price, Usage usage, Billing billing) {
        Rates base = price.rates();
        Optional<PriceTier> tier = price.tierFor(usage.inputTokens());
        Rates rates = tier.map(t -> base.overlaidWith(t.rates())).orElse(base);

        BigDecimal input = rates.input().orElseThrow().usdPerMillion();
        BigDecimal cacheRead = rate(rates.cacheRead()).orElse(input);
        BigDecimal write5m = rate(rates.cacheWrite5m()).orElse(input);
        BigDecimal write1h = rate(rates.cacheWrite1h()).or(() -> rate(rates.cacheWrite5m())).orElse(input);
        Optional<BigDecimal> output = rate(rates.output());
        if (usage.outputTokens() > 0 && output.isEmpty()) {
            throw new IllegalArgumentException("model " + price.qualifiedId() + " (" + price.mode().wireName()
                    + ") has no output price; cannot price " + usage.outputTokens() + " output tokens");
        }
        BigDecimal out = output.orElse(BigDecimal.ZERO);
        BigDecimal reasoning = rate(rates.reasoning()).orElse(out);

        Ratio promptRatio = Ratio.ONE;
        Ratio generationRatio = Ratio.ONE;
        if (billing == Billing.BATCH) {
            promptRatio = Ratio.of(base.batchInput(), base.input());
            generationRatio = Ratio.of(base.batchOutput(), base.output());
        }
        return new Cost(
                nanos(usage.uncachedInputTokens(), input, promptRatio),
                nanos(usage.cacheReadTokens(), cacheRead, promptRatio),
                nanos(usage.cacheWrite5mTokens(), write5m, promptRatio),
                nanos(usage.cacheWrite1hTokens(), write1h, promptRatio),
                nanos(usage.visibleOutputTokens(), out, generationRatio),
                nanos(usage.reasoningTokens(), reasoning, generationRatio));
    }

    private static Optional<BigDecimal> rate(Optional<Price> price) {
        return price.map(Price::usdPerMillion);
    }

    private static long nanos(long tokens, BigDecimal usdPerMillion, Ratio ratio) {
        if (tokens == 0) {
            return 0;
        }
        BigDecimal exact = BigDecimal.valueOf(tokens).multiply(usdPerMillion)
                .movePointRight(NANOS_PER_USD_PER_MILLION_EXPONENT).multiply(ratio.numerator());
        return exact.divide(ratio.denominator(), 0, RoundingMode.HALF_UP).longValueExact();
    }

    /** A batch discount as an exact fraction, so that applying it costs no precision. */
    private record Ratio(BigDecimal numerator, BigDecimal denominator) {
        static final Ratio ONE = new Ratio(BigDecimal.ONE, BigDecimal.ONE);

        /** batch ÷ standard, or 1 when either is missing or the standard price is zero. */
        static Ratio of(Optional<Price> batch, Optional<Price> standard) {
            if (batch.isEmpty() || standard.isEmpty() || standard.get().usdPerMillion().signum() == 0) {
                return ONE;
            }
            return new Ratio(batch.get().usdPerMillion(), standard.get().usdPerMillion());
        }
    }
}
