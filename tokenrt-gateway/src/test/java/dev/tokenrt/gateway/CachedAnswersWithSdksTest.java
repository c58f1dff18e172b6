package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.cache.CacheSettings;
import dev.tokenrt.testkit.FakeUpstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cached answers replayed to the official OpenAI and Anthropic Node SDKs, unmodified: a hit on a streamed
 * request must be a stream the SDKs parse, in either format, tool calls included.
 */
class CachedAnswersWithSdksTest {

    static GatewayHarness h;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("tokenrt-sdk-cache");
        h = new GatewayHarness(dir, FakeUpstream.Options.defaults(), "jdbc:sqlite:" + dir.resolve("tokenrt.db"),
                BudgetSettings.DEFAULTS, CacheConfig.memory(CacheSettings.DEFAULTS));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void theSdksParseReplayedAnswers() throws Exception {
        Path dir = RealClientsTest.sdkDir();
        Path script = dir.resolve("cache-check.mjs");
        Files.copy(Path.of("src/test/node/cache-check.mjs"), script, StandardCopyOption.REPLACE_EXISTING);
        Process p = new ProcessBuilder("node", script.toString(), h.base(), GatewayHarness.MASTER, "gpt-4o-mini",
                "claude-sonnet-4-5", "tools-openai", UUID.randomUUID().toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as("node finished in time; output so far:\n" + out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, JsonNode> checks = new LinkedHashMap<>();
        List<String> failed = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                JsonNode n = GatewayHarness.json(line);
                checks.put(n.path("check").asText(), n);
                if (!n.path("ok").asBoolean()) {
                    failed.add(n.path("check").asText() + ": " + n.path("detail").asText());
                }
            }
        }
        assertThat(failed).as("failed SDK checks").isEmpty();
        assertThat(checks.keySet()).containsExactlyInAnyOrder("openai-stream-replay:gpt-4o-mini",
                "openai-stream-replay:claude-sonnet-4-5", "anthropic-replay:gpt-4o-mini",
                "anthropic-replay:claude-sonnet-4-5", "tool-call-replay");
    }
}
