package dev.tokenrt.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One SQL statement prepared once per pooled connection and reused by every later borrower of that connection:
 * for the few statements run on every request. Written by hand because nothing below does it: HikariCP
 * deliberately caches no statements (it leaves that to drivers), and sqlite-jdbc prepares afresh on every
 * {@code prepareStatement}; SQLite parsing and planning the virtual-key lookup was half of that lookup's cost.
 * PostgreSQL's driver caches its own, so there this only saves the driver's cache lookup.
 *
 * <p>A pool lends a connection to one borrower at a time, so each statement is used by one thread at a time.
 * Statements are keyed by the driver's connection underneath the pool's proxy; when the pool retires that
 * connection, closing it ends the statement, and entries whose connection has closed are dropped whenever a
 * statement is prepared for a new connection. A caller closes its result sets (which resets the statement) and
 * never the statement itself.
 */
public final class PreparedPerConnection implements AutoCloseable {

    private final String sql;
    private final ConcurrentHashMap<Connection, PreparedStatement> statements = new ConcurrentHashMap<>();

    public PreparedPerConnection(String sql) {
        this.sql = Objects.requireNonNull(sql, "sql");
    }

    /** The statement on this borrowed connection, prepared now if this connection has none yet. */
    public PreparedStatement on(Connection borrowed) throws SQLException {
        Connection driver = borrowed.unwrap(Connection.class);
        PreparedStatement ps = statements.get(driver);
        if (ps != null && !closed(ps)) {
            return ps;
        }
        statements.values().removeIf(PreparedPerConnection::closed); // connections retired since
        ps = driver.prepareStatement(sql);
        statements.put(driver, ps);
        return ps;
    }

    /** Forgets (and closes) this connection's statement, after it failed: the next use prepares it again. */
    public void discard(Connection borrowed) {
        try {
            PreparedStatement ps = statements.remove(borrowed.unwrap(Connection.class));
            if (ps != null) {
                ps.close();
            }
        } catch (SQLException e) {
            // the connection itself is broken: the pool will retire it, and the statement with it
        }
    }

    /** How many connections have a statement now (tests). */
    int size() {
        return statements.size();
    }

    /** Closes every statement; for when the store closes, with no lookup in flight. */
    @Override
    public void close() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        statements.clear();
    }

    /** Closed itself, or by its connection's closing (which sqlite-jdbc's {@code isClosed} does not tell). */
    private static boolean closed(PreparedStatement ps) {
        try {
            return ps.isClosed() || ps.getConnection().isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
