package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.testkit.FakeUpstream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI and Anthropic Node SDKs, unmodified, drive the gateway: chat, streams with and without
 * include_usage, tools, embeddings, model listing, and errors arriving as the SDKs' own error classes. The
 * SDKs are installed by bin/fetch-sdks.sh (run by the build before the tests) into a cache outside the repo.
 */
class RealClientsTest {

    static GatewayHarness h;

    @BeforeAll
    static void start() throws IOException {
        h = new GatewayHarness(Files.createTempDirectory("tokenrt-sdk"), FakeUpstream.Options.defaults());
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void officialSdksWorkUnchanged() throws Exception {
        Map<String, JsonNode> checks = NodeChecks.run("sdk-check.mjs", h.base(), GatewayHarness.MASTER, "gpt-4o-mini",
                "claude-sonnet-4-5", "tools-openai", "tools-claude");
        assertThat(checks.keySet()).contains("chat:gpt-4o-mini", "chat:claude-sonnet-4-5",
                "stream-no-usage:gpt-4o-mini", "stream-usage:gpt-4o-mini", "stream-usage:claude-sonnet-4-5",
                "tools:gpt-4o-mini", "tools:claude-sonnet-4-5", "embeddings", "models", "error:auth", "error:bad-request",
                "error:not-found", "anthropic:claude-sonnet-4-5", "anthropic:gpt-4o-mini",
                "anthropic-stream:claude-sonnet-4-5", "anthropic-stream:gpt-4o-mini", "anthropic:error:auth");
        // The streamed usage the SDK saw is what the ledger holds.
        assertThat(checks.get("stream-usage:gpt-4o-mini").path("detail").path("usage").path("prompt_tokens").asLong())
                .isPositive();
    }
}
