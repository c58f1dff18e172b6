package dev.tokenrt.pricing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the builder on a small real extract of both sources (see test resources, NOTICE.md). */
class CatalogBuilderTest {

    private static final LocalDate BUILD_DAY = LocalDate.of(2026, 11, 23);

    @TempDir
    Path dir;

    private static Path resource(String name) {
        try {
            return Path.of(CatalogBuilderTest.class.getResource("builder/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private CatalogBuilder.Options options() {
        return new CatalogBuilder.Options(resource("litellm-extract.json"), resource("genai-prices"),
                dir.resolve("catalog.json"), Optional.of(dir.resolve("report.md")), BUILD_DAY,
                Optional.empty(), Optional.empty(), Optional.of(BUILD_DAY), Optional.empty());
    }

    private static PricingCatalog parse(String json) {
        return PricingCatalog.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "built catalog");
    }

    @Test
    void buildIsDeterministicAndMatchesTheReviewedOutput() throws IOException {
        CatalogBuilder.Result first = CatalogBuilder.build(options());
        CatalogBuilder.Result second = CatalogBuilder.build(options());
        assertThat(second.catalogJson()).isEqualTo(first.catalogJson());
        assertThat(second.report()).isEqualTo(first.report());
        assertThat(first.modelCount()).isEqualTo(16);
        // Byte for byte what NOTICE.md says the builder produced for these inputs and was reviewed.
        assertThat(first.catalogJson()).isEqualTo(Files.readString(resource("expected-catalog.json")));
        assertThat(first.report()).isEqualTo(Files.readString(resource("expected-crosscheck.md")));
    }

    @Test
    void convertsPerTokenDoublesToExactPerMillionDecimals() throws IOException {
        PricingCatalog catalog = parse(CatalogBuilder.build(options()).catalogJson());
        // 1.875e-05 per token (a double whose binary value is 1.87500000000000005...e-05) is 18.75 per million;
        // 3e-08 is 0.03 (naive double arithmetic gives 0.030000000000000002).
        ModelPrice opus = catalog.find("claude-4-opus-20250514").orElseThrow();
        assertThat(opus.rates().cacheWrite5m().orElseThrow().plain()).isEqualTo("18.75");
        assertThat(catalog.find("claude-3-haiku-20240307").orElseThrow().rates().cacheRead().orElseThrow().plain())
                .isEqualTo("0.03");
        // Why the conversion goes through Double.toString: the double's exact binary value is not 0.03 per million.
        assertThat(new java.math.BigDecimal(3e-08).movePointRight(6)).isNotEqualByComparingTo("0.03");
        ModelPrice gpt4o = catalog.find("openai/gpt-4o").orElseThrow();
        assertThat(gpt4o.input().plain()).isEqualTo("2.5");
        assertThat(gpt4o.input().source()).isEqualTo("litellm");
        assertThat(gpt4o.input().date()).isEqualTo(LocalDate.of(2026, 7, 24)); // LiteLLM's last_updated
        assertThat(gpt4o.rates().batchOutput().orElseThrow().plain()).isEqualTo("5");
        assertThat(gpt4o.contextWindow()).hasValue(128_000);
        assertThat(gpt4o.maxOutputTokens()).hasValue(16_384);
    }

    @Test
    void appliesTheDocumentedSourceRules() throws IOException {
        CatalogBuilder.Result result = CatalogBuilder.build(options());
        PricingCatalog catalog = parse(result.catalogJson());

        // A dated genai-prices change (2026-09-01) after LiteLLM's snapshot (2026-07-24) wins.
        ModelPrice sonnet5 = catalog.find("claude-sonnet-5", "anthropic").orElseThrow();
        assertThat(sonnet5.input().plain()).isEqualTo("3");
        assertThat(sonnet5.input().source()).isEqualTo("genai-prices");
        assertThat(sonnet5.input().date()).isEqualTo(LocalDate.of(2026, 9, 1));
        assertThat(sonnet5.output().orElseThrow().plain()).isEqualTo("15");
        // ...and its 1h write is re-derived from the new input price by Anthropic's 2x rule.
        assertThat(sonnet5.rates().cacheWrite1h().orElseThrow().plain()).isEqualTo("6");
        assertThat(sonnet5.rates().cacheWrite1h().orElseThrow().source()).isEqualTo("derived");

        // LiteLLM wins a plain disagreement (gpt-4o-2024-05-13 really was $5/$15; genai-prices folds it into gpt-4o).
        ModelPrice may = catalog.find("gpt-4o-2024-05-13").orElseThrow();
        assertThat(may.input().plain()).isEqualTo("5");
        assertThat(result.report()).contains("| openai | gpt-4o-2024-05-13 | input | 5 | 2.5 | openai:gpt-4o |");

        // genai-prices fills a cache price LiteLLM lacks when input and output agree.
        ModelPrice large = catalog.find("mistral/mistral-large-2512").orElseThrow();
        assertThat(large.rates().cacheRead().orElseThrow().plain()).isEqualTo("0.05");
        assertThat(large.rates().cacheRead().orElseThrow().source()).isEqualTo("genai-prices");

        // Anthropic 1h writes: a wrong LiteLLM figure (6 for a $0.25 model) and a missing one become 2x input.
        assertThat(catalog.find("claude-3-haiku-20240307").orElseThrow().rates().cacheWrite1h().orElseThrow().plain())
                .isEqualTo("0.5");
        assertThat(catalog.find("claude-4-opus-20250514").orElseThrow().rates().cacheWrite1h().orElseThrow().plain())
                .isEqualTo("30");

        // genai-prices exact names become aliases of the entry they price.
        assertThat(catalog.find("claude-opus-4").orElseThrow().qualifiedId()).isEqualTo("anthropic/claude-4-opus-20250514");
        assertThat(catalog.find("o3-2025-04-16").orElseThrow().qualifiedId()).isEqualTo("openai/o3");

        // LiteLLM's provider-qualified key wins a collision ("gemini/gemini-flash-latest" over "gemini-flash-latest").
        assertThat(catalog.find("gemini-flash-latest", "google").orElseThrow().rates().cacheRead().orElseThrow().plain())
                .isEqualTo("0.075");

        // Long-context tiers from *_above_200k_tokens fields and from tiered_pricing ranges.
        assertThat(catalog.find("claude-sonnet-4-5").orElseThrow().tiers()).singleElement()
                .satisfies(t -> assertThat(t.rates().cacheWrite1h().orElseThrow().plain()).isEqualTo("12"));
        ModelPrice qwen = catalog.find("dashscope/qwen-flash").orElseThrow();
        assertThat(qwen.input().plain()).isEqualTo("0.05");
        assertThat(qwen.tiers()).singleElement().satisfies(t -> {
            assertThat(t.aboveInputTokens()).isEqualTo(256_000);
            assertThat(t.rates().input().orElseThrow().plain()).isEqualTo("0.25");
        });

        // DeepSeek's cache-hit field is its cache-read price; Gemini on AI Studio is provider google.
        assertThat(catalog.find("deepseek-chat").orElseThrow().rates().cacheRead().orElseThrow().plain()).isEqualTo("0.028");
        assertThat(catalog.models("google")).extracting(ModelPrice::id).containsExactly("gemini-2.5-pro", "gemini-flash-latest");
        assertThat(catalog.find("gemini-2.5-pro", "vertex_ai")).isPresent();

        // Left out: an image model and an entry priced per container, not per token.
        assertThat(catalog.find("dall-e-3")).isEmpty();
        assertThat(catalog.find("azure/container")).isEmpty();
        assertThat(catalog.find("text-embedding-3-small").orElseThrow().mode()).isEqualTo(ModelMode.EMBEDDING);
    }

    @Test
    void mainWritesBothFilesAndRejectsBadArguments() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path catalog = dir.resolve("nested/catalog.json");
        Path report = dir.resolve("docs/report.md");
        int status = CatalogBuilder.run(new String[] {
                "--litellm", resource("litellm-extract.json").toString(),
                "--genai-prices", resource("genai-prices").toString(),
                "--out", catalog.toString(), "--report", report.toString(),
                "--date", "2026-11-23", "--genai-prices-date", "2026-11-23"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("wrote 16 models");
        assertThat(Files.readString(catalog)).isEqualTo(Files.readString(resource("expected-catalog.json")));
        assertThat(Files.readString(report)).isEqualTo(Files.readString(resource("expected-crosscheck.md")));

        ByteArrayOutputStream err2 = new ByteArrayOutputStream();
        int bad = CatalogBuilder.run(new String[] {"--litellm", "x.json", "--genai-prices", "g", "--out", "o.json", "--date", "soon"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err2, true, StandardCharsets.UTF_8));
        assertThat(bad).isEqualTo(2);
        assertThat(err2.toString(StandardCharsets.UTF_8)).contains("--date must be a date").contains("usage:");
        ByteArrayOutputStream err4 = new ByteArrayOutputStream();
        assertThat(CatalogBuilder.run(new String[] {"--litellm", "x.json", "--colour", "red"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err4, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err4.toString(StandardCharsets.UTF_8)).contains("unknown option '--colour'");

        ByteArrayOutputStream err3 = new ByteArrayOutputStream();
        int missing = CatalogBuilder.run(new String[] {"--litellm", dir.resolve("absent.json").toString(),
                        "--genai-prices", dir.toString(), "--out", dir.resolve("o.json").toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err3, true, StandardCharsets.UTF_8));
        assertThat(missing).isEqualTo(1);
        assertThat(err3.toString(StandardCharsets.UTF_8)).contains("absent.json");
    }

    @Test
    void litellmKeysLoseTheirProviderPrefix() {
        assertThat(CatalogBuilder.modelId("gemini/gemini-2.5-pro", "gemini")).isEqualTo("gemini-2.5-pro");
        assertThat(CatalogBuilder.modelId("vertex_ai/claude-sonnet-4-5", "vertex_ai-anthropic_models")).isEqualTo("claude-sonnet-4-5");
        assertThat(CatalogBuilder.modelId("bedrock/us-east-1/anthropic.claude-v2:1", "bedrock")).isEqualTo("us-east-1/anthropic.claude-v2:1");
        assertThat(CatalogBuilder.modelId("amazon-nova/nova-micro-v1", "amazon_nova")).isEqualTo("nova-micro-v1");
        assertThat(CatalogBuilder.modelId("openrouter/openai/gpt-4o", "openrouter")).isEqualTo("openai/gpt-4o");
        assertThat(CatalogBuilder.modelId("gpt-4o", "openai")).isEqualTo("gpt-4o");
        // A slash that is part of the model name stays.
        assertThat(CatalogBuilder.modelId("meta-llama/Llama-3-8b", "together_ai")).isEqualTo("meta-llama/Llama-3-8b");
    }
}
