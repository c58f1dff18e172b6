package dev.tokenrt.store.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.keys.Authentication;
import dev.tokenrt.keys.IssuedKey;
import dev.tokenrt.keys.KeyPatch;
import dev.tokenrt.keys.KeySecrets;
import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.keys.NewKey;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** What every {@link JdbcKeyStore} engine must do; run against a SQLite file and a real PostgreSQL. */
abstract class KeyStoreContract {

    static final Instant T0 = Instant.parse("2026-11-01T09:30:00.123456789Z");

    /** A JDBC URL to an empty database (or schema) of this engine. */
    abstract String url();

    /** The query plan of the per-request lookup, as the engine prints it. */
    abstract String lookupPlan(Connection c, String hash) throws SQLException;

    JdbcKeyStore open() {
        return JdbcKeyStore.open(url(), LedgerOptions.defaults());
    }

    static NewKey full() {
        return NewKey.named("ci – Zürich 🚀").withUser("alice").withProject("search").withTeam("core")
                .withModels(List.of("gpt-4o-mini", "fast-alias")).withTier("gold")
                .withBudgets("[{\"period\":\"month\",\"limit_usd\":\"25.00\"}]")
                .withRateLimits("[{\"rpm\":60}]").withExpiresAt(T0.plusSeconds(3600));
    }

    @Test
    void issuedKeysRoundTripExactlyAndAreFoundByTheHashOfTheirSecret() {
        try (JdbcKeyStore store = open()) {
            IssuedKey issued = store.issue(full(), T0);
            VirtualKey k = issued.key();
            assertThat(store.get(k.id())).contains(k);
            assertThat(store.findBySecretHash(KeySecrets.hash(issued.secret()))).contains(k);
            assertThat(k.createdAt()).isEqualTo(T0); // nanoseconds survive
            assertThat(k.models()).containsExactly("gpt-4o-mini", "fast-alias");
            assertThat(store.authenticate(issued.secret(), T0)).isEqualTo(new Authentication.Accepted(k));
            assertThat(store.findBySecretHash(KeySecrets.hash(KeySecrets.generate()))).isEmpty();
            assertThat(store.get("key_missing")).isEmpty();
        }
    }

    @Test
    void onlyTheHashIsStored() throws SQLException {
        String secret;
        try (JdbcKeyStore store = open()) {
            secret = store.issue(full(), T0).secret();
        }
        try (Connection c = DriverManager.getConnection(url()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT * FROM virtual_keys")) {
            ResultSetMetaData md = rs.getMetaData();
            assertThat(rs.next()).isTrue();
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                row.append(rs.getString(i)).append('|');
            }
            assertThat(row.toString()).doesNotContain(secret).doesNotContain(secret.substring(6))
                    .contains(KeySecrets.hash(secret)).contains(secret.substring(0, 10) + "…");
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void theLookupIsOneIndexedSelect() throws SQLException {
        try (JdbcKeyStore store = open()) {
            store.issue(full(), T0);
        }
        try (Connection c = DriverManager.getConnection(url())) {
            // Enough rows that a full scan would cost more than the index, and fresh statistics.
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO virtual_keys (id, secret_hash, hint, name, "
                    + "user_id, project, team, models, tier, budgets, rate_limits, created_ns) "
                    + "VALUES (?, ?, '', '', '', '', '', '[]', '', '[]', '[]', 0)")) {
                for (int i = 0; i < 2_000; i++) {
                    ps.setString(1, "key_bulk" + i);
                    ps.setString(2, KeySecrets.hash("bulk" + i));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("ANALYZE");
            }
            assertThat(lookupPlan(c, KeySecrets.hash("bulk7"))).contains("virtual_keys_secret_hash");
        }
    }

    @Test
    void aRevocationOrExpiryIsSeenAtOnceByEveryReplica() {
        try (JdbcKeyStore a = open(); JdbcKeyStore b = open()) {
            IssuedKey one = a.issue(NewKey.named("one"), T0);
            IssuedKey two = a.issue(NewKey.named("two"), T0);
            assertThat(b.authenticate(one.secret(), T0)).isInstanceOf(Authentication.Accepted.class);
            assertThat(b.authenticate(two.secret(), T0)).isInstanceOf(Authentication.Accepted.class);

            a.revoke(one.key().id(), T0.plusSeconds(1));
            assertThat(b.authenticate(one.secret(), T0.plusSeconds(1)))
                    .isInstanceOfSatisfying(Authentication.Refused.class,
                            r -> assertThat(r.reason()).isEqualTo(Authentication.Reason.REVOKED));

            a.update(two.key().id(), KeyPatch.none().withExpiresAt(T0.plusSeconds(2)));
            assertThat(b.authenticate(two.secret(), T0.plusSeconds(2)))
                    .isInstanceOfSatisfying(Authentication.Refused.class,
                            r -> assertThat(r.reason()).isEqualTo(Authentication.Reason.EXPIRED));

            b.update(two.key().id(), KeyPatch.none().withoutExpiry().withModels(List.of("only-this")));
            VirtualKey seen = a.findBySecretHash(KeySecrets.hash(two.secret())).orElseThrow();
            assertThat(seen.expiresAt()).isEmpty();
            assertThat(seen.allowsModel("only-this")).isTrue();
            assertThat(seen.allowsModel("gpt-4o")).isFalse();
        }
    }

    @Test
    void updateChangesOnlyTheNamedFields() {
        try (JdbcKeyStore store = open()) {
            VirtualKey k = store.issue(full(), T0).key();
            KeyPatch patch = KeyPatch.none().withName("renamed").withUser("bob").withProject("p2").withTeam("t2")
                    .withModels(List.of()).withTier("").withBudgets("[]").withRateLimits("[{\"tpm\":1000}]");
            VirtualKey expected = patch.applyTo(k);
            assertThat(store.update(k.id(), patch)).contains(expected);
            assertThat(store.get(k.id())).contains(expected);
            assertThat(store.update(k.id(), KeyPatch.none())).contains(expected);
            assertThat(store.update(k.id(), KeyPatch.none().withExpiresAt(T0.plusNanos(7))).orElseThrow().expiresAt())
                    .contains(T0.plusNanos(7));
            assertThat(store.update(k.id(), KeyPatch.none().withoutExpiry()).orElseThrow().expiresAt()).isEmpty();
            assertThat(store.update("key_missing", KeyPatch.none().withName("x"))).isEmpty();
            assertThat(store.update("key_missing", KeyPatch.none())).isEmpty();
        }
    }

    @Test
    void revokeKeepsTheFirstTimeAndUnknownIdsAreEmpty() {
        try (JdbcKeyStore store = open()) {
            VirtualKey k = store.issue(NewKey.named("r"), T0).key();
            assertThat(store.revoke(k.id(), T0.plusSeconds(5)).orElseThrow().revokedAt()).contains(T0.plusSeconds(5));
            assertThat(store.revoke(k.id(), T0.plusSeconds(9)).orElseThrow().revokedAt()).contains(T0.plusSeconds(5));
            assertThat(store.get(k.id()).orElseThrow().status(T0.plusSeconds(5))).isEqualTo(VirtualKey.Status.REVOKED);
            assertThat(store.revoke("key_missing", T0)).isEmpty();
        }
    }

    @Test
    void listIsOldestFirstAndIncludesRevokedKeys() {
        try (JdbcKeyStore store = open()) {
            VirtualKey late = store.issue(NewKey.named("late"), T0.plusSeconds(2)).key();
            VirtualKey early = store.issue(NewKey.named("early"), T0).key();
            store.revoke(early.id(), T0.plusSeconds(3));
            assertThat(store.list()).extracting(VirtualKey::id).containsExactly(early.id(), late.id());
            assertThat(store.list().get(0).revokedAt()).contains(T0.plusSeconds(3));
        }
    }

    @Test
    void duplicatesAreRefusedWithoutQuotingTheHash() {
        try (JdbcKeyStore store = open()) {
            IssuedKey k = store.issue(NewKey.named("d"), T0);
            String hash = KeySecrets.hash(k.secret());
            assertThatThrownBy(() -> store.create(k.key(), KeySecrets.hash(KeySecrets.generate())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
            VirtualKey other = new VirtualKey(KeySecrets.newId(), "", "", "", "", List.of(), "", "[]", "[]", "", T0,
                    Optional.empty(), Optional.empty());
            assertThatThrownBy(() -> store.create(other, hash))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("another key already has this secret")
                    .hasNoCause();
            assertThatThrownBy(() -> store.create(other, "not-a-hash")).isInstanceOf(IllegalArgumentException.class);
            assertThat(store.list()).hasSize(1);
        }
    }

    @Test
    void concurrentIssuesAndLookupsAllLand() throws Exception {
        try (JdbcKeyStore store = open()) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<List<String>>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> {
                        List<String> ids = new ArrayList<>();
                        for (int i = 0; i < 20; i++) {
                            IssuedKey k = store.issue(NewKey.named("c"), T0);
                            assertThat(store.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Accepted.class);
                            ids.add(k.key().id());
                        }
                        return ids;
                    }));
                }
                Set<String> all = new HashSet<>();
                for (Future<List<String>> f : futures) {
                    all.addAll(f.get());
                }
                assertThat(all).hasSize(160);
                assertThat(store.list()).extracting(VirtualKey::id).containsExactlyInAnyOrderElementsOf(all);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void sharesTheDatabaseAndMigrationsWithTheLedger() throws SQLException {
        try (JdbcUsageLedger ledger = JdbcUsageLedger.open(url(), LedgerOptions.defaults());
                JdbcKeyStore store = open()) {
            store.issue(NewKey.named("beside the ledger"), T0);
            assertThat(ledger.stats()).isNotNull();
        }
        try (Connection c = DriverManager.getConnection(url()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT version FROM flyway_schema_history WHERE success "
                        + (this instanceof SqliteKeyStoreTest ? "= 1" : "") + " ORDER BY installed_rank")) {
            List<String> versions = new ArrayList<>();
            while (rs.next()) {
                versions.add(rs.getString(1));
            }
            assertThat(versions).contains("1", "3").doesNotHaveDuplicates();
        }
    }

    @Test
    void opensOnADataSourceItDoesNotOwn() throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url());
        config.setMaximumPoolSize(2);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            String secret;
            try (JdbcKeyStore store = JdbcKeyStore.open(ds)) {
                secret = store.issue(NewKey.named("on a pool"), T0).secret();
            }
            assertThat(ds.isClosed()).isFalse();
            try (JdbcKeyStore again = JdbcKeyStore.open(ds)) {
                assertThat(again.authenticate(secret, T0)).isInstanceOf(Authentication.Accepted.class);
            }
        }
    }

    @Test
    void aClosedStoreFailsClosed() {
        JdbcKeyStore store = open();
        IssuedKey k = store.issue(NewKey.named("x"), T0);
        store.close();
        assertThatThrownBy(() -> store.authenticate(k.secret(), T0)).isInstanceOf(KeyStoreException.class)
                .hasMessageNotContaining(KeySecrets.hash(k.secret()));
    }
}
