package dev.tokenrt.pricing;

import dev.tokenrt.usage.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PricingOverridesTest {

    private static final PricingCatalog CATALOG = PricingCatalog.bundled();

    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        Path f = dir.resolve("overrides.json");
        Files.writeString(f, json);
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-11-20T10:00:00Z")));
        return f;
    }

    @Test
    void addsAModelAndCorrectsAPriceWithoutARebuild() throws IOException {
        Path f = file("""
                {"models": [
                  {"id": "acme-chat-1", "provider": "acme", "contextWindow": 32000,
                   "usdPerMTok": {"input": "0.4", "output": 1.6, "cacheRead": "0.1"}, "aliases": ["acme-chat"]},
                  {"id": "gpt-4o", "provider": "openai", "sourceDate": "2026-11-01",
                   "usdPerMTok": {"input": "2.25", "batchInput": null}}
                ]}
                """);
        PricingCatalog corrected = CATALOG.withOverrides(f);

        ModelPrice acme = corrected.find("acme-chat").orElseThrow();
        assertThat(acme.qualifiedId()).isEqualTo("acme/acme-chat-1");
        assertThat(acme.mode()).isEqualTo(ModelMode.CHAT);
        assertThat(acme.source()).isEqualTo("override");
        assertThat(acme.sourceDate()).isEqualTo(LocalDate.of(2026, 11, 20)); // the file's modification date
        assertThat(acme.output().orElseThrow().plain()).isEqualTo("1.6"); // a JSON number is read exactly
        assertThat(acme.contextWindow()).hasValue(32_000);
        // 1,000 input incl. 600 cached, 100 output:
        // 400 × 0.4 × 1000 = 160,000; 600 × 0.1 × 1000 = 60,000; 100 × 1.6 × 1000 = 160,000
        assertThat(CostCalculator.cost(acme, new Usage(1_000, 100, 600, 0, 0, 0,
                dev.tokenrt.usage.UsageSource.PROVIDER, dev.tokenrt.usage.UsageSource.PROVIDER)))
                .isEqualTo(new Cost(160_000, 60_000, 0, 0, 160_000, 0));

        ModelPrice gpt4o = corrected.find("gpt-4o").orElseThrow();
        assertThat(gpt4o.input().plain()).isEqualTo("2.25");
        assertThat(gpt4o.input().source()).isEqualTo("override");
        assertThat(gpt4o.input().date()).isEqualTo(LocalDate.of(2026, 11, 1));
        assertThat(gpt4o.rates().batchInput()).isEmpty();
        // Fields the override did not touch keep their value and provenance.
        assertThat(gpt4o.output().orElseThrow().plain()).isEqualTo("10");
        assertThat(gpt4o.output().orElseThrow().source()).isEqualTo("litellm");
        assertThat(gpt4o.source()).isEqualTo("litellm");
        assertThat(gpt4o.rates().batchOutput()).isPresent();
        // 1,000 uncached × 2.25 × 1000 = 2,250,000
        assertThat(CostCalculator.cost(gpt4o, Usage.of(1_000, 0)).inputNanos()).isEqualTo(2_250_000);

        // The bundled catalog is untouched, and every other model is still there.
        assertThat(CATALOG.find("gpt-4o").orElseThrow().input().plain()).isEqualTo("2.5");
        assertThat(CATALOG.find("acme-chat")).isEmpty();
        assertThat(corrected.models()).hasSize(CATALOG.models().size() + 1);
        assertThat(corrected.info()).isEqualTo(CATALOG.info());
    }

    @Test
    void providerMayBeLeftOutWhenTheIdIsUniqueAndAliasesAreAccepted() throws IOException {
        Path f = file("""
                {"models": [
                  {"id": "claude-haiku-4-5", "provider": "anthropic", "tiers": [
                     {"aboveInputTokens": 200000, "usdPerMTok": {"input": "2", "output": "10"}}]},
                  {"id": "gemini-2.5-flash", "provider": "gemini", "maxOutputTokens": 8192}
                ]}
                """);
        PricingCatalog corrected = CATALOG.withOverrides(f);
        ModelPrice haiku = corrected.find("claude-haiku-4-5").orElseThrow();
        assertThat(haiku.tiers()).hasSize(1);
        // 250,000 uncached input above the tier: 250,000 × 2 × 1000 = 500,000,000
        assertThat(CostCalculator.cost(haiku, Usage.of(250_000, 0)).inputNanos()).isEqualTo(500_000_000);
        assertThat(corrected.find("gemini-2.5-flash", "google").orElseThrow().maxOutputTokens()).hasValue(8192);

        String unique = CATALOG.models().stream().filter(m -> m.provider().equals("deepseek")
                && CATALOG.models().stream().filter(o -> o.id().equals(m.id())).count() == 1).findFirst().orElseThrow().id();
        PricingCatalog byId = CATALOG.withOverrides(file("{\"models\": [{\"id\": \"" + unique + "\", \"usdPerMTok\": {\"output\": \"9\"}}]}"));
        assertThat(byId.find(unique, "deepseek").orElseThrow().output().orElseThrow().plain()).isEqualTo("9");
    }

    @Test
    void errorsNameTheModelAndTheField() throws IOException {
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"usdPerMTok\": {\"ouput\": \"1\"}}]}",
                "model 'openai/gpt-4o'", "field 'usdPerMTok.ouput'", "unknown price kind");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"usdPerMTok\": {\"input\": \"-1\"}}]}",
                "model 'openai/gpt-4o'", "field 'usdPerMTok.input'", "cannot be negative");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"usdPerMTok\": {\"input\": \"cheap\"}}]}",
                "model 'openai/gpt-4o'", "field 'usdPerMTok.input'", "'cheap' is not a decimal number");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"prices\": {}}]}",
                "model 'openai/gpt-4o'", "field 'prices'", "unknown field");
        assertError("{\"models\": [{\"id\": \"acme-1\", \"provider\": \"acme\", \"mode\": \"image\", \"usdPerMTok\": {\"input\": \"1\"}}]}",
                "model 'acme/acme-1'", "field 'mode'", "unknown mode 'image'");
        assertError("{\"models\": [{\"id\": \"acme-1\", \"provider\": \"acme\", \"usdPerMTok\": {\"input\": \"1\"}}]}",
                "model 'acme/acme-1'", "an output price is required");
        assertError("{\"models\": [{\"id\": \"acme-1\", \"provider\": \"acme\", \"usdPerMTok\": {\"output\": \"1\"}}]}",
                "model 'acme/acme-1'", "an input price is required");
        assertError("{\"models\": [{\"id\": \"acme-1\", \"usdPerMTok\": {\"input\": \"1\", \"output\": \"2\"}}]}",
                "model 'acme-1'", "field 'provider'", "does not have");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"usdPerMTok\": {\"input\": \"1\"}}]}",
                "model 'gpt-4o'", "field 'provider'", "azure", "openai");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"contextWindow\": -5}]}",
                "model 'openai/gpt-4o'", "field 'contextWindow'", "positive");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"tiers\": [{\"aboveInputTokens\": 0, \"usdPerMTok\": {\"input\": \"1\"}}]}]}",
                "model 'openai/gpt-4o'", "tiers[0]", "aboveInputTokens");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"tiers\": [{\"aboveInputTokens\": 1000, \"usdPerMTok\": {\"batchInput\": \"1\"}}]}]}",
                "model 'openai/gpt-4o'", "field 'tiers'", "batch");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\", \"sourceDate\": \"yesterday\"}]}",
                "model 'openai/gpt-4o'", "field 'sourceDate'", "not a date");
        assertError("{\"models\": [{\"id\": \"gpt-4o\", \"provider\": \"openai\"}, {\"id\": \"gpt-4o\", \"provider\": \"openai\"}]}",
                "'openai/gpt-4o' is given twice");
        assertError("{\"models\": [{\"provider\": \"openai\"}]}", "has no 'id'");
        assertError("{\"model\": []}", "unknown top-level field 'model'");
        assertError("{\"models\": {}}", "'models' must be an array");
        assertError("{\"models\": [", "not valid JSON");
        assertError("{\"models\": [{\"id\": \"x\", \"id\": \"y\"}]}", "not valid JSON", "Duplicate field 'id'");
    }

    @Test
    void aMissingFileIsAnError() {
        Path missing = dir.resolve("absent.json");
        assertThatThrownBy(() -> CATALOG.withOverrides(missing))
                .isInstanceOf(CatalogException.class).hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
    }

    private void assertError(String json, String... fragments) throws IOException {
        Path f = file(json);
        var thrown = assertThatThrownBy(() -> CATALOG.withOverrides(f)).isInstanceOf(CatalogException.class)
                .hasMessageContaining("override file " + f);
        for (String fragment : fragments) {
            thrown.hasMessageContaining(fragment);
        }
    }
}
