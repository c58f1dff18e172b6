package dev.tokenrt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tokenrt eval cache} end to end: the real models, the real Lucene index, the product's policies. */
class EvalCacheCommandTest {

    static Path gptcache() throws URISyntaxException {
        return Path.of(Objects.requireNonNull(EvalCacheCommandTest.class
                .getResource("paraphrase/gptcache_mock_data_first300.json")).toURI());
    }

    @Test
    void gptCachePairsWithBothPolicies() throws Exception {
        CliTest.Run fixed = CliTest.cli("eval", "cache", "--pairs", gptcache().toString(), "--format", "gptcache",
                "--policy", "fixed", "--json");
        assertThat(fixed.status()).as(fixed.err()).isZero();
        JsonNode f = fixed.json();
        assertThat(f.path("pairs").asInt()).isEqualTo(300);
        assertThat(f.path("policy").asText()).isEqualTo("fixed(0.80)");
        assertThat(f.path("duplicates").asInt()).isEqualTo(300);
        assertThat(f.path("verified").asInt()).isZero();
        // Every pair is a paraphrase, but some first texts paraphrase each other: the fixed bar serves wrong hits.
        assertThat(f.path("hit_rate").asDouble()).isGreaterThan(0.7);
        assertThat(f.path("false_hit_rate").asDouble()).isGreaterThan(0.01);
        double p = f.path("precision").asDouble();
        assertThat(p).isEqualTo(f.path("correct_hits").asDouble() / f.path("hits").asDouble());
        assertThat(f.path("report").path("achieved_false_hit_rate").isNull()).isTrue();

        CliTest.Run verified = CliTest.cli("eval", "cache", "--pairs", gptcache().toString(), "--format", "gptcache",
                "--json");
        assertThat(verified.status()).as(verified.err()).isZero();
        JsonNode v = verified.json();
        assertThat(v.path("policy").asText()).startsWith("verified(max_false_hit_rate=0.01");
        // 300 lookups are too few to earn the right to serve at 1%: it verifies, and serves few or none.
        assertThat(v.path("verified").asInt()).isGreaterThan(150);
        assertThat(v.path("false_hit_rate").asDouble()).isLessThan(f.path("false_hit_rate").asDouble());
        assertThat(v.path("report").path("labels").asInt()).isEqualTo(v.path("verified").asInt());
    }

    @Test
    void theOtherFormatsAndTheirCounts(@TempDir Path dir) throws Exception {
        Path jsonl = Files.writeString(dir.resolve("p.jsonl"), """
                {"text_a":"How do I reset my password?","text_b":"How can I reset my password?","label":1}
                {"text_a":"What is the capital of France?","text_b":"Which city is the capital of France?","label":1}
                {"text_a":"How tall is Mount Everest?","text_b":"How old is Mount Everest?","label":0}
                """);
        CliTest.Run r = CliTest.cli("eval", "cache", "--pairs", jsonl.toString(), "--format", "pairs",
                "--policy", "fixed", "--threshold", "0.85", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.json().path("pairs").asInt()).isEqualTo(3);
        assertThat(r.json().path("duplicates").asInt()).isEqualTo(2);
        assertThat(r.json().path("hit_rate").asDouble()).isEqualTo(1.0);
        assertThat(r.json().path("policy").asText()).isEqualTo("fixed(0.85)");

        Path lcqmc = Files.writeString(dir.resolve("l.txt"), "今天天气怎么样\t今天天气如何\t1\n怎么做红烧肉\t红烧肉怎么做好吃\t1\n");
        CliTest.Run l = CliTest.cli("eval", "cache", "--pairs", lcqmc.toString(), "--format", "lcqmc", "--json",
                "--policy", "fixed", "--limit", "1");
        assertThat(l.status()).as(l.err()).isZero();
        assertThat(l.json().path("pairs").asInt()).isEqualTo(1);
        assertThat(l.json().path("embedder").asText()).contains("bge-small-zh");

        Path stsb = Files.writeString(dir.resolve("s.csv"),
                "main-news\tours\t2026\t0001\t4.2\tA dog runs in the park.\tA dog is running in a park.\n"
                        + "main-news\tours\t2026\t0002\t1.0\tA dog runs in the park.\tThe market fell sharply.\textra\tcols\n");
        CliTest.Run s = CliTest.cli("eval", "cache", "--pairs", stsb.toString(), "--format", "stsb", "--policy",
                "fixed", "--json");
        assertThat(s.status()).as(s.err()).isZero();
        assertThat(s.json().path("duplicates").asInt()).isEqualTo(1);
        assertThat(s.json().path("entries").asInt()).as("identical first texts share an entry").isEqualTo(1);
        assertThat(s.json().path("hit_rate").asDouble()).isEqualTo(1.0);

        CliTest.Run text = CliTest.cli("eval", "cache", "--pairs", stsb.toString(), "--format", "stsb");
        assertThat(text.status()).isZero();
        assertThat(text.out()).contains("hit_rate", "precision", "false_hit_rate", "verified(");
    }

    @Test
    void mistakesAreOneLineWithStatusTwo(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.txt"), "only one field\n");
        CliTest.Run fmt = CliTest.cli("eval", "cache", "--pairs", bad.toString(), "--format", "csv");
        assertThat(fmt.status()).isEqualTo(2);
        assertThat(fmt.err().strip())
                .isEqualTo("tokenrt eval cache: unknown --format 'csv'; use pairs, lcqmc, stsb or gptcache");
        CliTest.Run line = CliTest.cli("eval", "cache", "--pairs", bad.toString(), "--format", "lcqmc");
        assertThat(line.status()).isEqualTo(2);
        assertThat(line.err()).contains("bad.txt line 1: expected three tab-separated fields").doesNotContain("\tat ");
        CliTest.Run missing = CliTest.cli("eval", "cache", "--pairs", dir.resolve("nope").toString(), "--format", "pairs");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file");
        CliTest.Run policy = CliTest.cli("eval", "cache", "--pairs", bad.toString(), "--format", "lcqmc",
                "--policy", "lucky");
        assertThat(policy.status()).isEqualTo(2);
        CliTest.Run bound = CliTest.cli("eval", "cache", "--pairs", bad.toString(), "--format", "lcqmc",
                "--max-false-hit-rate", "2");
        assertThat(bound.status()).isEqualTo(2);
        assertThat(bound.err()).contains("--max-false-hit-rate must be between 0 and 1");
        CliTest.Run help = CliTest.cli("eval", "cache", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("counts the lookup as", "Examples:", "(0.8, the peers' default)");
    }
}
