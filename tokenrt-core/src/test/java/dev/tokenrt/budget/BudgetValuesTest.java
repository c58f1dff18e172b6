package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BudgetValuesTest {

    @Test
    void budgetsAreValidatedOnConstruction() {
        assertThatThrownBy(() -> Budget.of("g", Scope.GLOBAL, "x", Period.DAY, Metric.TOKENS, 1, Action.DENY))
                .hasMessageContaining("global budget has no scope id");
        assertThatThrownBy(() -> Budget.of("t", Scope.TEAM, "", Period.DAY, Metric.TOKENS, 1, Action.DENY))
                .hasMessageContaining("needs a scope id");
        assertThatThrownBy(() -> Budget.of("t", Scope.TEAM, "a", Period.DAY, Metric.TOKENS, -1, Action.DENY))
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> Budget.of("t", Scope.TEAM, "a", Period.DAY, Metric.TOKENS, 1, Action.DEGRADE))
                .hasMessageContaining("degrade_to");
        assertThatThrownBy(() -> new Budget("t", Scope.TEAM, "a", Period.DAY, Metric.TOKENS, 1, Budget.DEFAULT_WARN_AT,
                Budget.DEFAULT_CRITICAL_AT, Action.DENY, Optional.of("cheap"))).hasMessageContaining("only meaningful");
        Budget ok = Budget.of("t", Scope.TEAM, "a", Period.DAY, Metric.TOKENS, 1, Action.DENY);
        assertThatThrownBy(() -> ok.withThresholds(new BigDecimal("0.9"), new BigDecimal("0.8")))
                .hasMessageContaining("warn_at <= critical_at");
        assertThatThrownBy(() -> ok.withThresholds(BigDecimal.ZERO, new BigDecimal("0.8")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ok.withThresholds(new BigDecimal("0.5"), new BigDecimal("1.1")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configurationSpellingsParse() {
        assertThat(Period.parse("month")).isEqualTo(Period.MONTH);
        assertThat(Metric.parse("cost_usd")).isEqualTo(Metric.COST_USD);
        assertThat(Action.parse("Throttle")).isEqualTo(Action.THROTTLE);
        assertThat(Scope.parse("session")).isEqualTo(Scope.SESSION);
        assertThat(Priority.parse("critical")).isEqualTo(Priority.CRITICAL);
        assertThat(Metric.COST_USD.wireName()).isEqualTo("cost_usd");
    }

    @Test
    void amountsAreFormattedInTheMetricsUnit() {
        Budget cost = Budget.of("c", Scope.GLOBAL, "", Period.DAY, Metric.COST_USD, 1, Action.DENY);
        assertThat(cost.format(1_250_000_000L)).isEqualTo("1.25 USD");
        Budget req = Budget.of("r", Scope.GLOBAL, "", Period.DAY, Metric.REQUESTS, 1, Action.DENY);
        assertThat(req.format(1)).isEqualTo("1 request");
        assertThat(req.format(2)).isEqualTo("2 requests");
    }

    @Test
    void aRequestBelongsToGlobalAndEveryScopeItsAttributionNames() {
        Budget global = Budget.of("all", Scope.GLOBAL, "", Period.MONTH, Metric.COST_USD, 1, Action.DENY);
        Budget team = Budget.of("acme", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1, Action.DENY);
        Budget otherTeam = Budget.of("globex", Scope.TEAM, "globex", Period.DAY, Metric.COST_USD, 1, Action.DENY);
        Budget eachUser = Budget.of("per-user", Scope.USER, Budget.EACH, Period.DAY, Metric.COST_USD, 1, Action.DENY);
        Budget session = Budget.of("s1", Scope.SESSION, "s-1", Period.TOTAL, Metric.TOKENS, 1, Action.DENY);
        InMemoryBudgetRegistry r = new InMemoryBudgetRegistry(List.of(global, team, otherTeam, eachUser, session));
        Attribution a = new Attribution("key-1", "alice", "", "acme", "s-1", List.of());
        assertThat(r.applicable(a)).containsExactly(new Applicable(global, ""), new Applicable(team, "acme"),
                new Applicable(eachUser, "alice"), new Applicable(session, "s-1"));
        assertThat(new Applicable(eachUser, "alice").counterName()).isEqualTo("per-user:alice");
        assertThat(r.applicable(Attribution.NONE)).containsExactly(new Applicable(global, ""));
        r.remove("all");
        r.put(Budget.of("acme", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 2, Action.DENY));
        assertThat(r.applicable(a)).extracting(x -> x.budget().limit()).containsExactly(2L, 1L, 1L);
    }
}
