package dev.tokenrt.store.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger contract on a real SQLite file in a temporary directory. */
class SqliteUsageLedgerTest extends UsageLedgerContract {

    @TempDir
    Path dir;

    @Override
    String url() {
        return "jdbc:sqlite:" + dir.resolve("ledger.db");
    }

    @Override
    LedgerOptions options() {
        // Short busy timeout so the blocked-writer case retries quickly.
        return LedgerOptions.defaults().withBusyTimeout(Duration.ofMillis(100));
    }

    @Override
    AutoCloseable blockWriter(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("BEGIN IMMEDIATE"); // takes the database's write lock
        }
        return () -> {
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK");
            }
        };
    }

    @Override
    boolean storesNulInText() {
        return true;
    }

    @Test
    void sqliteConvenienceCreatesTheDirectoryAndUsesWal() throws SQLException {
        Path dataDir = dir.resolve("nested/data");
        try (JdbcUsageLedger ledger = JdbcUsageLedger.sqlite(dataDir)) {
            fill(ledger, Fixtures.traffic("w", 10, 1));
        }
        Path db = dataDir.resolve("tokenrt.db");
        assertThat(db).isRegularFile();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
        assertThat(Files.exists(dataDir.resolve("tokenrt.db"))).isTrue();
    }
}
