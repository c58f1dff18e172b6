package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A virtual key's own budgets: parsing, ids, tier caps, the ttl cache, and composition with other sources. */
class KeyBudgetsTest {

    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    static VirtualKey key(String id, String tier, String budgets) {
        return new VirtualKey(id, "", "alice", "search", "core", List.of(), tier, budgets, "[]", "sk-tr-AbC1…", T0,
                Optional.empty(), Optional.empty());
    }

    @Test
    void aKeysBudgetsAreScopedToTheKeyWithStableIds() {
        List<Budget> b = KeyBudgets.parse("key_a", """
                [{"period":"day","limit":"5.00"},
                 {"period":"minute","metric":"requests","limit":60,"action":"throttle"},
                 {"id":"burst","scope":"key","period":"hour","metric":"tokens","limit":"200000","warn_at":0.5}]""");
        assertThat(b).containsExactly(
                Budget.of("key:key_a:cost_usd:day", Scope.KEY, "key_a", Period.DAY, Metric.COST_USD, 5_000_000_000L,
                        Action.DENY),
                Budget.of("key:key_a:requests:minute", Scope.KEY, "key_a", Period.MINUTE, Metric.REQUESTS, 60,
                        Action.THROTTLE),
                Budget.of("key:key_a:burst", Scope.KEY, "key_a", Period.HOUR, Metric.TOKENS, 200_000, Action.DENY)
                        .withThresholds(new BigDecimal("0.5"), Budget.DEFAULT_CRITICAL_AT));
        assertThat(KeyBudgets.parse("key_a", "[]")).isEmpty();
        assertThat(KeyBudgets.parse("key_a", " [ ] ")).isEmpty();
    }

    @Test
    void mistakesNameTheEntryAndField() {
        expect("[{\"period\":\"day\",\"limit\":\"5\"},{\"period\":\"day\",\"limit\":\"x\"}]", "budgets[1].limit",
                "'budgets[1].limit' must be a decimal amount");
        expect("[{\"period\":\"day\",\"limit_usd\":\"5\"}]", "budgets[0].limit_usd", "Unrecognized");
        expect("[{\"limit\":\"5\"}]", "budgets[0].period", "required");
        expect("[{\"scope\":\"team\",\"period\":\"day\",\"limit\":\"5\"}]", "budgets[0].scope", "/admin/v1/budgets");
        expect("[{\"scope_id\":\"key_b\",\"period\":\"day\",\"limit\":\"5\"}]", "budgets[0].scope_id", "that key");
        expect("[5]", "budgets[0]", "must be a budget object");
        expect("{}", "budgets", "JSON array");
        expect("[{\"period\":\"day\",\"limit\":\"5\"},{\"period\":\"day\",\"limit\":\"7\"}]", "budgets[1].id",
                "same metric and period");
        expect("[{\"id\":\"x\",\"period\":\"day\",\"limit\":\"5\"},{\"id\":\"x\",\"period\":\"week\",\"limit\":\"7\"}]",
                "budgets[1].id", "the id 'x'");
        // Its own id is fine as scope_id; validation (no key yet) refuses any scope_id.
        assertThat(KeyBudgets.parse("key_a", "[{\"scope\":\"key\",\"scope_id\":\"key_a\",\"period\":\"day\",\"limit\":1}]"))
                .hasSize(1);
        assertThatThrownBy(() -> KeyBudgets.validate("[{\"scope_id\":\"key_a\",\"period\":\"day\",\"limit\":1}]"))
                .isInstanceOf(BudgetJsonException.class);
    }

    private static void expect(String json, String param, String part) {
        assertThatThrownBy(() -> KeyBudgets.validate(json)).as(json)
                .isInstanceOfSatisfying(BudgetJsonException.class, e -> {
                    assertThat(e.param()).as(json).isEqualTo(param);
                    assertThat(e.getMessage()).as(json).contains(part);
                });
    }

    @Test
    void aKeyWithUnreadableEntriesKeepsTheReadableOnes() {
        VirtualKey k = key("key_a", "", "[{\"period\":\"day\",\"limit_usd\":\"5\"},{\"period\":\"day\",\"limit\":\"5\"}]");
        assertThat(KeyBudgets.builder().keys(id -> Optional.of(k)).build().budgets(Scope.KEY, "key_a"))
                .extracting(Budget::id).containsExactly("key:key_a:cost_usd:day");
    }

    @Test
    void theTierCapComesWithTheKeysOwnBudgets() {
        Tier free = new Tier("free", Set.of(), OptionalInt.empty(), OptionalLong.of(1_000_000_000L),
                dev.tokenrt.budget.Priority.LOW);
        Tier unlimited = new Tier("pro", Set.of(), OptionalInt.empty(), OptionalLong.empty(),
                dev.tokenrt.budget.Priority.HIGH);
        Map<String, VirtualKey> keys = Map.of(
                "key_a", key("key_a", "free", "[{\"period\":\"month\",\"limit\":\"20\"}]"),
                "key_b", key("key_b", "pro", "[]"),
                "key_c", key("key_c", "ghost", "[]"));
        KeyBudgets source = KeyBudgets.builder().keys(id -> Optional.ofNullable(keys.get(id)))
                .tiers(Map.of("free", free, "pro", unlimited)).build();
        assertThat(source.budgets(Scope.KEY, "key_a")).extracting(Budget::id)
                .containsExactly("key:key_a:cost_usd:month", "tier:free:key_a");
        assertThat(source.budgets(Scope.KEY, "key_a").get(1).limit()).isEqualTo(1_000_000_000L);
        assertThat(source.budgets(Scope.KEY, "key_b")).isEmpty();
        assertThat(source.budgets(Scope.KEY, "key_c")).isEmpty();
        assertThat(source.budgets(Scope.KEY, "key_unknown")).isEmpty();
        assertThat(source.budgets(Scope.TEAM, "key_a")).isEmpty();
        assertThat(source.budgets(Scope.KEY, Budget.EACH)).isEmpty();
    }

    @Test
    void aKeysBudgetsAreReadAtMostOncePerTtlAndAnEditIsSeenAfterIt() {
        AtomicLong nanos = new AtomicLong();
        AtomicInteger lookups = new AtomicInteger();
        Map<String, VirtualKey> db = new ConcurrentHashMap<>(Map.of("key_a",
                key("key_a", "", "[{\"period\":\"day\",\"limit\":\"5\"}]")));
        KeyBudgets source = KeyBudgets.builder().keys(id -> {
            lookups.incrementAndGet();
            return Optional.ofNullable(db.get(id));
        }).ttl(Duration.ofSeconds(1)).ticker(nanos::get).executor(Runnable::run).build();

        for (int i = 0; i < 100; i++) {
            assertThat(source.budgets(Scope.KEY, "key_a")).singleElement().extracting(Budget::limit)
                    .isEqualTo(5_000_000_000L);
        }
        assertThat(lookups).hasValue(1);

        db.put("key_a", key("key_a", "", "[{\"period\":\"day\",\"limit\":\"7\"}]"));
        nanos.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(source.budgets(Scope.KEY, "key_a").get(0).limit()).as("within the ttl").isEqualTo(5_000_000_000L);
        nanos.addAndGet(Duration.ofMillis(2).toNanos());
        // Past the ttl: this read triggers the reload (run inline here) and is answered from the old list...
        source.budgets(Scope.KEY, "key_a");
        // ...and from then on the edit is enforced.
        assertThat(source.budgets(Scope.KEY, "key_a").get(0).limit()).isEqualTo(7_000_000_000L);
        assertThat(lookups).hasValue(2);

        // A key idle for more than ten ttls is read afresh before answering.
        db.put("key_a", key("key_a", "", "[{\"period\":\"day\",\"limit\":\"9\"}]"));
        nanos.addAndGet(Duration.ofSeconds(11).toNanos());
        assertThat(source.budgets(Scope.KEY, "key_a").get(0).limit()).isEqualTo(9_000_000_000L);

        db.put("key_a", key("key_a", "", "[]"));
        source.invalidate("key_a");
        assertThat(source.budgets(Scope.KEY, "key_a")).isEmpty();
    }

    @Test
    void aFailedFirstLookupIsABudgetStoreException() {
        KeyBudgets source = KeyBudgets.builder().keys(id -> {
            throw new IllegalStateException("database down");
        }).build();
        assertThatThrownBy(() -> source.budgets(Scope.KEY, "key_a")).isInstanceOf(BudgetStoreException.class)
                .hasMessageContaining("key_a");
    }

    @Test
    void aCompositeAnswersEverySourceInOrderAndEachIdOnce() {
        InMemoryBudgetRegistry admin = new InMemoryBudgetRegistry(List.of(
                Budget.of("acme-daily", Scope.TEAM, "core", Period.DAY, Metric.COST_USD, 50, Action.DENY),
                Budget.of("each-user", Scope.USER, Budget.EACH, Period.DAY, Metric.COST_USD, 5, Action.DENY),
                Budget.of("everyone", Scope.GLOBAL, "", Period.MONTH, Metric.COST_USD, 1000, Action.DENY)));
        InMemoryBudgetRegistry config = new InMemoryBudgetRegistry(List.of(
                Budget.of("acme-daily", Scope.TEAM, "core", Period.DAY, Metric.COST_USD, 99, Action.ALLOW),
                Budget.of("acme-tokens", Scope.TEAM, "core", Period.DAY, Metric.TOKENS, 1_000_000, Action.DENY)));
        Tier free = new Tier("free", Set.of(), OptionalInt.empty(), OptionalLong.of(3), dev.tokenrt.budget.Priority.LOW);
        VirtualKey k = key("key_a", "free", "[{\"period\":\"day\",\"limit\":\"1\"}]");
        KeyBudgets keys = KeyBudgets.builder().keys(id -> id.equals("key_a") ? Optional.of(k) : Optional.empty())
                .tiers(Map.of("free", free)).build();
        BudgetSource all = CompositeBudgetSource.of(admin, keys, config);

        assertThat(all.budgets(Scope.TEAM, "core")).extracting(Budget::id).containsExactly("acme-daily", "acme-tokens");
        assertThat(all.budgets(Scope.TEAM, "core").get(0).limit()).as("the first source wins").isEqualTo(50);
        assertThat(all.budgets(Scope.TEAM, "other")).isEmpty();

        Attribution a = new Attribution("key_a", "alice", "search", "core", "", List.of());
        List<Applicable> applicable = all.applicable(a);
        assertThat(applicable).extracting(x -> x.budget().id() + "@" + x.member()).containsExactly(
                "everyone@", "acme-daily@core", "acme-tokens@core", "each-user@alice",
                "key:key_a:cost_usd:day@key_a", "tier:free:key_a@key_a");
        assertThat(applicable.get(3).counterName()).isEqualTo("each-user:alice");
    }
}
