package dev.tokenrt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The standalone entry point the load harness runs. */
class FakeUpstreamMainTest {

    @Test
    void parsesEveryOption() {
        FakeUpstream.Options o = FakeUpstream.parseArgs("--port=8089", "--latency-ms", "5", "--stream-chunk-interval-ms",
                "2", "--chunks", "7", "--slow-first-byte-ms=40", "--scenario", "synthetic");
        assertThat(o.port()).isEqualTo(8089);
        assertThat(o.latency()).isEqualTo(Duration.ofMillis(5));
        assertThat(o.streamChunkInterval()).isEqualTo(Duration.ofMillis(2));
        assertThat(o.syntheticChunks()).isEqualTo(7);
        assertThat(o.slowFirstByte()).isEqualTo(Duration.ofMillis(40));
        assertThat(o.defaultScenario()).isEqualTo(Scenario.of(Scenario.Kind.SYNTHETIC));
        assertThat(FakeUpstream.parseArgs()).isEqualTo(FakeUpstream.Options.defaults());
        assertThat(FakeUpstream.parseArgs("--help")).isNull();
    }

    @Test
    void rejectsBadOptionsNamingThem() {
        assertThatThrownBy(() -> FakeUpstream.parseArgs("--chunks", "many")).hasMessageContaining("--chunks");
        assertThatThrownBy(() -> FakeUpstream.parseArgs("--colour", "red")).hasMessageContaining("--colour");
        assertThatThrownBy(() -> FakeUpstream.parseArgs("--port")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> FakeUpstream.parseArgs("--scenario", "chaos")).hasMessageContaining("chaos");
        assertThatThrownBy(() -> FakeUpstream.parseArgs("--chunks", "0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hung child, not a speed check
    void mainServesUntilTheProcessIsStopped() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), FakeUpstream.class.getName(),
                "--port", "0", "--scenario", "synthetic", "--chunks", "3").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String base = null;
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("fake upstream listening on ")) {
                    base = line.substring("fake upstream listening on ".length());
                    break;
                }
            }
            assertThat(base).startsWith("http://127.0.0.1:");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base
                    + "/v1/chat/completions")).header("authorization", "Bearer k")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(r.body()).path("choices").get(0).path("message").path("content")
                    .asText()).isEqualTo("The quick brown");
        } finally {
            p.destroy();
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
        assertThat(p.isAlive()).isFalse();
    }
}
