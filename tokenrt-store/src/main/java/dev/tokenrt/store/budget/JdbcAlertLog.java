package dev.tokenrt.store.budget;

import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.budget.Action;
import dev.tokenrt.budget.AlertLevel;
import dev.tokenrt.budget.AlertLog;
import dev.tokenrt.budget.AlertRecord;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Period;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.budget.Window;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Fired budget alerts in the database the replicas share ({@code budget_alerts}, migration V5): SQLite on one
 * machine (across processes too), PostgreSQL across machines. {@link #recordIfAbsent} is one
 * {@code INSERT … ON CONFLICT (dedup_key) DO NOTHING}: the database's unique key decides which replica added
 * the row, and only that one fires the alert. Every fired alert stays, for {@code GET /admin/v1/alerts}.
 */
public final class JdbcAlertLog implements AlertLog, AutoCloseable {

    private static final String COLUMNS = "dedup_key, budget_id, member, scope, period, metric, level, "
            + "window_start_ns, window_end_ns, used, limit_amount, action, message, fired_ns";

    private final DataSource ds;
    private final Optional<HikariDataSource> owned;

    private JdbcAlertLog(DataSource ds, Optional<HikariDataSource> owned) {
        this.ds = ds;
        this.owned = owned;
    }

    /**
     * Opens the log at the ledger's URL ({@code jdbc:sqlite:/path/file.db} or {@code jdbc:postgresql://…}),
     * migrating the schema, with a pool that {@link #close} closes.
     *
     * @throws IllegalArgumentException for any other URL, or an in-memory SQLite database
     * @throws BudgetStoreException     if the database cannot be reached or migrated
     */
    public static JdbcAlertLog open(String jdbcUrl, LedgerOptions db) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(db, "db");
        HikariDataSource pool = SharedDatabase.open(jdbcUrl, db, "tokenrt-alerts", "the alert log");
        return new JdbcAlertLog(pool, Optional.of(pool));
    }

    /** A log on a data source the caller owns (auto-commit connections); {@link #close} leaves it open. */
    public static JdbcAlertLog open(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        SharedDatabase.migrate(dataSource, "the alert log");
        return new JdbcAlertLog(dataSource, Optional.empty());
    }

    @Override
    public boolean recordIfAbsent(AlertRecord a) {
        Objects.requireNonNull(a, "alert");
        String sql = "INSERT INTO budget_alerts (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (dedup_key) DO NOTHING";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            ps.setString(++i, a.dedupKey());
            ps.setString(++i, a.budgetId());
            ps.setString(++i, a.member());
            ps.setString(++i, a.scope().wireName());
            ps.setString(++i, a.period().wireName());
            ps.setString(++i, a.metric().wireName());
            ps.setString(++i, a.level().wireName());
            if (a.window().isForever()) {
                ps.setNull(++i, Types.BIGINT);
                ps.setNull(++i, Types.BIGINT);
            } else {
                ps.setLong(++i, Checks.epochNanos(a.window().start()));
                ps.setLong(++i, Checks.epochNanos(a.window().end()));
            }
            ps.setLong(++i, a.used());
            ps.setLong(++i, a.limit());
            ps.setString(++i, a.action().wireName());
            ps.setString(++i, a.text());
            ps.setLong(++i, Checks.epochNanos(a.firedAt()));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new BudgetStoreException("cannot record alert " + a.dedupKey() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<AlertRecord> list(Query q) {
        Objects.requireNonNull(q, "query");
        String sql = "SELECT " + COLUMNS + " FROM budget_alerts WHERE fired_ns >= ?"
                + (q.budgetId().isPresent() ? " AND budget_id = ?" : "") + " ORDER BY fired_ns DESC, dedup_key LIMIT ?";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            ps.setLong(++i, Checks.epochNanos(q.since()));
            if (q.budgetId().isPresent()) {
                ps.setString(++i, q.budgetId().get());
            }
            ps.setInt(++i, q.limit());
            List<AlertRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new BudgetStoreException("cannot list alerts: " + e.getMessage(), e);
        }
    }

    private static AlertRecord read(ResultSet rs) throws SQLException {
        long start = rs.getLong(8);
        boolean forever = rs.wasNull();
        long end = rs.getLong(9);
        Window w = forever ? Window.FOREVER : new Window(SharedDatabase.instant(start), SharedDatabase.instant(end));
        return new AlertRecord(rs.getString(1), rs.getString(2), rs.getString(3), Scope.parse(rs.getString(4)),
                Period.parse(rs.getString(5)), Metric.parse(rs.getString(6)),
                AlertLevel.valueOf(rs.getString(7).toUpperCase(Locale.ROOT)), w, rs.getLong(10), rs.getLong(11),
                Action.parse(rs.getString(12)), rs.getString(13), SharedDatabase.instant(rs.getLong(14)));
    }

    @Override
    public void close() {
        owned.ifPresent(HikariDataSource::close);
    }
}
