package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.Action;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.BudgetStep;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Period;
import dev.tokenrt.budget.Priority;
import dev.tokenrt.budget.PriorityPool;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.budget.Window;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rebuilding counters from the ledger on a real engine: a ledger of generated traffic (today's and older rows,
 * failures, broken streams, cache hits), counters wiped, then rebuilt; each rebuilt figure must equal the sum this
 * test makes of the same rows in Java, and live holds must survive.
 */
abstract class CounterRebuildContract {

    /** In the future, because Redis expires counters by its own clock some time after their window ends. */
    static final Instant NOW = Instant.parse("2099-11-23T12:30:00Z");
    static final List<String> KEYS = List.of("vk_1", "vk_2", "vk_ci", "");
    static final List<String> USERS = List.of("alice", "bob", "carol", "");
    static final List<String> TEAMS = List.of("platform", "growth");
    static final List<String> PROJECTS = List.of("search", "support", "");
    static final Map<String, Priority> TIERS = Map.of("vk_1", Priority.CRITICAL, "vk_2", Priority.LOW);

    final MutableClock clock = new MutableClock(NOW);
    final List<AutoCloseable> opened = new ArrayList<>();
    CounterStore counters;
    String ledgerUrl;

    /** A fresh database (file or schema) for the ledger; the JDBC URL. */
    abstract String prepareLedger() throws Exception;

    /** The counter store of this engine, on this test's data. */
    abstract CounterStore openCounters(String ledgerUrl, MutableClock clock) throws Exception;

    /** Loses every counter's used figure: counters without holds disappear, the others keep only their holds. */
    abstract void wipe() throws Exception;

    /** {@link #wipe} for counters in the SQL database at {@code url}. */
    static void wipeSql(String url) throws java.sql.SQLException {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
                java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM budget_counters WHERE held = 0");
            st.executeUpdate("UPDATE budget_counters SET used = 0");
        }
    }

    @BeforeEach
    void open() throws Exception {
        ledgerUrl = prepareLedger();
        counters = openCounters(ledgerUrl, clock);
        opened.add(counters);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    static final Budget GLOBAL_COST = Budget.of("global-cost", Scope.GLOBAL, "", Period.DAY, Metric.COST_USD,
            1_000_000_000_000L, Action.DENY);
    static final Budget TEAM_TOKENS = Budget.of("platform-tokens", Scope.TEAM, "platform", Period.MONTH,
            Metric.TOKENS, 1_000_000_000L, Action.DENY);
    static final Budget EACH_USER = Budget.of("each-user", Scope.USER, Budget.EACH, Period.DAY, Metric.REQUESTS,
            10_000, Action.THROTTLE);
    static final Budget PROJECT_TOTAL = Budget.of("search-total", Scope.PROJECT, "search", Period.TOTAL,
            Metric.COST_USD, 1_000_000_000_000L, Action.ALLOW);
    static final Budget KEY_HOUR = Budget.of("vk1-hour", Scope.KEY, "vk_1", Period.HOUR, Metric.REQUESTS, 1000,
            Action.DENY);
    static final Budget POOL = Budget.of("growth-pool", Scope.TEAM, "growth", Period.DAY, Metric.TOKENS,
            100_000_000L, Action.DENY).sharedBy(PriorityPool.defaults());
    static final List<Budget> BUDGETS = List.of(GLOBAL_COST, TEAM_TOKENS, EACH_USER, PROJECT_TOTAL, KEY_HOUR, POOL);

    /** Today's traffic and some of the days before, from a fixed seed. */
    static List<LedgerEntry> traffic() {
        Random r = new Random(7);
        List<LedgerEntry> out = new ArrayList<>();
        int[] statuses = {200, 200, 200, 200, 200, 429, 499, 502, 502};
        for (int i = 0; i < 400; i++) {
            Instant t = i % 5 == 0 ? NOW.minus(Duration.ofHours(1 + r.nextInt(24 * 40)))
                    : NOW.minus(Duration.ofMillis(r.nextLong(Duration.ofHours(12).toMillis())));
            Attribution a = new Attribution(KEYS.get(r.nextInt(KEYS.size())), USERS.get(r.nextInt(USERS.size())),
                    PROJECTS.get(r.nextInt(PROJECTS.size())), TEAMS.get(r.nextInt(TEAMS.size())), "", List.of());
            int status = statuses[r.nextInt(statuses.length)];
            // A failure before any output used nothing; a broken (502) or abandoned (499) stream used some.
            boolean usedSomething = status == 200 || status == 499 || (status == 502 && r.nextBoolean());
            Usage u = usedSomething ? new Usage(10 + r.nextInt(5000), r.nextInt(2000), 0, 0, 0, 0,
                    UsageSource.PROVIDER, UsageSource.PROVIDER) : Usage.NONE;
            long cost = usedSomething ? u.inputTokens() * 2_500 + u.outputTokens() * 10_000 : 0;
            CacheOutcome cache = r.nextInt(10) == 0 ? CacheOutcome.HIT : CacheOutcome.MISS;
            out.add(new LedgerEntry("req-" + i, t, a, "openai", "gpt-4o", "gpt-4o", u, cache == CacheOutcome.HIT ? 0
                    : cost, cache, 0, "", status != 200, status, status == 200 ? "" : "upstream", 100, -1));
        }
        return out;
    }

    /** The rule, in Java: what the budget step settles for a row. */
    static boolean counts(LedgerEntry e) {
        boolean cached = e.cache() == CacheOutcome.HIT || e.cache() == CacheOutcome.SEMANTIC;
        return !cached && (e.status() == 200 || e.usage().totalTokens() > 0);
    }

    static long figure(Budget b, List<LedgerEntry> rows, Predicate<LedgerEntry> member) {
        Window w = b.period().window(NOW, ZoneOffset.UTC);
        long sum = 0;
        for (LedgerEntry e : rows) {
            if (!counts(e) || !w.contains(e.time()) || !member.test(e)) {
                continue;
            }
            sum += switch (b.metric()) {
                case COST_USD -> e.costNanos();
                case TOKENS -> e.usage().totalTokens();
                case REQUESTS -> 1;
            };
        }
        return sum;
    }

    String key(Budget b, String member) {
        return BudgetStep.counterKey(new Applicable(b, member), b.period().window(NOW, ZoneOffset.UTC));
    }

    /** Counter key to the figure the ledger says it must hold. */
    Map<String, Long> expected(List<LedgerEntry> rows) {
        Map<String, Long> m = new HashMap<>();
        m.put(key(GLOBAL_COST, ""), figure(GLOBAL_COST, rows, e -> true));
        m.put(key(TEAM_TOKENS, "platform"), figure(TEAM_TOKENS, rows, e -> e.attribution().team().equals("platform")));
        for (String u : List.of("alice", "bob", "carol")) {
            m.put(key(EACH_USER, u), figure(EACH_USER, rows, e -> e.attribution().user().equals(u)));
        }
        m.put(key(PROJECT_TOTAL, "search"), figure(PROJECT_TOTAL, rows, e -> e.attribution().project().equals("search")));
        m.put(key(KEY_HOUR, "vk_1"), figure(KEY_HOUR, rows, e -> e.attribution().keyId().equals("vk_1")));
        Predicate<LedgerEntry> growth = e -> e.attribution().team().equals("growth");
        m.put(key(POOL, "growth"), figure(POOL, rows, growth));
        Window w = POOL.period().window(NOW, ZoneOffset.UTC);
        for (Priority p : Priority.values()) {
            m.put(BudgetStep.shareKey(new Applicable(POOL, "growth"), w, p), figure(POOL, rows,
                    growth.and(e -> TIERS.getOrDefault(e.attribution().keyId(), Priority.MEDIUM) == p)));
        }
        return m;
    }

    @Test
    void afterWipingTheCountersTheRebuiltFiguresAreTheLedgersSumsAndLiveHoldsStay() throws Exception {
        List<LedgerEntry> rows = traffic();
        try (JdbcUsageLedger ledger = JdbcUsageLedger.open(ledgerUrl, LedgerOptions.defaults())) {
            rows.forEach(ledger::append);
            assertThat(ledger.flush(Duration.ofSeconds(10))).isTrue();
        }
        Map<String, Long> expected = expected(rows);
        assertThat(expected.values().stream().filter(v -> v > 0).count()).as("non-zero figures").isGreaterThan(10);
        // A request is in flight on the global counter while all this happens.
        Window today = Period.DAY.window(NOW, ZoneOffset.UTC);
        assertThat(counters.reserve("in-flight", List.of(new Hold(key(GLOBAL_COST, ""), Long.MAX_VALUE, 777,
                today.end())), Duration.ofMinutes(5))).isInstanceOf(CounterStore.Reservation.Granted.class);
        counters.setUsed(key(EACH_USER, "alice"), 123_456, today.end()); // a wrong figure to be corrected
        wipe();
        Function<String, Priority> tiers = k -> TIERS.getOrDefault(k, Priority.MEDIUM);
        List<CounterRebuild.Change> changes;
        try (CounterRebuild rebuild = CounterRebuild.open(ledgerUrl, LedgerOptions.defaults())) {
            List<CounterRebuild.Change> dry = rebuild.rebuild(BUDGETS, counters, NOW, ZoneOffset.UTC, tiers, true,
                    p -> { });
            for (CounterRebuild.Change c : dry) {
                assertThat(counters.state(c.counterKey()).used()).as("dry run left %s", c.counterKey()).isZero();
            }
            List<CounterRebuild.Progress> progress = new ArrayList<>();
            changes = rebuild.rebuild(BUDGETS, counters, NOW, ZoneOffset.UTC, tiers, false, progress::add);
            assertThat(progress).extracting(CounterRebuild.Progress::budgetId)
                    .containsExactly(BUDGETS.stream().map(Budget::id).toArray(String[]::new));
            assertThat(progress.getLast().done()).isEqualTo(BUDGETS.size());
            assertThat(dry).extracting(CounterRebuild.Change::after)
                    .containsExactlyElementsOf(changes.stream().map(CounterRebuild.Change::after).toList());
        }
        assertThat(changes).extracting(CounterRebuild.Change::counterKey)
                .containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            assertThat(counters.state(e.getKey()).used()).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(counters.state(key(GLOBAL_COST, "")).held()).as("the live hold").isEqualTo(777);
        CounterRebuild.Change global = changes.stream().filter(c -> c.budgetId().equals("global-cost")).findFirst()
                .orElseThrow();
        assertThat(global.before()).isZero();
        assertThat(global.held()).isEqualTo(777);
        assertThat(global.changed()).isTrue();
        // The pool's shares add up to its total.
        long shares = 0;
        for (Priority p : Priority.values()) {
            shares += counters.state(BudgetStep.shareKey(new Applicable(POOL, "growth"),
                    POOL.period().window(NOW, ZoneOffset.UTC), p)).used();
        }
        assertThat(shares).isEqualTo(expected.get(key(POOL, "growth")));
        // Settling the live hold afterwards adds to the rebuilt figure as to any other.
        counters.settle("in-flight", Map.of(key(GLOBAL_COST, ""), 1000L));
        assertThat(counters.state(key(GLOBAL_COST, ""))).isEqualTo(new CounterStore.State(
                expected.get(key(GLOBAL_COST, "")) + 1000, 0));
        // Rebuilding again changes nothing but the settled request, which the ledger does not have.
        try (CounterRebuild rebuild = CounterRebuild.open(ledgerUrl, LedgerOptions.defaults())) {
            List<CounterRebuild.Change> again = rebuild.rebuild(BUDGETS, counters, NOW, ZoneOffset.UTC, tiers, false,
                    p -> { });
            assertThat(again).filteredOn(CounterRebuild.Change::changed).extracting(CounterRebuild.Change::budgetId)
                    .containsExactly("global-cost");
        }
    }

}
