package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.Action;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetSource;
import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.CompositeBudgetSource;
import dev.tokenrt.budget.DuplicateBudgetException;
import dev.tokenrt.budget.InMemoryBudgetRegistry;
import dev.tokenrt.budget.KeyBudgets;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Period;
import dev.tokenrt.budget.Priority;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.budget.Tier;
import dev.tokenrt.keys.IssuedKey;
import dev.tokenrt.keys.KeyPatch;
import dev.tokenrt.keys.NewKey;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.store.budget.JdbcBudgetRegistry.Options;
import dev.tokenrt.store.budget.JdbcBudgetRegistry.Reload;
import dev.tokenrt.store.keys.JdbcKeyStore;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link JdbcBudgetRegistry} must do on its engine: store and read budgets exactly, index them for
 * the request path (per-member and {@code *} budgets), let a second registry on the same database (another
 * replica) see changes once its snapshot is older than the ttl, keep serving its snapshot when the database
 * fails, and compose with a key's own budgets read through a {@link JdbcKeyStore} on the same database.
 */
abstract class BudgetRegistryContract {

    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    static final Budget TEAM = new Budget("acme-daily", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD,
            50_000_000_001L, new BigDecimal("0.75"), new BigDecimal("0.9"), Action.DEGRADE, Optional.of("gpt-4o-mini"));
    static final Budget EACH_USER = Budget.of("each-user", Scope.USER, Budget.EACH, Period.HOUR, Metric.TOKENS,
            100_000, Action.THROTTLE);
    static final Budget GLOBAL = Budget.of("everyone", Scope.GLOBAL, "", Period.MONTH, Metric.COST_USD,
            1_000_000_000_000L, Action.ALLOW);
    static final Budget PROJECT = Budget.of("p1-requests", Scope.PROJECT, "p1", Period.MINUTE, Metric.REQUESTS, 60,
            Action.QUEUE);

    /** The JDBC URL of a fresh, empty database (or schema) for this test. */
    abstract String url();

    final List<AutoCloseable> opened = new ArrayList<>();
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
    }

    JdbcBudgetRegistry open(Options opts) {
        JdbcBudgetRegistry r = JdbcBudgetRegistry.open(url(), LedgerOptions.defaults(), opts);
        opened.add(r);
        return r;
    }

    /** A registry whose snapshot ages only when the test moves {@link #nanos}, reloading on read. */
    JdbcBudgetRegistry onRead(Duration ttl) {
        return open(Options.defaults().withReload(Reload.ON_READ).withTtl(ttl).withNanoTime(nanos::get)
                .withClock(Clock.fixed(T0, ZoneOffset.UTC)));
    }

    // ---------------------------------------------------------------- CRUD

    @Test
    void aPoolSharedByPriorityKeepsItsExactWeights() {
        Budget pool = Budget.of("org-pool", Scope.TEAM, "acme", Period.MONTH, Metric.COST_USD, 900_000_000_000L,
                Action.DENY).sharedBy(dev.tokenrt.budget.PriorityPool.of(java.util.Map.of(
                        dev.tokenrt.budget.Priority.CRITICAL, new BigDecimal("0.7"),
                        dev.tokenrt.budget.Priority.LOW, new BigDecimal("0.000000001"))));
        try (JdbcBudgetRegistry r = open(Options.defaults())) {
            r.create(pool);
            assertThat(r.get("org-pool")).contains(pool);
            assertThat(r.budgets(Scope.TEAM, "acme")).containsExactly(pool);
            Budget plain = Budget.of("org-pool", Scope.TEAM, "acme", Period.MONTH, Metric.COST_USD, 900_000_000_000L,
                    Action.DENY);
            r.replace(plain);
            assertThat(r.get("org-pool")).contains(plain);
            assertThat(r.get("org-pool").orElseThrow().pool()).isEmpty();
        }
    }

    @Test
    void budgetsAreStoredAndReadBackExactly() {
        JdbcBudgetRegistry r = onRead(Duration.ofSeconds(1));
        assertThat(r.list()).isEmpty();
        for (Budget b : List.of(TEAM, EACH_USER, GLOBAL, PROJECT)) {
            assertThat(r.create(b)).isEqualTo(b);
        }
        assertThat(r.get("acme-daily")).contains(TEAM);
        assertThat(r.get("each-user")).contains(EACH_USER);
        assertThat(r.get("everyone")).contains(GLOBAL);
        assertThat(r.get("nope")).isEmpty();
        assertThat(r.list()).containsExactly(TEAM, EACH_USER, GLOBAL, PROJECT);

        Budget longest = Budget.of("max", Scope.SESSION, "s".repeat(200), Period.TOTAL, Metric.COST_USD,
                Long.MAX_VALUE, Action.DENY).withThresholds(new BigDecimal("0.000000001"), BigDecimal.ONE);
        r.create(longest);
        assertThat(r.get("max")).contains(longest);
    }

    @Test
    void aTakenIdIsRefusedAndTheFirstBudgetStays() {
        JdbcBudgetRegistry r = onRead(Duration.ofSeconds(1));
        r.create(TEAM);
        Budget again = Budget.of("acme-daily", Scope.GLOBAL, "", Period.DAY, Metric.TOKENS, 1, Action.DENY);
        assertThatThrownBy(() -> r.create(again)).isInstanceOf(DuplicateBudgetException.class)
                .hasMessageContaining("acme-daily");
        assertThat(r.get("acme-daily")).contains(TEAM);
        assertThat(r.list()).hasSize(1);
    }

    @Test
    void replaceChangesEverythingButTheIdAndDeleteRemoves() {
        JdbcBudgetRegistry r = onRead(Duration.ofSeconds(1));
        r.create(TEAM);
        r.create(PROJECT);
        Budget raised = Budget.of("acme-daily", Scope.PROJECT, "p2", Period.WEEK, Metric.TOKENS, 7, Action.DENY);
        assertThat(r.replace(raised)).contains(raised);
        assertThat(r.get("acme-daily")).contains(raised);
        assertThat(r.budgets(Scope.TEAM, "acme")).isEmpty();
        assertThat(r.budgets(Scope.PROJECT, "p2")).containsExactly(raised);
        assertThat(r.list()).as("replacing keeps the creation order").containsExactly(raised, PROJECT);
        assertThat(r.replace(Budget.of("ghost", Scope.GLOBAL, "", Period.DAY, Metric.TOKENS, 1, Action.DENY)))
                .isEmpty();
        assertThat(r.get("ghost")).isEmpty();

        assertThat(r.delete("acme-daily")).contains(raised);
        assertThat(r.delete("acme-daily")).isEmpty();
        assertThat(r.get("acme-daily")).isEmpty();
        assertThat(r.budgets(Scope.PROJECT, "p2")).isEmpty();
        assertThat(r.list()).containsExactly(PROJECT);
    }

    @Test
    void budgetsSurviveReopening() {
        JdbcBudgetRegistry first = onRead(Duration.ofSeconds(1));
        first.create(TEAM);
        first.create(EACH_USER);
        first.close();
        JdbcBudgetRegistry again = onRead(Duration.ofSeconds(1));
        assertThat(again.list()).containsExactly(TEAM, EACH_USER);
        assertThat(again.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
    }

    // ---------------------------------------------------------------- request path

    @Test
    void theRequestPathFindsBudgetsByMemberIncludingEachMemberBudgets() {
        JdbcBudgetRegistry r = onRead(Duration.ofSeconds(1));
        Budget team2 = Budget.of("acme-tokens", Scope.TEAM, "acme", Period.DAY, Metric.TOKENS, 9, Action.DENY);
        Budget eachTeam = Budget.of("each-team", Scope.TEAM, Budget.EACH, Period.DAY, Metric.REQUESTS, 9, Action.DENY);
        for (Budget b : List.of(TEAM, EACH_USER, GLOBAL, PROJECT, team2, eachTeam)) {
            r.create(b);
        }
        assertThat(r.budgets(Scope.TEAM, "acme")).containsExactly(TEAM, team2);
        assertThat(r.budgets(Scope.TEAM, "globex")).isEmpty();
        assertThat(r.budgets(Scope.TEAM, Budget.EACH)).containsExactly(eachTeam);
        assertThat(r.budgets(Scope.USER, Budget.EACH)).containsExactly(EACH_USER);
        assertThat(r.budgets(Scope.USER, "bob")).isEmpty();
        assertThat(r.budgets(Scope.GLOBAL, "")).containsExactly(GLOBAL);
        assertThat(r.budgets(Scope.PROJECT, "p1")).containsExactly(PROJECT);

        List<Applicable> bob = r.applicable(new Attribution("", "bob", "p1", "acme", "", List.of()));
        assertThat(bob).extracting(a -> a.budget().id() + "@" + a.member() + "=" + a.counterName()).containsExactly(
                "everyone@=everyone", "acme-daily@acme=acme-daily", "acme-tokens@acme=acme-tokens",
                "each-team@acme=each-team:acme", "p1-requests@p1=p1-requests", "each-user@bob=each-user:bob");
        List<Applicable> carol = r.applicable(new Attribution("", "carol", "", "globex", "", List.of()));
        assertThat(carol).extracting(a -> a.counterName()).containsExactly("everyone", "each-team:globex",
                "each-user:carol");
    }

    @Test
    void aSecondReplicaSeesAChangeOnceItsSnapshotIsOlderThanTheTtl() {
        JdbcBudgetRegistry a = onRead(Duration.ofSeconds(1));
        JdbcBudgetRegistry b = onRead(Duration.ofSeconds(1));
        assertThat(b.budgets(Scope.TEAM, "acme")).isEmpty();

        a.create(TEAM);
        assertThat(a.budgets(Scope.TEAM, "acme")).as("the writer sees its write at once").containsExactly(TEAM);
        assertThat(b.get("acme-daily")).as("admin reads go to the database").contains(TEAM);
        nanos.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(b.budgets(Scope.TEAM, "acme")).as("within the ttl, the snapshot is served").isEmpty();
        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(b.budgets(Scope.TEAM, "acme")).as("at the ttl, this read reloads").containsExactly(TEAM);
        assertThat(b.age()).isZero();

        // Reloaded just now: another change waits for the next ttl.
        a.create(EACH_USER);
        assertThat(b.budgets(Scope.USER, Budget.EACH)).isEmpty();
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(b.age()).isEqualTo(Duration.ofMillis(500));
        assertThat(b.budgets(Scope.USER, Budget.EACH)).isEmpty();
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(b.budgets(Scope.USER, Budget.EACH)).containsExactly(EACH_USER);

        a.delete("acme-daily");
        Budget raised = Budget.of("each-user", Scope.USER, Budget.EACH, Period.HOUR, Metric.TOKENS, 200_000,
                Action.THROTTLE);
        a.replace(raised);
        assertThat(b.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(b.budgets(Scope.TEAM, "acme")).isEmpty();
        assertThat(b.budgets(Scope.USER, Budget.EACH)).containsExactly(raised);
    }

    @Test
    void inTheBackgroundAReplicaCatchesUpWithoutAnyRequestWaiting() throws Exception {
        JdbcBudgetRegistry a = open(Options.defaults());
        JdbcBudgetRegistry b = open(Options.defaults().withTtl(Duration.ofMillis(50)));
        JdbcBudgetRegistry slow = open(Options.defaults().withTtl(Duration.ofHours(1)));
        a.create(TEAM);
        // Eventual visibility, not speed: the deadline only keeps a broken build from hanging.
        Instant deadline = Instant.now().plusSeconds(60);
        while (b.budgets(Scope.TEAM, "acme").isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(10);
        }
        assertThat(b.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
        assertThat(slow.budgets(Scope.TEAM, "acme")).as("an hour's ttl has not passed").isEmpty();
        slow.refresh();
        assertThat(slow.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
    }

    @Test
    void aHandEditedRowThatIsNoBudgetIsSkippedOnTheRequestPathAndReportedToAdmins() throws SQLException {
        JdbcBudgetRegistry r = onRead(Duration.ofSeconds(1));
        r.create(TEAM);
        try (Connection c = DriverManager.getConnection(url());
                PreparedStatement ps = c.prepareStatement("INSERT INTO budgets (id, scope, scope_id, period, metric, "
                        + "limit_amount, warn_at, critical_at, action, degrade_to, created_ns, updated_ns) "
                        + "VALUES ('bad', 'team', 'acme', 'fortnight', 'cost_usd', 1, '0.8', '0.95', 'deny', NULL, 1, 1)")) {
            ps.executeUpdate();
        }
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(r.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
        assertThatThrownBy(() -> r.get("bad")).isInstanceOf(BudgetStoreException.class).hasMessageContaining("bad");
    }

    @Test
    void whenTheDatabaseFailsTheLastSnapshotIsStillEnforcedAndAdminCallsSayTheStoreIsDown() {
        com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
        pool.setJdbcUrl(url());
        pool.setMaximumPoolSize(2);
        pool.setConnectionTimeout(1000);
        opened.add(pool);
        JdbcBudgetRegistry r = JdbcBudgetRegistry.open(pool, Options.defaults().withReload(Reload.ON_READ)
                .withTtl(Duration.ofSeconds(1)).withNanoTime(nanos::get));
        opened.add(r);
        r.create(TEAM);
        r.create(EACH_USER);
        pool.close();
        nanos.addAndGet(Duration.ofSeconds(3).toNanos());
        assertThat(r.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
        assertThat(r.budgets(Scope.USER, Budget.EACH)).containsExactly(EACH_USER);
        assertThat(r.age()).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> r.get("acme-daily")).isInstanceOf(BudgetStoreException.class);
        assertThatThrownBy(r::list).isInstanceOf(BudgetStoreException.class);
        assertThatThrownBy(() -> r.create(GLOBAL)).isInstanceOf(BudgetStoreException.class);
        assertThatThrownBy(r::refresh).isInstanceOf(BudgetStoreException.class);
        assertThat(r.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
    }

    // ---------------------------------------------------------------- with keys

    @Test
    void keyBudgetsAndTierCapsComposeWithTheRegistryOnTheSameDatabase() {
        JdbcBudgetRegistry registry = onRead(Duration.ofSeconds(1));
        JdbcKeyStore keys = JdbcKeyStore.open(url(), LedgerOptions.defaults());
        opened.add(keys);
        registry.create(TEAM);
        registry.create(EACH_USER);
        registry.create(GLOBAL);
        IssuedKey issued = keys.issue(NewKey.named("ci").withUser("bob").withTeam("acme").withTier("free")
                .withBudgets("[{\"period\":\"day\",\"limit\":\"2.50\"},"
                        + "{\"id\":\"rpm\",\"period\":\"minute\",\"metric\":\"requests\",\"limit\":30,\"action\":\"throttle\"}]"),
                T0);
        String id = issued.key().id();
        Tier free = new Tier("free", Set.of(), OptionalInt.empty(), OptionalLong.of(1_000_000_000L), Priority.LOW);
        KeyBudgets keyBudgets = KeyBudgets.builder().keys(keys).tiers(Map.of("free", free)).ticker(nanos::get)
                .executor(Runnable::run).build();
        BudgetSource all = CompositeBudgetSource.of(registry, keyBudgets);

        assertThat(keyBudgets.budgets(Scope.KEY, id)).containsExactly(
                Budget.of("key:" + id + ":cost_usd:day", Scope.KEY, id, Period.DAY, Metric.COST_USD, 2_500_000_000L,
                        Action.DENY),
                Budget.of("key:" + id + ":rpm", Scope.KEY, id, Period.MINUTE, Metric.REQUESTS, 30, Action.THROTTLE),
                Budget.of("tier:free:" + id, Scope.KEY, id, Period.DAY, Metric.COST_USD, 1_000_000_000L, Action.DENY));

        Attribution bob = new Attribution(id, "bob", "", "acme", "", List.of());
        assertThat(all.applicable(bob)).extracting(a -> a.counterName()).containsExactly("everyone", "acme-daily",
                "each-user:bob", "key:" + id + ":cost_usd:day", "key:" + id + ":rpm", "tier:free:" + id);

        // A patch of the key's budgets is enforced once the key's entry is older than the ttl.
        keys.update(id, KeyPatch.none().withBudgets("[{\"period\":\"day\",\"limit\":\"4\"}]"));
        assertThat(keyBudgets.budgets(Scope.KEY, id)).hasSize(3);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        keyBudgets.budgets(Scope.KEY, id);
        assertThat(keyBudgets.budgets(Scope.KEY, id)).extracting(Budget::id, Budget::limit).containsExactly(
                org.assertj.core.groups.Tuple.tuple("key:" + id + ":cost_usd:day", 4_000_000_000L),
                org.assertj.core.groups.Tuple.tuple("tier:free:" + id, 1_000_000_000L));

        // The same id from two sources is held once, the first source's.
        InMemoryBudgetRegistry config = new InMemoryBudgetRegistry(List.of(
                Budget.of("acme-daily", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1, Action.DENY)));
        assertThat(CompositeBudgetSource.of(registry, config).budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
        assertThat(CompositeBudgetSource.of(config, registry).budgets(Scope.TEAM, "acme"))
                .extracting(Budget::limit).containsExactly(1L);
    }
}
