package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.cache.CacheSettings;
import dev.tokenrt.testkit.FakeUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
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
        Map<String, JsonNode> checks = NodeChecks.run("cache-check.mjs", h.base(), GatewayHarness.MASTER, "gpt-4o-mini",
                "claude-sonnet-4-5", "tools-openai", UUID.randomUUID().toString());
        assertThat(checks.keySet()).containsExactlyInAnyOrder("openai-stream-replay:gpt-4o-mini",
                "openai-stream-replay:claude-sonnet-4-5", "anthropic-replay:gpt-4o-mini",
                "anthropic-replay:claude-sonnet-4-5", "tool-call-replay");
    }
}
