package dev.tokenrt.pricing;

import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every expected figure below is worked out by hand in the comment above it, in nano-dollars:
 * nanos = tokens × (USD per 1M tokens) × 1000. The real prices come from the bundled catalog, and each test
 * first pins the prices it relies on, so a catalog update that changes them fails loudly here rather than
 * silently changing the arithmetic being checked.
 */
class CostCalculatorTest {

    private static final PricingCatalog CATALOG = PricingCatalog.bundled();

    private static Usage usage(long input, long output, long cacheRead, long write5m, long write1h, long reasoning) {
        return new Usage(input, output, cacheRead, write5m, write1h, reasoning, UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    private static ModelPrice model(String qualified) {
        ModelPrice m = CATALOG.find(qualified).orElseThrow();
        assertThat(m.qualifiedId()).isEqualTo(qualified);
        return m;
    }

    private static void assertPrice(Optional<Price> price, String usdPerMillion) {
        assertThat(price).isPresent();
        assertThat(price.get().plain()).isEqualTo(usdPerMillion);
    }

    @Test
    void gpt4oWithCachedTokens() {
        ModelPrice gpt4o = model("openai/gpt-4o");
        assertPrice(gpt4o.rates().input(), "2.5");
        assertPrice(gpt4o.rates().cacheRead(), "1.25");
        assertPrice(gpt4o.rates().output(), "10");

        // OpenAI: prompt_tokens 10,000 of which cached_tokens 4,000; completion_tokens 1,500.
        // uncached 6,000 × 2.5 × 1000 = 15,000,000
        // cached   4,000 × 1.25 × 1000 = 5,000,000
        // output   1,500 × 10 × 1000 = 15,000,000          total 35,000,000 nanos = $0.035
        Cost cost = CostCalculator.cost(gpt4o, usage(10_000, 1_500, 4_000, 0, 0, 0));

        assertThat(cost).isEqualTo(new Cost(15_000_000, 5_000_000, 0, 0, 15_000_000, 0));
        assertThat(cost.inputSideNanos()).isEqualTo(20_000_000);
        assertThat(cost.outputSideNanos()).isEqualTo(15_000_000);
        assertThat(cost.totalNanos()).isEqualTo(35_000_000);
        assertThat(cost.totalUsd()).isEqualTo("0.035");
    }

    @Test
    void oSeriesReasoningIsBilledAsOutput() {
        ModelPrice o3 = model("openai/o3");
        assertPrice(o3.rates().input(), "2");
        assertPrice(o3.rates().output(), "8");
        assertThat(o3.rates().reasoning()).isEmpty();

        // completion_tokens 5,000 including reasoning_tokens 4,200 (so 800 visible); prompt 2,000, nothing cached.
        // input     2,000 × 2 × 1000 = 4,000,000
        // visible     800 × 8 × 1000 = 6,400,000
        // reasoning 4,200 × 8 × 1000 = 33,600,000 (no separate reasoning price: output rate)
        // total 44,000,000 = $0.044
        Cost cost = CostCalculator.cost(o3, usage(2_000, 5_000, 0, 0, 0, 4_200));

        assertThat(cost).isEqualTo(new Cost(4_000_000, 0, 0, 0, 6_400_000, 33_600_000));
        assertThat(cost.outputSideNanos()).isEqualTo(40_000_000);
        assertThat(cost.totalUsd()).isEqualTo("0.044");
    }

    @Test
    void claudeWithCacheReadAndBothCacheWrites() {
        ModelPrice sonnet = model("anthropic/claude-sonnet-4-5");
        assertPrice(sonnet.rates().input(), "3");
        assertPrice(sonnet.rates().cacheRead(), "0.3");
        assertPrice(sonnet.rates().cacheWrite5m(), "3.75");
        assertPrice(sonnet.rates().cacheWrite1h(), "6");
        assertPrice(sonnet.rates().output(), "15");

        // Anthropic: input_tokens 10,000 + cache_read 30,000 + cache_creation 8,000 (5m) + 2,000 (1h) = 50,000
        // inclusive; output 1,000 of which 400 thinking.
        // uncached  10,000 × 3    × 1000 = 30,000,000
        // read      30,000 × 0.3  × 1000 =  9,000,000
        // write 5m   8,000 × 3.75 × 1000 = 30,000,000
        // write 1h   2,000 × 6    × 1000 = 12,000,000
        // visible      600 × 15   × 1000 =  9,000,000
        // thinking     400 × 15   × 1000 =  6,000,000      total 96,000,000 = $0.096
        Cost cost = CostCalculator.cost(sonnet, usage(50_000, 1_000, 30_000, 8_000, 2_000, 400));

        assertThat(cost).isEqualTo(new Cost(30_000_000, 9_000_000, 30_000_000, 12_000_000, 9_000_000, 6_000_000));
        assertThat(cost.inputSideNanos()).isEqualTo(81_000_000);
        assertThat(cost.totalUsd()).isEqualTo("0.096");
    }

    @Test
    void claudeLongContextPricesTheWholeRequestAtTheTier() {
        ModelPrice sonnet = model("anthropic/claude-sonnet-4-5");
        PriceTier tier = sonnet.tiers().get(0);
        assertThat(tier.aboveInputTokens()).isEqualTo(200_000);
        assertPrice(tier.rates().input(), "6");
        assertPrice(tier.rates().cacheRead(), "0.6");
        assertPrice(tier.rates().cacheWrite5m(), "7.5");
        assertPrice(tier.rates().output(), "22.5");

        // 250,000 input tokens (cached ones count towards the threshold): 200,000 read, 10,000 written (5m),
        // 40,000 uncached; 2,000 output. All above 200K, so every token is at the tier rate.
        // uncached  40,000 × 6    × 1000 = 240,000,000
        // read     200,000 × 0.6  × 1000 = 120,000,000
        // write 5m  10,000 × 7.5  × 1000 =  75,000,000
        // output     2,000 × 22.5 × 1000 =  45,000,000      total 480,000,000 = $0.48
        Cost above = CostCalculator.cost(sonnet, usage(250_000, 2_000, 200_000, 10_000, 0, 0));
        assertThat(above).isEqualTo(new Cost(240_000_000, 120_000_000, 75_000_000, 0, 45_000_000, 0));

        // Exactly 200,000 input tokens is not above the threshold: base rates.
        // 200,000 × 3 × 1000 = 600,000,000; 2,000 × 15 × 1000 = 30,000,000
        Cost atThreshold = CostCalculator.cost(sonnet, usage(200_000, 2_000, 0, 0, 0, 0));
        assertThat(atThreshold).isEqualTo(new Cost(600_000_000, 0, 0, 0, 30_000_000, 0));
    }

    @Test
    void geminiWithThoughtsCachedTokensAndTheLongContextTier() {
        ModelPrice pro = CATALOG.find("gemini/gemini-2.5-pro").orElseThrow();
        assertThat(pro.qualifiedId()).isEqualTo("google/gemini-2.5-pro");
        assertPrice(pro.rates().input(), "1.25");
        assertPrice(pro.rates().cacheRead(), "0.125");
        assertPrice(pro.rates().output(), "10");
        assertThat(pro.rates().reasoning()).isEmpty();
        PriceTier tier = pro.tiers().get(0);
        assertThat(tier.aboveInputTokens()).isEqualTo(200_000);
        assertPrice(tier.rates().input(), "2.5");
        assertPrice(tier.rates().cacheRead(), "0.25");
        assertPrice(tier.rates().output(), "15");

        // Gemini: promptTokenCount 150,000 incl. cachedContentTokenCount 50,000; candidatesTokenCount 1,000 plus
        // thoughtsTokenCount 2,000, so output 3,000 inclusive with 2,000 reasoning. Below 200K: base rates.
        // uncached 100,000 × 1.25  × 1000 = 125,000,000
        // cached    50,000 × 0.125 × 1000 =   6,250,000
        // visible    1,000 × 10    × 1000 =  10,000,000
        // thoughts   2,000 × 10    × 1000 =  20,000,000     total 161,250,000 = $0.16125
        Cost below = CostCalculator.cost(pro, usage(150_000, 3_000, 50_000, 0, 0, 2_000));
        assertThat(below).isEqualTo(new Cost(125_000_000, 6_250_000, 0, 0, 10_000_000, 20_000_000));
        assertThat(below.totalUsd()).isEqualTo("0.16125");

        // promptTokenCount 300,000 incl. 100,000 cached; same output. Above 200K: the tier for everything,
        // thoughts at the tier's output rate.
        // uncached 200,000 × 2.5  × 1000 = 500,000,000
        // cached   100,000 × 0.25 × 1000 =  25,000,000
        // visible    1,000 × 15   × 1000 =  15,000,000
        // thoughts   2,000 × 15   × 1000 =  30,000,000     total 570,000,000 = $0.57
        Cost above = CostCalculator.cost(pro, usage(300_000, 3_000, 100_000, 0, 0, 2_000));
        assertThat(above).isEqualTo(new Cost(500_000_000, 25_000_000, 0, 0, 15_000_000, 30_000_000));
        assertThat(above.totalUsd()).isEqualTo("0.57");
    }

    @Test
    void batchUsesBatchPricesAndScalesCachedTokensByTheSameDiscount() {
        ModelPrice gpt4o = model("openai/gpt-4o");
        assertPrice(gpt4o.rates().batchInput(), "1.25");
        assertPrice(gpt4o.rates().batchOutput(), "5");

        // Same usage as gpt4oWithCachedTokens, through the Batch API.
        // uncached 6,000 × 1.25 × 1000 = 7,500,000
        // cached   4,000 × 1.25 × (1.25 / 2.5) × 1000 = 2,500,000
        // output   1,500 × 5 × 1000 = 7,500,000              total 17,500,000 = half of 35,000,000
        Cost cost = CostCalculator.cost(gpt4o, usage(10_000, 1_500, 4_000, 0, 0, 0), Billing.BATCH);
        assertThat(cost).isEqualTo(new Cost(7_500_000, 2_500_000, 0, 0, 7_500_000, 0));

        // A model without batch prices is billed at its standard rates.
        ModelPrice o3 = model("openai/o3");
        assertThat(o3.rates().batchInput()).isEmpty();
        Usage u = usage(2_000, 5_000, 0, 0, 0, 4_200);
        assertThat(CostCalculator.cost(o3, u, Billing.BATCH)).isEqualTo(CostCalculator.cost(o3, u));
    }

    @Test
    void batchOnALongContextTierAppliesTheBatchDiscountToTheTierRates() {
        ModelPrice vertexSonnet = CATALOG.find("claude-sonnet-4-5", "vertex_ai").orElseThrow();
        assertPrice(vertexSonnet.rates().input(), "3");
        assertPrice(vertexSonnet.rates().batchInput(), "1.5");
        assertPrice(vertexSonnet.rates().output(), "15");
        assertPrice(vertexSonnet.rates().batchOutput(), "7.5");
        assertPrice(vertexSonnet.tiers().get(0).rates().input(), "6");
        assertPrice(vertexSonnet.tiers().get(0).rates().output(), "22.5");

        // 250,000 uncached input, 1,000 output, batch.
        // input  250,000 × 6    × (1.5 / 3)  × 1000 = 750,000,000
        // output   1,000 × 22.5 × (7.5 / 15) × 1000 =  11,250,000
        Cost cost = CostCalculator.cost(vertexSonnet, usage(250_000, 1_000, 0, 0, 0, 0), Billing.BATCH);
        assertThat(cost).isEqualTo(new Cost(750_000_000, 0, 0, 0, 11_250_000, 0));
    }

    // ---------------------------------------------------------------- fallbacks and rounding, on hand-made prices

    private static final LocalDate DAY = LocalDate.of(2026, 7, 24);

    private static Optional<Price> p(String usdPerMillion) {
        return Optional.of(Price.of(usdPerMillion, "test", DAY));
    }

    private static ModelPrice handMade(Rates rates) {
        return new ModelPrice("m", "test", ModelMode.CHAT, rates, List.of(), OptionalLong.empty(), OptionalLong.empty(),
                List.of(), "test", DAY, Optional.empty());
    }

    @Test
    void missingCachePricesFallBackAsDocumented() {
        // input 2, output 8, nothing else priced.
        ModelPrice bare = handMade(Rates.NONE.with(PriceKind.INPUT, p("2")).with(PriceKind.OUTPUT, p("8")));
        // 100 uncached, 300 read, 200 written 5m, 400 written 1h, all at input 2 (no cache prices):
        // 100 × 2 × 1000 = 200,000; 300 × 2 × 1000 = 600,000; 200 × 2 × 1000 = 400,000; 400 × 2 × 1000 = 800,000
        assertThat(CostCalculator.cost(bare, usage(1_000, 0, 300, 200, 400, 0)))
                .isEqualTo(new Cost(200_000, 600_000, 400_000, 800_000, 0, 0));

        // With a 5m price of 2.5 and no 1h price, 1h writes fall back to the 5m rate:
        // 200 × 2.5 × 1000 = 500,000 and 400 × 2.5 × 1000 = 1,000,000
        ModelPrice with5m = handMade(bare.rates().with(PriceKind.CACHE_WRITE_5M, p("2.5")));
        assertThat(CostCalculator.cost(with5m, usage(1_000, 0, 300, 200, 400, 0)))
                .isEqualTo(new Cost(200_000, 600_000, 500_000, 1_000_000, 0, 0));

        // A separately priced reasoning rate (3.2) applies to reasoning only: 10 visible × 8 × 1000 = 80,000;
        // 90 reasoning × 3.2 × 1000 = 288,000
        ModelPrice reasoning = handMade(bare.rates().with(PriceKind.REASONING, p("3.2")));
        assertThat(CostCalculator.cost(reasoning, usage(0, 100, 0, 0, 0, 90)))
                .isEqualTo(new Cost(0, 0, 0, 0, 80_000, 288_000));
    }

    @Test
    void eachPartIsRoundedOnceHalfUp() {
        // Amazon Nova Micro's cache-read price, 0.00875 USD per 1M tokens (filled from genai-prices).
        ModelPrice micro = model("bedrock/amazon.nova-micro-v1:0");
        assertPrice(micro.rates().cacheRead(), "0.00875");
        assertThat(micro.rates().cacheRead().orElseThrow().source()).isEqualTo("genai-prices");
        // 2 cached tokens: 2 × 0.00875 × 1000 = 17.5 nanos, half up to 18.
        // 3 cached tokens: 3 × 0.00875 × 1000 = 26.25 nanos, to 26.
        // input 0.035: 1 uncached token = 35 nanos.
        assertThat(CostCalculator.cost(micro, usage(3, 0, 2, 0, 0, 0)).cacheReadNanos()).isEqualTo(18);
        assertThat(CostCalculator.cost(micro, usage(4, 0, 3, 0, 0, 0))).isEqualTo(new Cost(35, 26, 0, 0, 0, 0));

        // A batch ratio that does not terminate in decimal is still rounded once: input 3, batch input 1
        // (ratio 1/3), cache read 0.5: 7 cached tokens × 0.5 × 1000 × 1/3 = 1,166.67 nanos, to 1,167.
        ModelPrice third = handMade(Rates.NONE.with(PriceKind.INPUT, p("3")).with(PriceKind.OUTPUT, p("3"))
                .with(PriceKind.CACHE_READ, p("0.5")).with(PriceKind.BATCH_INPUT, p("1")));
        assertThat(CostCalculator.cost(third, usage(7, 0, 7, 0, 0, 0), Billing.BATCH).cacheReadNanos()).isEqualTo(1167);
    }

    @Test
    void embeddingsPriceInputOnlyAndRefuseOutput() {
        ModelPrice small = model("openai/text-embedding-3-small");
        assertThat(small.mode()).isEqualTo(ModelMode.EMBEDDING);
        assertPrice(small.rates().input(), "0.02");
        // 8,000 tokens × 0.02 × 1000 = 160,000 nanos = $0.00016
        assertThat(CostCalculator.cost(small, Usage.of(8_000, 0)).totalUsd()).isEqualTo("0.00016");

        ModelPrice noOutput = new ModelPrice("e", "test", ModelMode.EMBEDDING,
                Rates.NONE.with(PriceKind.INPUT, p("0.1")), List.of(), OptionalLong.empty(), OptionalLong.empty(),
                List.of(), "test", DAY, Optional.empty());
        assertThatThrownBy(() -> CostCalculator.cost(noOutput, Usage.of(10, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test/e").hasMessageContaining("no output price").hasMessageContaining("5 output tokens");
    }

    @Test
    void costsAddUpPartByPart() {
        Cost a = new Cost(1, 2, 3, 4, 5, 6);
        Cost b = new Cost(10, 20, 30, 40, 50, 60);
        assertThat(a.plus(b)).isEqualTo(new Cost(11, 22, 33, 44, 55, 66));
        assertThat(a.plus(b).totalNanos()).isEqualTo(231);
        assertThat(Cost.ZERO.totalUsd()).isEqualTo("0");
        assertThatThrownBy(() -> new Cost(-1, 0, 0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Cost(Long.MAX_VALUE, 1, 0, 0, 0, 0).totalNanos()).isInstanceOf(ArithmeticException.class);
    }
}
