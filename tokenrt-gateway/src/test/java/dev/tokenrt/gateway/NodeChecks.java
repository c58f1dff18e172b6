package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the Node scripts in src/test/node with the official SDKs (installed by bin/fetch-sdks.sh in a
 * cache outside the repo) and collects the checks it prints, one JSON object a line:
 * {@code {"check": name, "ok": bool, "detail": ...}}. Fails the test if node fails or any check does.
 */
final class NodeChecks {

    private NodeChecks() {
    }

    static Path sdkDir() {
        String dir = System.getProperty("tokenrt.sdk.cache", System.getProperty("user.home") + "/.cache/tokenrt/sdk-check");
        Path p = Path.of(dir);
        if (!Files.isDirectory(p.resolve("node_modules/openai")) || !Files.isDirectory(p.resolve("node_modules/@anthropic-ai/sdk"))) {
            throw new AssertionError("the official SDKs are not installed in " + p + ": run bin/fetch-sdks.sh " + p);
        }
        return p;
    }

    /** Runs {@code script} (a file name in src/test/node) with {@code args}; returns the checks by name. */
    static Map<String, JsonNode> run(String script, String... args) throws Exception {
        Path dir = sdkDir();
        // The scripts import each other (checks.mjs), so all of them go beside the SDKs.
        try (var scripts = Files.list(Path.of("src/test/node"))) {
            for (Path f : scripts.filter(f -> f.toString().endsWith(".mjs")).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path copy = dir.resolve(script);
        List<String> command = new ArrayList<>(List.of("node", copy.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
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
        return checks;
    }
}
