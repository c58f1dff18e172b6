package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The admin API's budget JSON: every field, exact money, defaults, and errors that name the field. */
class BudgetJsonTest {

    static Budget parse(String json) {
        return BudgetJson.parse(BudgetJson.read(json));
    }

    @Test
    void aPoolSharedByPriorityWithDefaultOrGivenWeightsRoundTrips() {
        Budget d = parse("{\"id\":\"p\",\"scope\":\"global\",\"period\":\"month\",\"limit\":\"100\","
                + "\"split\":\"priority\"}");
        assertThat(d.pool()).contains(PriorityPool.defaults());
        Budget w = parse("{\"id\":\"p\",\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\","
                + "\"limit\":\"5\",\"split\":\"priority\",\"weights\":{\"critical\":2,\"low\":\"0.5\"}}");
        assertThat(w.pool()).contains(PriorityPool.of(java.util.Map.of(Priority.CRITICAL, new java.math.BigDecimal("2"),
                Priority.LOW, new java.math.BigDecimal("0.5"))));
        assertThat(w.pool().orElseThrow().split(100)).containsEntry(Priority.CRITICAL, 80L).containsEntry(Priority.LOW,
                20L);
        assertThat(BudgetJson.parse(BudgetJson.render(w))).isEqualTo(w);
        assertThat(BudgetJson.render(w).get("weights").get("high").asInt()).isZero();
        assertThat(BudgetJson.render(parse("{\"scope\":\"global\",\"period\":\"day\",\"limit\":1}")).has("split"))
                .isFalse();
        assertThat(PriorityPool.parse(w.pool().orElseThrow().text())).isEqualTo(w.pool().orElseThrow());
        for (String[] bad : new String[][] {
            {"{\"scope\":\"global\",\"period\":\"day\",\"limit\":1,\"weights\":{\"low\":1}}", "weights"},
            {"{\"scope\":\"global\",\"period\":\"day\",\"limit\":1,\"split\":\"team\"}", "split"},
            {"{\"scope\":\"global\",\"period\":\"day\",\"limit\":1,\"split\":\"priority\",\"action\":\"allow\"}",
                "action"},
            {"{\"scope\":\"global\",\"period\":\"day\",\"limit\":1,\"split\":\"priority\",\"weights\":{\"vip\":1}}",
                "weights.vip"},
            {"{\"scope\":\"global\",\"period\":\"day\",\"limit\":1,\"split\":\"priority\",\"weights\":{\"low\":-1}}",
                "weights.low"},
            {"{\"scope\":\"global\",\"period\":\"day\",\"limit\":1,\"split\":\"priority\",\"weights\":{\"low\":0}}",
                "weights"}}) {
            assertThatThrownBy(() -> parse(bad[0])).as(bad[0]).isInstanceOfSatisfying(BudgetJsonException.class,
                    e -> assertThat(e.param()).isEqualTo(bad[1]));
        }
        assertThatThrownBy(() -> KeyBudgets.validate("[{\"period\":\"day\",\"limit\":1,\"split\":\"priority\"}]"))
                .isInstanceOfSatisfying(BudgetJsonException.class, e -> assertThat(e.param()).isEqualTo("budgets[0].split"));
    }

    @Test
    void aFullBudgetParsesExactly() {
        Budget b = parse("""
                {"id":"team-acme-daily","scope":"team","scope_id":"acme","period":"day","metric":"cost_usd",
                 "limit":"50.000000001","warn_at":0.75,"critical_at":"0.9","action":"degrade","degrade_to":"gpt-4o-mini"}""");
        assertThat(b).isEqualTo(new Budget("team-acme-daily", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD,
                50_000_000_001L, new BigDecimal("0.75"), new BigDecimal("0.9"), Action.DEGRADE,
                Optional.of("gpt-4o-mini")));
    }

    @Test
    void costLimitsAreExactNanoDollarsFromStringsAndNumbers() {
        assertThat(limitOf("\"0.05\"")).isEqualTo(50_000_000L);
        assertThat(limitOf("0.05")).isEqualTo(50_000_000L);
        // 0.1 + 0.2 style: a double would not hold these, the decimal reading does.
        assertThat(limitOf("0.300000001")).isEqualTo(300_000_001L);
        assertThat(limitOf("1234567.123456789")).isEqualTo(1_234_567_123_456_789L);
        assertThat(limitOf("\" 12 \"")).isEqualTo(12_000_000_000L);
        assertThat(limitOf("\"1e-9\"")).isEqualTo(1L);
        assertThat(limitOf("0")).isZero();
        assertThat(limitOf("\"9223372036.854775807\"")).isEqualTo(Long.MAX_VALUE);
        assertThat(limitOf("5.1000000000")).as("trailing zeros are not extra precision").isEqualTo(5_100_000_000L);
    }

    private static long limitOf(String limit) {
        return parse("{\"scope\":\"global\",\"period\":\"month\",\"limit\":" + limit + "}").limit();
    }

    @Test
    void tokensAndRequestsTakeWholeNumbers() {
        Budget t = parse("{\"scope\":\"user\",\"scope_id\":\"*\",\"period\":\"hour\",\"metric\":\"tokens\",\"limit\":100000}");
        assertThat(t.limit()).isEqualTo(100_000L);
        assertThat(t.appliesToEachMember()).isTrue();
        Budget r = parse("{\"scope\":\"key\",\"scope_id\":\"key_a\",\"period\":\"minute\",\"metric\":\"requests\",\"limit\":\"60\"}");
        assertThat(r.limit()).isEqualTo(60L);
        assertThat(r.metric()).isEqualTo(Metric.REQUESTS);
    }

    @Test
    void defaultsAreCostDenyAndTheStandardThresholdsAndAnIdIsGenerated() {
        Budget b = parse("{\"scope\":\"project\",\"scope_id\":\"p1\",\"period\":\"week\",\"limit\":\"5\"}");
        assertThat(b.metric()).isEqualTo(Metric.COST_USD);
        assertThat(b.action()).isEqualTo(Action.DENY);
        assertThat(b.warnAt()).isEqualTo(Budget.DEFAULT_WARN_AT);
        assertThat(b.criticalAt()).isEqualTo(Budget.DEFAULT_CRITICAL_AT);
        assertThat(b.degradeTo()).isEmpty();
        assertThat(b.id()).matches("bud_[a-z2-7]{16}");
        Budget other = parse("{\"scope\":\"project\",\"scope_id\":\"p1\",\"period\":\"week\",\"limit\":\"5\"}");
        assertThat(other.id()).isNotEqualTo(b.id());
    }

    @Test
    void aGlobalBudgetHasNoScopeId() {
        assertThat(parse("{\"scope\":\"global\",\"period\":\"total\",\"limit\":\"1\"}").scopeId()).isEmpty();
        assertThat(parse("{\"scope\":\"global\",\"scope_id\":null,\"period\":\"total\",\"limit\":\"1\"}").scopeId())
                .isEmpty();
        assertThat(parse("{\"scope\":\"global\",\"scope_id\":\"\",\"period\":\"total\",\"limit\":\"1\"}").scopeId())
                .isEmpty();
    }

    @Test
    void renderingGivesBackWhatParses() throws Exception {
        List<Budget> budgets = List.of(
                new Budget("a", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 50_000_000_001L,
                        new BigDecimal("0.75"), new BigDecimal("1"), Action.DEGRADE, Optional.of("gpt-4o-mini")),
                Budget.of("b", Scope.GLOBAL, "", Period.MONTH, Metric.COST_USD, 0, Action.ALLOW),
                Budget.of("c", Scope.SESSION, "*", Period.TOTAL, Metric.TOKENS, 1_000_000, Action.QUEUE),
                Budget.of("d", Scope.USER, "bob", Period.MINUTE, Metric.REQUESTS, 60, Action.THROTTLE));
        ObjectMapper plain = new ObjectMapper();
        for (Budget b : budgets) {
            ObjectNode json = BudgetJson.render(b);
            // Through text and a plain mapper (doubles), as a client would send it back.
            assertThat(BudgetJson.parse(plain.readTree(plain.writeValueAsString(json)))).isEqualTo(b);
            assertThat(parse(json.toString())).isEqualTo(b);
        }
        ObjectNode a = BudgetJson.render(budgets.get(0));
        assertThat(a.toString()).isEqualTo("{\"id\":\"a\",\"object\":\"budget\",\"scope\":\"team\",\"scope_id\":\"acme\","
                + "\"period\":\"day\",\"metric\":\"cost_usd\",\"limit\":\"50.000000001\",\"warn_at\":0.75,"
                + "\"critical_at\":1,\"action\":\"degrade\",\"degrade_to\":\"gpt-4o-mini\"}");
        ObjectNode b = BudgetJson.render(budgets.get(1));
        assertThat(b.get("scope_id").isNull()).isTrue();
        assertThat(b.get("limit").asText()).isEqualTo("0");
        assertThat(b.get("degrade_to").isNull()).isTrue();
        assertThat(BudgetJson.render(budgets.get(2)).get("limit").isNumber()).isTrue();
    }

    // ---------------------------------------------------------------- errors

    record Case(String json, String param, String messagePart) {
    }

    @Test
    void everyMistakeNamesItsField() {
        String base = "\"scope\":\"team\",\"scope_id\":\"acme\",\"period\":\"day\"";
        List<Case> cases = List.of(
                new Case("{" + base + "}", "limit", "'limit' is required"),
                new Case("{\"scope_id\":\"acme\",\"period\":\"day\",\"limit\":\"1\"}", "scope", "'scope' is required"),
                new Case("{\"scope\":\"galaxy\",\"scope_id\":\"x\",\"period\":\"day\",\"limit\":\"1\"}", "scope",
                        "one of global, team, project, user, key, session"),
                new Case("{\"scope\":\"team\",\"period\":\"day\",\"limit\":\"1\"}", "scope_id", "required for a team"),
                new Case("{\"scope\":\"team\",\"scope_id\":\"  \",\"period\":\"day\",\"limit\":\"1\"}", "scope_id",
                        "required"),
                new Case("{\"scope\":\"team\",\"scope_id\":\"" + "x".repeat(201) + "\",\"period\":\"day\",\"limit\":\"1\"}",
                        "scope_id", "longer than 200"),
                new Case("{\"scope\":\"global\",\"scope_id\":\"acme\",\"period\":\"day\",\"limit\":\"1\"}", "scope_id",
                        "global"),
                new Case("{\"scope\":\"team\",\"scope_id\":7,\"period\":\"day\",\"limit\":\"1\"}", "scope_id",
                        "must be a string"),
                new Case("{\"scope\":\"team\",\"scope_id\":\"a\",\"limit\":\"1\"}", "period", "'period' is required"),
                new Case("{\"scope\":\"team\",\"scope_id\":\"a\",\"period\":\"fortnight\",\"limit\":\"1\"}", "period",
                        "minute, hour, day, week, month, total"),
                new Case("{" + base + ",\"metric\":\"dollars\",\"limit\":\"1\"}", "metric", "cost_usd, tokens, requests"),
                new Case("{" + base + ",\"limit\":\"five\"}", "limit", "decimal amount of US dollars"),
                new Case("{" + base + ",\"limit\":\"-1\"}", "limit", "negative"),
                new Case("{" + base + ",\"limit\":-0.5}", "limit", "negative"),
                new Case("{" + base + ",\"limit\":\"0.0000000001\"}", "limit", "finer than a nano-dollar"),
                new Case("{" + base + ",\"limit\":0.0000000005}", "limit", "finer than a nano-dollar"),
                new Case("{" + base + ",\"limit\":\"9223372036.854775808\"}", "limit", "too large"),
                new Case("{" + base + ",\"limit\":\"1e100000000\"}", "limit", "too large"),
                new Case("{" + base + ",\"limit\":true}", "limit", "decimal amount"),
                new Case("{" + base + ",\"metric\":\"tokens\",\"limit\":1.5}", "limit", "whole number of tokens"),
                new Case("{" + base + ",\"metric\":\"requests\",\"limit\":\"1.0\"}", "limit", "whole number of requests"),
                new Case("{" + base + ",\"metric\":\"tokens\",\"limit\":-3}", "limit", "negative"),
                new Case("{" + base + ",\"metric\":\"tokens\",\"limit\":99999999999999999999}", "limit", "too large"),
                new Case("{" + base + ",\"limit\":\"1\",\"warn_at\":0}", "warn_at", "greater than 0 and at most 1"),
                new Case("{" + base + ",\"limit\":\"1\",\"warn_at\":80}", "warn_at", "at most 1"),
                new Case("{" + base + ",\"limit\":\"1\",\"critical_at\":\"high\"}", "critical_at", "fraction"),
                new Case("{" + base + ",\"limit\":\"1\",\"critical_at\":1.01}", "critical_at", "at most 1"),
                new Case("{" + base + ",\"limit\":\"1\",\"warn_at\":0.9,\"critical_at\":0.8}", "warn_at",
                        "cannot be above 'critical_at'"),
                new Case("{" + base + ",\"limit\":\"1\",\"warn_at\":0.1234567891}", "warn_at", "9 decimal places"),
                new Case("{" + base + ",\"limit\":\"1\",\"action\":\"explode\"}", "action",
                        "allow, deny, degrade, throttle, queue"),
                new Case("{" + base + ",\"limit\":\"1\",\"action\":\"degrade\"}", "degrade_to", "required"),
                new Case("{" + base + ",\"limit\":\"1\",\"action\":\"deny\",\"degrade_to\":\"m\"}", "degrade_to",
                        "only meaningful"),
                new Case("{" + base + ",\"limit\":\"1\",\"id\":\"has:colon\"}", "id", "1 to 64 letters"),
                new Case("{" + base + ",\"limit\":\"1\",\"id\":\"" + "a".repeat(65) + "\"}", "id", "1 to 64"),
                new Case("{" + base + ",\"limit\":\"1\",\"id\":12}", "id", "must be a string"),
                new Case("{" + base + ",\"limit\":\"1\",\"limit_usd\":\"1\"}", "limit_usd", "Unrecognized"),
                new Case("{" + base + ",\"limit\":\"1\",\"object\":\"key\"}", "object", "budget"));
        for (Case c : cases) {
            assertThatThrownBy(() -> parse(c.json())).as(c.json())
                    .isInstanceOfSatisfying(BudgetJsonException.class, e -> {
                        assertThat(e.param()).as(c.json()).isEqualTo(c.param());
                        assertThat(e.getMessage()).as(c.json()).contains(c.messagePart());
                    });
        }
    }

    @Test
    void unknownFieldsAndBodiesThatAreNotObjectsHaveTheirOwnCodes() {
        expect(() -> parse("{\"scope\":\"global\",\"period\":\"day\",\"limit\":\"1\",\"colour\":\"red\"}"), "colour",
                BudgetJsonException.UNKNOWN_PARAMETER);
        expect(() -> BudgetJson.read("[1,2]"), "", "invalid_json");
        expect(() -> BudgetJson.read("{\"scope\":"), "", "invalid_json");
        expect(() -> BudgetJson.read(""), "", "invalid_json");
        expect(() -> parse("{\"scope\":\"global\",\"period\":\"day\",\"limit\":\"x\"}"), "limit",
                BudgetJsonException.INVALID_VALUE);
    }

    private static void expect(ThrowingCallable call, String param, String code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(BudgetJsonException.class, e -> {
            assertThat(e.param()).isEqualTo(param);
            assertThat(e.code()).isEqualTo(code);
        });
    }
}
