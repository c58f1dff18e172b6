package dev.tokenrt.cache.semantic.pgvector;

import static dev.tokenrt.cache.semantic.TestVectors.near;
import static dev.tokenrt.cache.semantic.TestVectors.unit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tokenrt.cache.semantic.VectorIndex.Neighbour;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pgvector in the real PostgreSQL on {@code -Dtokenrt.test.postgres} (default 127.0.0.1:5432, user postgres), in a
 * scratch database with a random name, a fresh table prefix per test. The tests fail, never skip, when PostgreSQL or
 * pgvector is missing; bin/install-pgvector.sh (run by .ci/run) installs the extension.
 */
class PgVectorIndexTest {

    static final String ADMIN_URL = System.getProperty("tokenrt.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final Instant LATER = NOW.plusSeconds(3600);

    static String database;
    static String url;

    @BeforeAll
    static void createDatabase() {
        database = "tokenrt_pgv_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + ADMIN_URL + " (" + e.getMessage()
                    + "). These tests do not skip: start PostgreSQL 15+ on 127.0.0.1:5432 with trust auth for user "
                    + "'postgres' (CI does), or point -Dtokenrt.test.postgres at one.", e);
        }
        int q = ADMIN_URL.indexOf('?');
        String base = ADMIN_URL.substring(0, q < 0 ? ADMIN_URL.length() : q);
        url = base.substring(0, base.lastIndexOf('/') + 1) + database + (q < 0 ? "" : ADMIN_URL.substring(q));
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    static PgVectorIndex index() {
        return PgVectorIndex.connect(url, "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10), 4);
    }

    @Test
    void nearestWithinThePartitionOnlyWithCosineScores() {
        Random r = new Random(1);
        float[] q = unit(r, 384);
        try (PgVectorIndex index = index()) {
            assertThat(index.search("ns:a", q, 2, NOW)).isEmpty(); // no table yet
            index.add("ns:a", "a-close", near(q, 0.9, r), LATER);
            index.add("ns:a", "a-far", near(q, 0.5, r), LATER);
            index.add("ns:b", "b-closest", near(q, 0.99, r), LATER);
            List<Neighbour> found = index.search("ns:a", q, 2, NOW);
            assertThat(found).extracting(Neighbour::id).containsExactly("a-close", "a-far");
            assertThat((double) found.get(0).score()).isCloseTo(0.9, within(1e-4));
            assertThat((double) found.get(1).score()).isCloseTo(0.5, within(1e-4));
            assertThat(index.size()).isEqualTo(3);
        }
    }

    @Test
    void aSmallPartitionInALargeTableGetsItsTrueNeighbours() {
        Random r = new Random(2);
        float[] q = unit(r, 64);
        try (PgVectorIndex index = index()) {
            for (int i = 0; i < 2000; i++) {
                index.add("big", "big-" + i, near(q, 0.95, r), LATER);
            }
            index.add("small", "small-1", near(q, 0.3, r), LATER);
            index.add("small", "small-2", near(q, 0.6, r), LATER);
            assertThat(index.search("small", q, 5, NOW)).extracting(Neighbour::id).containsExactly("small-2", "small-1");
        }
    }

    @Test
    void expiryReplaceRemoveAndNamespaces() {
        Random r = new Random(3);
        float[] q = unit(r, 32);
        try (PgVectorIndex index = index()) {
            index.add("team_1:ctx", "old", near(q, 0.99, r), NOW.plusSeconds(10));
            index.add("team_1:ctx", "new", near(q, 0.2, r), LATER);
            index.add("team_1:ctx", "new", near(q, 0.7, r), LATER); // replaced
            index.add("teamX1:ctx", "other", q, LATER);             // '_' in the prefix is not a wildcard
            assertThat(index.search("team_1:ctx", q, 5, NOW)).extracting(Neighbour::id).containsExactly("old", "new");
            assertThat(index.search("team_1:ctx", q, 5, NOW.plusSeconds(10))).extracting(Neighbour::id)
                    .containsExactly("new");
            assertThat((double) index.search("team_1:ctx", q, 5, NOW.plusSeconds(10)).get(0).score())
                    .isCloseTo(0.7, within(1e-4));
            assertThat(index.sweep(NOW.plusSeconds(10))).isEqualTo(1);
            assertThat(index.size()).isEqualTo(2);
            assertThat(index.removePartitions("team_1:")).isEqualTo(1);
            assertThat(index.search("teamX1:ctx", q, 5, NOW)).extracting(Neighbour::id).containsExactly("other");
            assertThat(index.remove("other")).isTrue();
            assertThat(index.remove("other")).isFalse();
            assertThat(index.size()).isZero();
        }
    }

    @Test
    void twoDimensionsAndTwoReplicasShareTheIndex() throws Exception {
        Random r = new Random(4);
        String prefix = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (PgVectorIndex a = PgVectorIndex.connect(url, prefix, 4);
             PgVectorIndex b = PgVectorIndex.connect(url, prefix, 4)) {
            // Replicas creating the same tables at once: the advisory lock keeps the DDL from racing.
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    PgVectorIndex replica = t % 2 == 0 ? a : b;
                    int thread = t;
                    jobs.add(pool.submit(() -> {
                        Random tr = new Random(thread);
                        for (int i = 0; i < 25; i++) {
                            replica.add("p", "d384-" + thread + "-" + i, unit(tr, 384), LATER);
                            replica.add("p", "d512-" + thread + "-" + i, unit(tr, 512), LATER);
                        }
                    }));
                }
                for (Future<?> f : jobs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            assertThat(a.size()).isEqualTo(200);
            float[] q = unit(r, 512);
            a.add("p", "mine", q, LATER);
            assertThat(b.search("p", q, 1, NOW)).extracting(Neighbour::id).containsExactly("mine");
            assertThatThrownBy(() -> a.add("p", "bad", new float[] {3, 4}, LATER))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unit length");
            assertThatThrownBy(() -> PgVectorIndex.connect(url, "Bad-Name", 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void versionsAreCompared() {
        assertThat(PgVectorIndex.atLeast("0.8.0", 0, 8)).isTrue();
        assertThat(PgVectorIndex.atLeast("0.7.4", 0, 8)).isFalse();
        assertThat(PgVectorIndex.atLeast("1.0", 0, 8)).isTrue();
    }
}
