package dev.tokenrt.cli;

import static dev.tokenrt.cli.CliTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.store.budget.JdbcCounterStore;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import dev.tokenrt.usage.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tokenrt budgets rebuild} on a real SQLite database: dry run, rebuild, JSON, progress, errors, help. */
class BudgetsCommandTest {

    @TempDir
    Path dir;

    String url() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }

    /** Three answered requests of user alice (1, 2 and 3 m-USD), one failure of bob that used nothing. */
    void ledger() {
        try (JdbcUsageLedger ledger = JdbcUsageLedger.open(url(), LedgerOptions.defaults())) {
            for (int i = 0; i < 4; i++) {
                boolean failed = i == 3;
                ledger.append(new LedgerEntry("r" + i, Instant.now(), new LedgerEntry.Attribution("", failed ? "bob"
                        : "alice", "p1", "", "", List.of()), "openai", "gpt-4o", "gpt-4o", failed ? Usage.NONE
                        : Usage.of(100, 10), failed ? 0 : 1_000_000L * (i + 1), LedgerEntry.CacheOutcome.BYPASS, 0,
                        "", false, failed ? 502 : 200, failed ? "upstream" : "", 5, 5));
            }
            assertThat(ledger.flush(Duration.ofSeconds(5))).isTrue();
        }
    }

    Path config(int extraBudgets) throws Exception {
        StringBuilder yaml = new StringBuilder("""
                budgets:
                  definitions:
                    - {id: all-cost, scope: global, period: total, limit: "1.00"}
                    - {id: per-user, scope: user, scope_id: "*", period: total, metric: requests, limit: 100}
                """);
        for (int i = 0; i < extraBudgets; i++) {
            yaml.append("    - {id: p").append(i).append(", scope: project, scope_id: p1, period: total, metric: tokens, ")
                    .append("limit: 1000000}\n");
        }
        return Files.writeString(dir.resolve("tokenrt.yaml"), yaml);
    }

    long used(String key) {
        try (CounterStore c = JdbcCounterStore.open(url(), JdbcCounterStore.Options.defaults())) {
            return c.state(key).used();
        }
    }

    @Test
    void aDryRunShowsTheTableAndWritesNothingThenTheRebuildWrites() throws Exception {
        ledger();
        Path cfg = config(0);
        CliTest.Run dry = cli("budgets", "rebuild", "--database", url(), "--config", cfg.toString(), "--dry-run");
        assertThat(dry.status()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("all-cost").contains("per-user").contains("alice").contains("0.006")
                .contains("would change").contains("dry run, nothing written: 2 counters of 2 budgets, 2 would change");
        assertThat(dry.out()).doesNotContain("bob"); // its only request failed before using anything
        assertThat(used("b:all-cost:total")).isZero();

        CliTest.Run real = cli("budgets", "rebuild", "--database", url(), "--config", cfg.toString());
        assertThat(real.status()).as(real.err()).isZero();
        assertThat(real.out()).contains("2 counters of 2 budgets, 2 changed");
        assertThat(used("b:all-cost:total")).isEqualTo(6_000_000L);
        assertThat(used("b:per-user:alice:total")).isEqualTo(3);

        CliTest.Run json = cli("budgets", "rebuild", "--database", url(), "--config", cfg.toString(), "--json");
        assertThat(json.status()).isZero();
        JsonNode j = json.json();
        assertThat(j.path("counters_changed").asInt()).isZero();
        assertThat(j.path("data").get(0).path("after").asText()).isEqualTo("0.006");
        assertThat(j.path("data").get(0).path("period_start").isNull()).isTrue();
    }

    @Test
    void longWorkReportsProgressOnStderr() throws Exception {
        ledger();
        CliTest.Run r = cli("budgets", "rebuild", "--database", url(), "--config", config(30).toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("rebuilding: 32/32 budgets").contains("rebuilding: 3/32 budgets");
        assertThat(r.out()).contains("32 counters of 32 budgets, 32 changed");
        assertThat(used("b:p29:total")).isEqualTo(330);
    }

    @Test
    void problemsAreOneLineWithStatusTwo() throws Exception {
        CliTest.Run missing = cli("budgets", "rebuild", "--database", "jdbc:sqlite:" + dir.resolve("none.db"));
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err().strip()).startsWith("tokenrt budgets rebuild: no database at").doesNotContain("\n");
        CliTest.Run badUrl = cli("budgets", "rebuild", "--database", "jdbc:mysql://h/db?password=hunter2");
        assertThat(badUrl.status()).isEqualTo(2);
        assertThat(badUrl.err()).doesNotContain("hunter2");
    }

    @Test
    void helpTeachesByExample() {
        CliTest.Run r = cli("budgets", "rebuild", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("Examples:").contains("--dry-run").contains("--redis").contains("--database")
                .contains("source of truth");
        assertThat(cli("--help").out()).contains("budgets");
        assertThat(cli("budgets").out()).contains("rebuild");
    }
}
