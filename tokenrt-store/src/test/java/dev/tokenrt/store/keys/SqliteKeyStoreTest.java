package dev.tokenrt.store.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.keys.Authentication;
import dev.tokenrt.keys.NewKey;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key store contract on a real SQLite file in a temporary directory. */
class SqliteKeyStoreTest extends KeyStoreContract {

    @TempDir
    Path dir;

    @Override
    String url() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }

    @Override
    String lookupPlan(Connection c, String hash) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + JdbcKeyStore.BY_HASH)) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString("detail")).append('\n');
                }
            }
        }
        // One step, an index search (SEARCH virtual_keys USING INDEX virtual_keys_secret_hash (secret_hash=?)).
        assertThat(plan.toString().strip()).startsWith("SEARCH virtual_keys USING INDEX").doesNotContain("SCAN");
        return plan.toString();
    }

    @Test
    void theSecretIsNowhereInTheDatabaseFiles() throws IOException {
        String secret;
        try (JdbcKeyStore store = JdbcKeyStore.sqlite(dir.resolve("data"))) {
            secret = store.issue(full(), T0).secret();
            // Check the WAL too, while it still holds the committed page.
            assertThat(filesContain(dir.resolve("data"), secret)).isFalse();
            assertThat(filesContain(dir.resolve("data"), dev.tokenrt.keys.KeySecrets.hash(secret))).isTrue();
        }
        assertThat(filesContain(dir.resolve("data"), secret)).isFalse();
        try (JdbcKeyStore again = JdbcKeyStore.sqlite(dir.resolve("data"))) {
            assertThat(again.authenticate(secret, T0)).isInstanceOf(Authentication.Accepted.class);
        }
    }

    private static boolean filesContain(Path folder, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) {
                byte[] hay = Files.readAllBytes(f);
                outer:
                for (int i = 0; i + needle.length <= hay.length; i++) {
                    for (int j = 0; j < needle.length; j++) {
                        if (hay[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void refusesInMemoryDatabasesAndOtherEngines() {
        assertThatThrownBy(() -> JdbcKeyStore.open("jdbc:sqlite::memory:", LedgerOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database file");
        assertThatThrownBy(() -> JdbcKeyStore.open("jdbc:mysql://h/db?password=hunter2", LedgerOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("hunter2");
        assertThat(NewKey.named("n").name()).isEqualTo("n");
    }
}
