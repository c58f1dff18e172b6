package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import dev.tokenrt.testkit.FakeUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pipeline: {bare: true}}, the benchmarks' baseline: the request still goes through to the provider and
 * back, but nothing is recorded, metered or budgeted. The same request through the full pipeline is recorded, so
 * the test tells the two apart.
 */
class BarePipelineTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aBarePipelineProxiesTheRequestAndRecordsNothing(@TempDir Path dir) throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            for (boolean bare : new boolean[] {true, false}) {
                Path yaml = Files.writeString(dir.resolve("bare-" + bare + ".yaml"), """
                        master_key: sk-test-master-0123456789
                        database_url: jdbc:sqlite:%s
                        providers:
                          - {name: openai, base_url: "%s/v1", api_key: sk-upstream-secret-abcdef}
                        budgets:
                          definitions:
                            - {id: day, scope: global, period: day, metric: requests, limit: 1000000}
                        pipeline: {bare: %s}
                        """.formatted(dir.resolve("db-" + bare + ".sqlite"), upstream.baseUrl(), bare));
                GatewayConfig config = GatewayConfig.load(Optional.of(yaml), Map.of()).withListen("127.0.0.1", 0);
                assertThat(config.bare()).isEqualTo(bare);
                try (JdbcUsageLedger ledger = JdbcUsageLedger.open(config.databaseUrl(), LedgerOptions.defaults());
                        Gateway gateway = Gateway.start(config, false, Clock.systemUTC(), ledger)) {
                    assertThat(gateway.banner().contains("pipeline BARE")).isEqualTo(bare);
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                                    URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                            .timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                            .header("authorization", "Bearer sk-test-master-0123456789")
                            .POST(HttpRequest.BodyPublishers.ofString(GatewayHarness.chatBody("gpt-4o-mini", false, "")))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(GatewayHarness.json(r.body()).path("choices").get(0).path("message").path("content")
                            .asText()).isNotBlank();
                    String id = r.headers().firstValue("x-tokenrt-request-id").orElseThrow();
                    ledger.flush(Duration.ofSeconds(5));
                    assertThat(ledger.find(id).isPresent()).as("ledger row, bare=" + bare).isEqualTo(!bare);
                    String scrape = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertThat(scrape.contains("tokenrt_requests_total{")).as("request metric, bare=" + bare)
                            .isEqualTo(!bare);
                }
            }
            assertThat(upstream.requestCount(dev.tokenrt.testkit.Route.OPENAI_CHAT)).isEqualTo(2);
        }
    }

    @Test
    void bareMustBeTrueOrFalse(@TempDir Path dir) throws Exception {
        Path yaml = Files.writeString(dir.resolve("c.yaml"), "pipeline: {bare: maybe}\n");
        assertThatThrownBy(() -> GatewayConfig.load(Optional.of(yaml), Map.of()))
                .hasMessageContaining("pipeline.bare: expected true or false");
    }
}
