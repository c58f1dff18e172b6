package dev.tokenrt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.usage.Usage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's contracts, which other tools script: outputs, JSON shapes, exit statuses. */
class CliTest {

    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int status, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    static synchronized Run cliIn(String stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int status = TokenRt.run(args);
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    static Run cli(String... args) {
        return cliIn("", args);
    }

    /** The OpenAI cookbook's tool example (samples/chat-request.json): 101 prompt tokens on gpt-4o, 105 on gpt-4. */
    static final String COOKBOOK_TOOLS = """
            {"model":"gpt-4o","messages":[
              {"role":"system","content":"You are a helpful assistant that can answer to questions about the weather."},
              {"role":"user","content":"What's the weather like in San Francisco?"}],
             "tools":[{"type":"function","function":{"name":"get_current_weather",
               "description":"Get the current weather in a given location",
               "parameters":{"type":"object","properties":{
                 "location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
                 "unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},
                 "required":["location"]}}}]}""";

    @Test
    void countFilesAsJson(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.txt"), "tiktoken is great!");
        Path b = Files.writeString(dir.resolve("b.txt"), "antidisestablishmentarianism");
        Run r = cli("count", "--encoding", "cl100k_base", "--json", a.toString(), b.toString());
        assertThat(r.status()).isZero();
        JsonNode j = r.json();
        // Token counts from the OpenAI cookbook (tiktoken cl100k_base): 6 and 6.
        assertThat(j.path("files").get(0).path("tokens").asInt()).isEqualTo(6);
        assertThat(j.path("files").get(0).path("chars").asInt()).isEqualTo(18);
        assertThat(j.path("files").get(1).path("tokens").asInt()).isEqualTo(6);
        assertThat(j.path("total_tokens").asInt()).isEqualTo(12);
        assertThat(j.path("exact").asBoolean()).isTrue();
        assertThat(j.path("encoding").asText()).isEqualTo("cl100k_base");
        assertThat(j.path("model").isNull()).isTrue();
    }

    @Test
    void countStdinWithAModel() throws Exception {
        Run r = cliIn("2 + 2 = 4", "count", "--model", "gpt-4", "--json");
        assertThat(r.status()).isZero();
        assertThat(r.json().path("total_tokens").asInt()).isEqualTo(7);
        assertThat(r.json().path("files").get(0).path("path").asText()).isEqualTo("-");
        assertThat(r.json().path("model").asText()).isEqualTo("gpt-4");
    }

    @Test
    void countClaudeIsAnEstimate() throws Exception {
        Run r = cliIn("Hello there, how are you today?", "count", "--model", "claude-sonnet-4-5", "--json");
        assertThat(r.status()).isZero();
        assertThat(r.json().path("exact").asBoolean()).isFalse();
        assertThat(r.json().path("total_tokens").asInt()).isPositive();
    }

    @Test
    void countChatRequestAsBilled(@TempDir Path dir) throws Exception {
        Path req = Files.writeString(dir.resolve("req.json"), COOKBOOK_TOOLS);
        Run r4o = cli("count", "--model", "gpt-4o", "--chat", req.toString(), "--json");
        assertThat(r4o.status()).isZero();
        assertThat(r4o.json().path("prompt_tokens").asInt()).isEqualTo(101);
        assertThat(r4o.json().path("exact").asBoolean()).isTrue();
        Run r4 = cli("count", "--model", "gpt-4", "--chat", req.toString(), "--json");
        assertThat(r4.json().path("prompt_tokens").asInt()).isEqualTo(105);
        // The model can come from the request itself.
        Run fromBody = cli("count", "--chat", req.toString(), "--json");
        assertThat(fromBody.json().path("model").asText()).isEqualTo("gpt-4o");
    }

    @Test
    void costOfAnAnthropicUsageObjectByHand(@TempDir Path dir) throws Exception {
        Path usage = Files.writeString(dir.resolve("u.json"), """
                {"input_tokens": 2095, "cache_creation_input_tokens": 1024, "cache_read_input_tokens": 8192,
                 "cache_creation": {"ephemeral_5m_input_tokens": 1024, "ephemeral_1h_input_tokens": 0}, "output_tokens": 503}""");
        Run r = cli("cost", "--model", "claude-sonnet-4-5", "--usage", usage.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = r.json();
        // Claude Sonnet 4.5: $3/M input, $0.30/M cache read, $3.75/M 5-minute cache write, $15/M output.
        // input 2095 × 3e-6 = 0.006285; cache read 8192 × 0.3e-6 = 0.0024576; write 1024 × 3.75e-6 = 0.00384
        // input side = 0.0125826; output 503 × 15e-6 = 0.007545; total 0.0201276
        assertThat(j.path("provider").asText()).isEqualTo("anthropic");
        assertThat(j.path("input_cost_usd").asText()).isEqualTo("0.0125826");
        assertThat(j.path("output_cost_usd").asText()).isEqualTo("0.007545");
        assertThat(j.path("total_cost_usd").asText()).isEqualTo("0.0201276");
        assertThat(j.path("breakdown").path("cache_read").path("tokens").asLong()).isEqualTo(8192);
        assertThat(j.path("breakdown").path("cache_read").path("cost_usd").asText()).isEqualTo("0.0024576");
    }

    @Test
    void costOfAnOpenAiUsageWithCachedAndReasoningTokens(@TempDir Path dir) throws Exception {
        Path usage = Files.writeString(dir.resolve("u.json"), """
                {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
                 "prompt_tokens_details": {"cached_tokens": 400}, "completion_tokens_details": {"reasoning_tokens": 200}}""");
        Run r = cli("cost", "--model", "gpt-4o", "--usage", usage.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = r.json();
        // gpt-4o: $2.50/M input, $1.25/M cached input, $10/M output (reasoning billed as output).
        // uncached 600 × 2.5e-6 = 0.0015; cached 400 × 1.25e-6 = 0.0005; input side 0.002
        // output 300 × 1e-5 = 0.003; reasoning 200 × 1e-5 = 0.002; output side 0.005; total 0.007
        assertThat(j.path("input_cost_usd").asText()).isEqualTo("0.002");
        assertThat(j.path("output_cost_usd").asText()).isEqualTo("0.005");
        assertThat(j.path("total_cost_usd").asText()).isEqualTo("0.007");
        assertThat(j.path("breakdown").path("input").path("tokens").asLong()).isEqualTo(600);
    }

    @Test
    void costJsonlAnswersEveryLineInOrderAndNeverAborts() throws Exception {
        String in = """
                {"model":"gpt-4o","usage":{"prompt_tokens":1000000,"completion_tokens":0,"total_tokens":1000000}}
                not json
                {"model":"no-such-model","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}
                {"model":"gemini-2.5-flash","provider":"gemini","usage":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15}}
                """;
        Run r = cliIn(in, "cost", "--jsonl");
        assertThat(r.status()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(JSON.readTree(lines.get(0)).path("total_cost_usd").asText()).isEqualTo("2.5");
        assertThat(JSON.readTree(lines.get(1)).path("error").asText()).contains("line 2");
        assertThat(JSON.readTree(lines.get(2)).path("error").asText()).contains("no-such-model");
        assertThat(JSON.readTree(lines.get(3)).path("provider").asText()).isEqualTo("google");
    }

    @Test
    void errorsAreOneLineWithStatusTwoAndNothingOnStdout(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"prompt_tokens\": 1,");
        Run unknown = cliIn("hi", "count", "--model", "no-such-model-xyz");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err().strip().lines().count()).isEqualTo(1);
        assertThat(unknown.err()).contains("no-such-model-xyz");

        Run malformed = cli("cost", "--model", "gpt-4o", "--usage", bad.toString());
        assertThat(malformed.status()).isEqualTo(2);
        assertThat(malformed.out()).isEmpty();
        assertThat(malformed.err()).contains("malformed JSON").contains("bad.json");

        Run missing = cli("count", dir.resolve("nope.txt").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err()).contains("no such file");

        Run unknownCostModel = cli("cost", "--model", "nope-1", "--usage", bad.toString().replace("bad", "bad"));
        assertThat(unknownCostModel.status()).isEqualTo(2);

        Run badOption = cli("count", "--frobnicate");
        assertThat(badOption.status()).isEqualTo(2);
    }

    @Test
    void modelsListsTheCatalog() throws Exception {
        Run r = cli("models", "--provider", "openai", "--json");
        assertThat(r.status()).isZero();
        boolean found = false;
        for (JsonNode m : r.json()) {
            assertThat(m.path("provider").asText()).isEqualTo("openai");
            if (m.path("id").asText().equals("gpt-4o")) {
                found = true;
                assertThat(m.path("input_per_mtok").asText()).isEqualTo("2.5");
                assertThat(m.path("source").asText()).isNotEmpty();
            }
        }
        assertThat(found).isTrue();
        Run table = cli("models", "--grep", "gpt-4o-mini");
        assertThat(table.out()).contains("gpt-4o-mini").contains("per million tokens");
        assertThat(cli("models", "--provider", "nope").status()).isEqualTo(2);
    }

    @Test
    void reportReadsTheLedger(@TempDir Path dir) throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("tokenrt.db");
        try (JdbcUsageLedger ledger = JdbcUsageLedger.open(url, dev.tokenrt.store.ledger.LedgerOptions.defaults())) {
            for (int i = 0; i < 3; i++) {
                ledger.append(new LedgerEntry("r" + i, Instant.now().minusSeconds(60), LedgerEntry.Attribution.NONE,
                        "openai", "gpt-4o", i == 2 ? "gpt-4o-mini" : "gpt-4o", Usage.of(100, 10), 1_000_000L * (i + 1),
                        LedgerEntry.CacheOutcome.BYPASS, 0, "", false, 200, "", 5, 5));
            }
            ledger.flush(Duration.ofSeconds(5));
        }
        Run r = cli("report", "--database", url, "--since", "1d", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.json().path("totals").path("requests").asLong()).isEqualTo(3);
        assertThat(r.json().path("totals").path("cost_usd").asText()).isEqualTo("0.006");
        Run table = cli("report", "--database", url, "--since", "1d");
        assertThat(table.out()).contains("gpt-4o-mini").contains("total").contains("█").doesNotContain("saved_usd");
        assertThat(cli("report", "--database", url, "--since", "yesterday").status()).isEqualTo(2);

        // A cache hit adds the hits and what they saved.
        try (JdbcUsageLedger ledger = JdbcUsageLedger.open(url, dev.tokenrt.store.ledger.LedgerOptions.defaults())) {
            ledger.append(new LedgerEntry("hit", Instant.now().minusSeconds(30), LedgerEntry.Attribution.NONE, "openai",
                    "gpt-4o", "gpt-4o", Usage.NONE, 0, LedgerEntry.CacheOutcome.HIT, 2_500_000L, "", false, 200, "", 1, 1,
                    100, 10));
            ledger.flush(Duration.ofSeconds(5));
        }
        Run withHits = cli("report", "--database", url, "--since", "1d");
        assertThat(withHits.out()).contains("hits").contains("saved_usd").contains("0.0025");
    }

    @Test
    void helpTeaches() {
        Run r = cli("help", "count");
        assertThat(r.out()).contains("Examples:").contains("--chat");
        assertThat(cli("--help").out()).contains("serve").contains("count").contains("cost").contains("models").contains("report");
    }
}
