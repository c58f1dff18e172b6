package dev.tokenrt.cache.semantic.pgvector;

import static dev.tokenrt.cache.semantic.TestVectors.unit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.cache.semantic.VectorIndex;
import dev.tokenrt.cache.semantic.VectorIndex.Neighbour;
import dev.tokenrt.cache.semantic.VectorIndexContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
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
 * The contract and replicas sharing the index, on pgvector in the real PostgreSQL on {@code -Dtokenrt.test.postgres} (default 127.0.0.1:5432, user postgres), in a
 * scratch database with a random name, a fresh table prefix per test. The tests fail, never skip, when PostgreSQL or
 * pgvector is missing; bin/install-pgvector.sh (run by .ci/run) installs the extension.
 */
class PgVectorIndexTest extends VectorIndexContract {

    static final String ADMIN_URL = System.getProperty("tokenrt.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

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

    /** A fresh table prefix: an empty index in the shared scratch database. */
    @Override
    protected VectorIndex newIndex() {
        return PgVectorIndex.connect(url, "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10), 4);
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
