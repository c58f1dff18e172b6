package dev.tokenrt.pricing;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PricingCatalogTest {

    private static final PricingCatalog CATALOG = PricingCatalog.bundled();

    @Test
    void bundledCatalogHasCurrentModelsWithSanePrices() {
        List<String> current = List.of("openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-5",
                "openai/o3", "openai/o4-mini", "anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-1",
                "anthropic/claude-haiku-4-5", "anthropic/claude-sonnet-4-6", "anthropic/claude-opus-4-6",
                "google/gemini-2.5-pro", "google/gemini-2.5-flash");
        for (String qualified : current) {
            ModelPrice m = CATALOG.find(qualified).orElseThrow(() -> new AssertionError(qualified + " missing"));
            assertThat(m.qualifiedId()).isEqualTo(qualified);
            assertThat(m.mode()).as(qualified).isEqualTo(ModelMode.CHAT);
            BigDecimal input = m.input().usdPerMillion();
            BigDecimal output = m.output().orElseThrow().usdPerMillion();
            // Every current chat model costs between a cent and $100 per million input tokens, and output costs
            // more than input.
            assertThat(input).as(qualified + " input").isBetween(new BigDecimal("0.01"), new BigDecimal("100"));
            assertThat(output).as(qualified + " output").isGreaterThan(input);
            assertThat(m.rates().cacheRead()).as(qualified + " cache read").isPresent();
            assertThat(m.rates().cacheRead().get().usdPerMillion()).as(qualified + " cache read").isLessThan(input);
            assertThat(m.contextWindow()).as(qualified + " context window").isPresent();
            assertThat(m.contextWindow().getAsLong()).isGreaterThanOrEqualTo(128_000);
        }
        ModelPrice embedding = CATALOG.find("text-embedding-3-small").orElseThrow();
        assertThat(embedding.qualifiedId()).isEqualTo("openai/text-embedding-3-small");
        assertThat(embedding.mode()).isEqualTo(ModelMode.EMBEDDING);
        assertThat(embedding.input().plain()).isEqualTo("0.02");

        // Anthropic models price both cache-write TTLs: 5m at 1.25x input, 1h at 2x.
        for (String claude : List.of("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")) {
            ModelPrice m = CATALOG.find(claude, "anthropic").orElseThrow();
            BigDecimal input = m.input().usdPerMillion();
            assertThat(m.rates().cacheWrite5m().orElseThrow().usdPerMillion()).isEqualByComparingTo(input.multiply(new BigDecimal("1.25")));
            assertThat(m.rates().cacheWrite1h().orElseThrow().usdPerMillion()).isEqualByComparingTo(input.multiply(BigDecimal.TWO));
        }
    }

    @Test
    void catalogIsLargeAndEveryPriceNamesItsSource() {
        assertThat(CATALOG.models()).hasSizeGreaterThan(2_000);
        assertThat(CATALOG.providers()).contains("openai", "anthropic", "google", "azure", "bedrock", "vertex_ai",
                "mistral", "deepseek", "groq", "xai");
        assertThat(CATALOG.info().schemaVersion()).isEqualTo(1);
        assertThat(CATALOG.info().sources()).extracting(CatalogInfo.Source::name).containsExactly("litellm", "genai-prices");
        assertThat(CATALOG.info().sources()).allSatisfy(s -> assertThat(s.license()).isEqualTo("MIT"));
        for (ModelPrice m : CATALOG.models()) {
            for (PriceKind kind : PriceKind.values()) {
                m.rates().get(kind).ifPresent(p -> assertThat(p.source()).as(m.qualifiedId() + " " + kind)
                        .isIn("litellm", "genai-prices", "derived"));
            }
            assertThat(m.source()).isEqualTo("litellm");
        }
        // Sorted by provider then id, and immutable.
        List<ModelPrice> models = CATALOG.models();
        for (int i = 1; i < models.size(); i++) {
            ModelPrice a = models.get(i - 1);
            ModelPrice b = models.get(i);
            assertThat(a.provider().compareTo(b.provider()) < 0
                    || (a.provider().equals(b.provider()) && a.id().compareTo(b.id()) < 0)).isTrue();
        }
        assertThatThrownBy(() -> CATALOG.models().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(PricingCatalog.bundled()).isSameAs(CATALOG);
    }

    @Test
    void readingLosesNothing() throws java.io.IOException {
        // Writing the parsed bundled catalog again gives back the resource byte for byte: every price, its
        // provenance, tier, alias and limit survived the round trip.
        String resource;
        try (var in = PricingCatalog.class.getResourceAsStream("catalog.json")) {
            resource = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(CatalogJson.write(CATALOG.info(), CatalogBuilder.notes(), CATALOG.models())).isEqualTo(resource);
    }

    @Test
    void exactIdPrefersTheFirstPartyProvider() {
        assertThat(CATALOG.find("gpt-4o").orElseThrow().qualifiedId()).isEqualTo("openai/gpt-4o");
        // gemini-2.5-pro is listed for Google AI Studio and for Vertex AI: the maker's API wins.
        assertThat(CATALOG.find("gemini-2.5-pro").orElseThrow().qualifiedId()).isEqualTo("google/gemini-2.5-pro");
        assertThat(CATALOG.find("claude-sonnet-4-5").orElseThrow().qualifiedId()).isEqualTo("anthropic/claude-sonnet-4-5");
        // A dated snapshot with an entry of its own is that entry.
        assertThat(CATALOG.find("gpt-4o-2024-05-13").orElseThrow().input().plain()).isEqualTo("5");
    }

    @Test
    void providerQualifiedNamesAndProviderAliases() {
        assertThat(CATALOG.find("openai/gpt-4o").orElseThrow().qualifiedId()).isEqualTo("openai/gpt-4o");
        assertThat(CATALOG.find("azure/gpt-4o").orElseThrow().qualifiedId()).isEqualTo("azure/gpt-4o");
        assertThat(CATALOG.find("gemini/gemini-2.5-pro").orElseThrow().qualifiedId()).isEqualTo("google/gemini-2.5-pro");
        assertThat(CATALOG.find("anthropic/claude-sonnet-4-5-20250929").orElseThrow().qualifiedId())
                .isEqualTo("anthropic/claude-sonnet-4-5-20250929");
        // An aggregator's own id keeps working when it is qualified by the aggregator.
        assertThat(CATALOG.find("openrouter/openai/gpt-4o").orElseThrow().qualifiedId()).isEqualTo("openrouter/openai/gpt-4o");

        assertThat(CATALOG.find("gemini-2.5-pro", "vertex").orElseThrow().qualifiedId()).isEqualTo("vertex_ai/gemini-2.5-pro");
        assertThat(CATALOG.find("gemini-2.5-pro", "gemini").orElseThrow().qualifiedId()).isEqualTo("google/gemini-2.5-pro");
        assertThat(CATALOG.find("gpt-4o", "AZURE").orElseThrow().qualifiedId()).isEqualTo("azure/gpt-4o");
        assertThat(CATALOG.find("azure/gpt-4o", "azure").orElseThrow().qualifiedId()).isEqualTo("azure/gpt-4o");
        assertThat(CATALOG.models("gemini")).isEqualTo(CATALOG.models("google")).isNotEmpty();
        assertThat(CATALOG.models("gemini")).allSatisfy(m -> assertThat(m.provider()).isEqualTo("google"));
    }

    @Test
    void aliasesResolve() {
        ModelPrice o4mini = CATALOG.find("o4-mini-high").orElseThrow();
        assertThat(o4mini.qualifiedId()).isEqualTo("openai/o4-mini");
        assertThat(o4mini.aliases()).contains("o4-mini-high");
        assertThat(CATALOG.find("gemini-2.5-flash-latest").orElseThrow().qualifiedId()).isEqualTo("google/gemini-2.5-flash");
    }

    @Test
    void datedSnapshotsWithoutAnEntryResolveToTheirModel() {
        assertThat(CATALOG.find("gpt-4o-2099-01-01").orElseThrow().qualifiedId()).isEqualTo("openai/gpt-4o");
        assertThat(CATALOG.find("gpt-4.1-2099-01-01", "openai").orElseThrow().qualifiedId()).isEqualTo("openai/gpt-4.1");
        assertThat(CATALOG.find("claude-sonnet-4-5-20991231").orElseThrow().qualifiedId())
                .isEqualTo("anthropic/claude-sonnet-4-5");
        assertThat(CATALOG.find("anthropic/claude-haiku-4-5-latest").orElseThrow().qualifiedId())
                .isEqualTo("anthropic/claude-haiku-4-5");
        // No undated entry at Anthropic: the newest dated one of the family, not a reseller's undated name.
        assertThat(CATALOG.find("claude-3-7-sonnet-latest").orElseThrow().qualifiedId())
                .isEqualTo("anthropic/claude-3-7-sonnet-20250219");
        assertThat(PricingCatalog.stripSnapshot("gpt-4o-2024-08-06")).isEqualTo("gpt-4o");
        assertThat(PricingCatalog.stripSnapshot("claude-3-5-sonnet-20241022")).isEqualTo("claude-3-5-sonnet");
        assertThat(PricingCatalog.stripSnapshot("claude-3-5-haiku@20241022")).isEqualTo("claude-3-5-haiku");
        assertThat(PricingCatalog.stripSnapshot("gpt-4-0613")).isEqualTo("gpt-4");
        assertThat(PricingCatalog.stripSnapshot("gemini-2.0-flash-001")).isEqualTo("gemini-2.0-flash");
        assertThat(PricingCatalog.stripSnapshot("gpt-4o")).isEqualTo("gpt-4o");
    }

    @Test
    void unknownNamesAndProvidersFindNothing() {
        assertThat(CATALOG.find("no-such-model")).isEmpty();
        assertThat(CATALOG.find("")).isEmpty();
        assertThat(CATALOG.find("gpt-4o", "no-such-provider")).isEmpty();
        // A deployment name at a known provider is not guessed from another provider's catalog.
        assertThat(CATALOG.find("my-company-gpt4o-deployment", "azure")).isEmpty();
        assertThat(CATALOG.find("claude-sonnet-4-5", "openai")).isEmpty();
        assertThat(CATALOG.models("no-such-provider")).isEmpty();
    }

    @Test
    void providerIdsAreCanonical() {
        assertThat(Providers.canonical("Gemini")).isEqualTo("google");
        assertThat(Providers.canonical("vertex_ai-anthropic_models")).isEqualTo("vertex_ai");
        assertThat(Providers.canonical("bedrock_converse")).isEqualTo("bedrock");
        assertThat(Providers.canonical("x-ai")).isEqualTo("xai");
        assertThat(Providers.canonical("openai")).isEqualTo("openai");
        assertThat(Set.of(Providers.rank("openai"), Providers.rank("azure"), Providers.rank("openrouter")))
                .hasSize(3);
        assertThat(Providers.rank("openai")).isLessThan(Providers.rank("azure"));
        assertThat(Providers.rank("azure")).isLessThan(Providers.rank("openrouter"));
    }
}
