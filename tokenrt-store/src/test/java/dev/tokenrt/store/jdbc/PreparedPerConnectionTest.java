package dev.tokenrt.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A statement prepared once per pooled connection, on a real SQLite file behind a real Hikari pool. */
class PreparedPerConnectionTest {

    @TempDir
    Path dir;

    private DataSource plain;
    private HikariDataSource pool;
    private PreparedPerConnection lookup;

    @BeforeEach
    void open() throws SQLException {
        plain = Databases.dataSource(Dialect.SQLITE, "jdbc:sqlite:" + dir.resolve("t.db"), Duration.ofSeconds(5),
                Optional.empty(), Optional.empty(), "test");
        try (Connection c = plain.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
            s.execute("INSERT INTO t VALUES ('a', 1)");
        }
        pool = Databases.pool(plain, "test", 1, Duration.ofSeconds(1), true);
        lookup = new PreparedPerConnection("SELECT v FROM t WHERE k = ?");
    }

    @AfterEach
    void close() {
        lookup.close();
        pool.close();
    }

    private Optional<Long> read(String k) throws SQLException {
        try (Connection c = pool.getConnection()) {
            PreparedStatement ps = lookup.on(c);
            ps.setString(1, k);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    @Test
    void aConnectionKeepsItsStatementAndSeesEveryCommittedWrite() throws SQLException {
        PreparedStatement first;
        try (Connection c = pool.getConnection()) {
            first = lookup.on(c);
            assertThat(lookup.on(c)).isSameAs(first);
        }
        assertThat(read("a")).contains(1L);
        // Another connection (another replica, say) writes: the reused statement reads the new row at once.
        try (Connection other = plain.getConnection(); Statement s = other.createStatement()) {
            s.execute("UPDATE t SET v = 2 WHERE k = 'a'");
            s.execute("INSERT INTO t VALUES ('b', 3)");
        }
        assertThat(read("a")).contains(2L);
        assertThat(read("b")).contains(3L);
        assertThat(read("c")).isEmpty();
        try (Connection c = pool.getConnection()) {
            assertThat(lookup.on(c)).isSameAs(first); // one pooled connection, prepared once
        }
        assertThat(lookup.size()).isEqualTo(1);
    }

    @Test
    void aRetiredConnectionsStatementIsDroppedAndANewOnePrepared() throws Exception {
        PreparedStatement first;
        try (Connection c = pool.getConnection()) {
            first = lookup.on(c);
        }
        // The pool retires its connection (as at its maximum lifetime): the statement ends with it.
        pool.getHikariPoolMXBean().softEvictConnections();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!first.getConnection().isClosed() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(first.getConnection().isClosed()).isTrue();
        assertThat(read("a")).contains(1L);
        try (Connection c = pool.getConnection()) {
            assertThat(lookup.on(c)).isNotSameAs(first);
        }
        assertThat(lookup.size()).isEqualTo(1); // the closed one is gone
    }

    @Test
    void aDiscardedStatementIsPreparedAgain() throws SQLException {
        try (Connection c = pool.getConnection()) {
            PreparedStatement first = lookup.on(c);
            lookup.discard(c);
            assertThat(first.isClosed()).isTrue();
            PreparedStatement again = lookup.on(c);
            assertThat(again).isNotSameAs(first);
            again.setString(1, "a");
            try (ResultSet rs = again.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(1L);
            }
        }
    }
}
