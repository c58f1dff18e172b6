package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.testkit.FakeUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

    static Path sdkDir() {
        String dir = System.getProperty("tokenrt.sdk.cache", System.getProperty("user.home") + "/.cache/tokenrt/sdk-check");
        Path p = Path.of(dir);
        if (!Files.isDirectory(p.resolve("node_modules/openai")) || !Files.isDirectory(p.resolve("node_modules/@anthropic-ai/sdk"))) {
            throw new AssertionError("the official SDKs are not installed in " + p + ": run bin/fetch-sdks.sh " + p);
        }
        return p;
    }

    @Test
    void officialSdksWorkUnchanged() throws Exception {
        Path dir = sdkDir();
        Path script = dir.resolve("sdk-check.mjs");
        Files.copy(Path.of("src/test/node/sdk-check.mjs"), script, StandardCopyOption.REPLACE_EXISTING);
        Process p = new ProcessBuilder("node", script.toString(), h.base(), GatewayHarness.MASTER, "gpt-4o-mini",
                "claude-sonnet-4-5", "tools-openai", "tools-claude")
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
