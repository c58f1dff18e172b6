package dev.tokenrt.store.budget;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.BudgetStep;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Priority;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.budget.Window;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Rebuilds budget counters from the ledger, which is the source of truth (one append-only row a request): for
 * every budget and its current window (for a {@code total} budget, all time), sums the ledger's cost, tokens or
 * requests over the budget's scope and writes the figure as the counter's {@code used}, keeping what live holds
 * hold ({@link CounterStore#setUsed}). For after a {@code fail_open} outage (spend counted on local counters only),
 * a lost Redis, or a counter that someone changed by hand.
 *
 * <p><b>What counts</b> is what the budget step settles, so that a rebuilt counter equals a live one: rows answered
 * from the response cache never reached the budget step and are left out; a row counts when it was answered
 * (status 200) or used tokens (a stream that broke or whose client left is charged for what it generated); a
 * failure that used nothing was released and counts nothing. Cost is {@code cost_nanos}, tokens are
 * {@code input_tokens + output_tokens}, requests are rows. Rows fall in a window by their time (the request's
 * arrival), in the budget zone.
 *
 * <p><b>Per-member budgets</b> ({@code scope_id "*"}) are rebuilt for every member with rows in the window;
 * counters of members without rows are left as they are. A <b>pool shared by priority</b> has its total rebuilt
 * and each priority's share counter from the rows of the keys whose tier has that priority now (a row without a
 * key, or whose key has no tier, is medium, as the gateway decides it), since the ledger does not record the
 * priority a request had; the pool's activity counters (who asked lately) are not rebuilt.
 *
 * <p>The ledger's writer commits in batches (50 ms): flush it first, and expect requests settling while the rebuild
 * runs to be counted as of the moment each counter is written.
 */
public final class CounterRebuild implements AutoCloseable {

    /** What one counter was and is (or, in a dry run, would be). */
    public record Change(String budgetId, String member, String counterKey, Window window, Metric metric, long before,
            long after, long held) {
        public boolean changed() {
            return before != after;
        }
    }

    /** How far a rebuild has come: the budget being rebuilt, 1-based, of how many. */
    public record Progress(int done, int total, String budgetId) {
    }

    private final DataSource ledger;
    private final Optional<HikariDataSource> owned;

    private CounterRebuild(DataSource ledger, Optional<HikariDataSource> owned) {
        this.ledger = ledger;
        this.owned = owned;
    }

    /**
     * Reads the ledger at {@code jdbc:sqlite:…} or {@code jdbc:postgresql:…}.
     *
     * @throws BudgetStoreException if it cannot be reached or migrated
     */
    public static CounterRebuild open(String ledgerUrl, LedgerOptions db) {
        HikariDataSource pool = SharedDatabase.open(ledgerUrl, db, "tokenrt-rebuild", "the ledger");
        return new CounterRebuild(pool, Optional.of(pool));
    }

    /** Reads the ledger through a data source the caller owns. */
    public static CounterRebuild over(DataSource ledger) {
        return new CounterRebuild(Objects.requireNonNull(ledger, "ledger"), Optional.empty());
    }

    /**
     * Rebuilds (or with {@code dryRun}, only computes) the counters of {@code budgets} in the windows holding
     * {@code now} in {@code zone}.
     *
     * @param priorityOfKey the priority a key's requests have in pools (its tier's); for pools only
     * @return every counter looked at, in budget order
     * @throws BudgetStoreException if the ledger cannot be read; the counter store's own exception if it fails
     */
    public List<Change> rebuild(List<Budget> budgets, CounterStore counters, Instant now, ZoneId zone,
            Function<String, Priority> priorityOfKey, boolean dryRun, java.util.function.Consumer<Progress> progress) {
        List<Change> out = new ArrayList<>();
        int i = 0;
        for (Budget b : budgets) {
            progress.accept(new Progress(++i, budgets.size(), b.id()));
            Window w = b.period().window(now, zone);
            Map<String, Long> figures = new LinkedHashMap<>(); // counter key -> rebuilt used
            Map<String, String> members = new LinkedHashMap<>();
            Map<String, Long> totals = b.appliesToEachMember() ? sums(b, w, column(b.scope()), Optional.empty())
                    : Map.of(b.scopeId(), sums(b, w, Optional.empty(), memberOf(b, b.scopeId())).getOrDefault("", 0L));
            for (Map.Entry<String, Long> t : totals.entrySet()) {
                Applicable a = new Applicable(b, t.getKey());
                String key = BudgetStep.counterKey(a, w);
                figures.put(key, t.getValue());
                members.put(key, t.getKey());
                if (b.pool().isPresent()) {
                    Map<Priority, Long> byPriority = new EnumMap<>(Priority.class);
                    for (Priority p : Priority.values()) {
                        byPriority.put(p, 0L);
                    }
                    sums(b, w, Optional.of("key_id"), memberOf(b, t.getKey())).forEach((keyId, used) -> byPriority
                            .merge(priorityOfKey.apply(keyId), used, CounterRebuild::add));
                    // Rows without a key are medium, as the gateway decides it.
                    long all = byPriority.values().stream().reduce(0L, CounterRebuild::add);
                    byPriority.merge(Priority.MEDIUM, Math.max(0, t.getValue() - all), CounterRebuild::add);
                    byPriority.forEach((p, used) -> {
                        String share = BudgetStep.shareKey(a, w, p);
                        figures.put(share, used);
                        members.put(share, t.getKey());
                    });
                }
            }
            for (Map.Entry<String, Long> e : figures.entrySet()) {
                CounterStore.State before = counters.state(e.getKey());
                if (!dryRun && before.used() != e.getValue()) {
                    counters.setUsed(e.getKey(), e.getValue(), w.end());
                }
                out.add(new Change(b.id(), members.get(e.getKey()), e.getKey(), w, b.metric(), before.used(),
                        e.getValue(), before.held()));
            }
        }
        return out;
    }

    /** The member filter for one of a budget's counters: none for a global budget. */
    private static Optional<String> memberOf(Budget b, String member) {
        return b.scope() == Scope.GLOBAL ? Optional.empty() : Optional.of(member);
    }

    /** The ledger's column for a scope's member. */
    private static Optional<String> column(Scope scope) {
        return Optional.of(switch (scope) {
            case GLOBAL -> throw new IllegalArgumentException("a global budget has no members");
            case TEAM -> "team";
            case PROJECT -> "project";
            case USER -> "user_id";
            case KEY -> "key_id";
            case SESSION -> "session_id";
        });
    }

    /**
     * The budget's figure over its window, grouped by {@code groupBy} (one entry {@code ""} without), for the rows
     * of {@code member} in the budget's scope column when given.
     */
    private Map<String, Long> sums(Budget b, Window w, Optional<String> groupBy, Optional<String> member) {
        String figure = switch (b.metric()) {
            case COST_USD -> "SUM(cost_nanos)";
            case TOKENS -> "SUM(input_tokens + output_tokens)";
            case REQUESTS -> "COUNT(*)";
        };
        StringBuilder sql = new StringBuilder("SELECT ").append(groupBy.orElse("''")).append(", ").append(figure)
                .append(" FROM requests WHERE cache_outcome NOT IN ('hit', 'semantic')")
                .append(" AND (status = 200 OR input_tokens + output_tokens > 0)");
        List<Object> args = new ArrayList<>();
        if (!w.isForever()) {
            sql.append(" AND time_ns >= ? AND time_ns < ?");
            args.add(Checks.epochNanos(w.start()));
            args.add(Checks.epochNanos(w.end()));
        }
        if (member.isPresent()) {
            sql.append(" AND ").append(column(b.scope()).orElseThrow()).append(" = ?");
            args.add(member.get());
        }
        if (groupBy.isPresent()) {
            sql.append(" AND ").append(groupBy.get()).append(" <> '' GROUP BY ").append(groupBy.get());
        }
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = ledger.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                Object a = args.get(i);
                if (a instanceof Long l) {
                    ps.setLong(i + 1, l);
                } else {
                    ps.setString(i + 1, (String) a);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    BigDecimal v = rs.getBigDecimal(2);
                    long used = v == null ? 0 : v.min(BigDecimal.valueOf(Long.MAX_VALUE)).longValueExact();
                    out.merge(rs.getString(1), used, CounterRebuild::add);
                }
            }
        } catch (SQLException e) {
            throw new BudgetStoreException("cannot sum the ledger for budget " + b.id() + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static long add(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    @Override
    public void close() {
        owned.ifPresent(HikariDataSource::close);
    }
}
