package dev.tokenrt.store.ledger;

import static dev.tokenrt.store.ledger.Fixtures.DAY0;
import static dev.tokenrt.store.ledger.Fixtures.DAY1;
import static dev.tokenrt.store.ledger.Fixtures.DAY2;
import static dev.tokenrt.store.ledger.Fixtures.DAY3;
import static dev.tokenrt.store.ledger.ReferenceReport.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.ledger.UsageQuery.Dimension;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.ledger.UsageReport.Totals;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link JdbcUsageLedger} engine must show, run once per engine by its subclasses
 * against a real database: a SQLite file and a PostgreSQL server.
 */
abstract class UsageLedgerContract {

    static final Duration WAIT = Duration.ofSeconds(60);
    static final Instant ALL_FROM = DAY0.minus(Duration.ofDays(365));
    static final Instant ALL_TO = DAY3.plus(Duration.ofDays(365));

    /** A JDBC URL of an empty ledger database for this test (a fresh schema or file). */
    abstract String url();

    /** Opens a plain JDBC connection to the same database as {@link #url()}. */
    Connection jdbc() throws SQLException {
        return DriverManager.getConnection(url());
    }

    /** Holds a lock that stops the ledger's writer from committing until the returned handle is closed. */
    abstract AutoCloseable blockWriter(Connection c) throws SQLException;

    /** Whether the engine stores a NUL character in text (SQLite does; PostgreSQL refuses it). */
    abstract boolean storesNulInText();

    /** Options of the ledger under test; subclasses may shorten timeouts. */
    LedgerOptions options() {
        return LedgerOptions.defaults();
    }

    JdbcUsageLedger open() {
        return JdbcUsageLedger.open(url(), options());
    }

    JdbcUsageLedger open(LedgerOptions opts) {
        return JdbcUsageLedger.open(url(), opts);
    }

    static JdbcUsageLedger fill(JdbcUsageLedger ledger, List<LedgerEntry> rows) {
        rows.forEach(ledger::append);
        assertThat(ledger.flush(WAIT)).as("flush").isTrue();
        return ledger;
    }

    // ---- round trip ----

    @Test
    void storesEveryFieldAndReadsItBackUnchanged() {
        Usage usage = new Usage(12_345, 2_345, 4_000, 1_000, 500, 700, UsageSource.PROVIDER, UsageSource.ESTIMATED);
        LedgerEntry full = new LedgerEntry("req_01J8ZK3V5Q", Instant.parse("2025-03-10T10:15:30.123456789Z"),
                new Attribution("vk_live_42", "alice@example.com", "support-bot", "growth", "sess-9f2",
                        List.of("prod", "chat", "é-unicode ✓")),
                "anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514", usage, 123_456_789L,
                CacheOutcome.SEMANTIC, 98_765_432L, "fallback:gpt-4o-mini;degrade:max_tokens=512", true, 499,
                "client_closed", 15_250, 312, 6_789, 1_234);
        LedgerEntry bare = new LedgerEntry("req_bare", Instant.parse("1999-12-31T23:59:59Z"), Attribution.NONE,
                "fake", "m", "m", Usage.NONE, 0, CacheOutcome.BYPASS, 0, "", false, 200, "", 0, -1);
        LedgerEntry negativeTime = Fixtures.with(bare, "req_1960", Instant.parse("1960-06-01T12:34:56.5Z"));
        try (JdbcUsageLedger ledger = fill(open(), List.of(full, bare, negativeTime))) {
            assertThat(ledger.find("req_01J8ZK3V5Q")).contains(full);
            assertThat(ledger.find("req_bare")).contains(bare);
            assertThat(ledger.find("req_1960")).contains(negativeTime);
            assertThat(ledger.find("nope")).isEmpty();
            assertThat(ledger.entries(ALL_FROM.minus(Duration.ofDays(30_000)), ALL_TO, 10))
                    .containsExactly(negativeTime, bare, full);
            assertThat(ledger.entries(DAY0, DAY1, 10)).containsExactly(full);
            assertThat(ledger.entries(ALL_FROM.minus(Duration.ofDays(30_000)), ALL_TO, 1))
                    .containsExactly(negativeTime);
        }
    }

    @Test
    void tagsAreASetInTheirFirstOrder() {
        LedgerEntry e = Fixtures.traffic("t", 1, 1).getFirst();
        LedgerEntry tagged = new LedgerEntry(e.requestId(), e.time(), new Attribution("k", "u", "p", "t", "s",
                List.of("zeta", "alpha", "zeta", "mid")), e.provider(), e.modelRequested(), e.modelServed(), e.usage(),
                e.costNanos(), e.cache(), e.savedCostNanos(), e.route(), e.stream(), e.status(), e.errorType(),
                e.latencyMillis(), e.firstChunkMillis());
        try (JdbcUsageLedger ledger = fill(open(), List.of(tagged))) {
            assertThat(ledger.find(e.requestId()).orElseThrow().attribution().tags())
                    .containsExactly("zeta", "alpha", "mid");
            UsageReport byTag = ledger.query(query(ALL_FROM, ALL_TO, Dimension.TAG));
            assertThat(byTag.rows()).hasSize(3).allSatisfy(r -> assertThat(r.totals().requests()).isEqualTo(1));
            assertThat(byTag.totals().requests()).isEqualTo(1);
        }
    }

    // ---- reports ----

    @Test
    void smallReportHasHandComputedFigures() {
        Instant t = Instant.parse("2025-03-10T09:30:00Z");
        LedgerEntry a = new LedgerEntry("a", t, new Attribution("k1", "alice", "p", "team", "s1", List.of("x")),
                "openai", "gpt-4o-mini", "gpt-4o-mini", new Usage(1_000, 200, 400, 0, 0, 50, UsageSource.PROVIDER,
                        UsageSource.PROVIDER), 270_000, CacheOutcome.MISS, 0, "", false, 200, "", 900, 120);
        LedgerEntry b = new LedgerEntry("b", t.plusSeconds(3_600), new Attribution("k1", "bob", "p", "team", "s2",
                List.of()), "openai", "gpt-4o-mini", "gpt-4o-mini", Usage.NONE, 0, CacheOutcome.HIT, 270_000, "", false,
                200, "", 3, 3, 1_000, 25);
        LedgerEntry c = new LedgerEntry("c", t.plusSeconds(7_200), new Attribution("k2", "alice", "p", "team", "s1",
                List.of("x", "y")), "anthropic", "claude", "claude-sonnet-4", new Usage(5_000, 100, 0, 3_000, 1_000,
                        0, UsageSource.PROVIDER, UsageSource.PROVIDER), 1_500_000, CacheOutcome.BYPASS, 0, "", true,
                529, "overloaded_error", 400, -1);
        try (JdbcUsageLedger ledger = fill(open(), List.of(a, b, c))) {
            UsageReport byUser = ledger.query(query(DAY0, DAY1, Dimension.USER));
            Totals alice = new Totals(2, 1, 6_000, 300, 400, 4_000, 50, 1_770_000, 0, 0);
            Totals bob = new Totals(1, 0, 0, 0, 0, 0, 0, 0, 1, 270_000, 1_000, 25);
            assertThat(byUser.rows()).containsExactly(
                    new UsageReport.Row(Map.of("user", "alice"), alice),
                    new UsageReport.Row(Map.of("user", "bob"), bob));
            assertThat(byUser.totals()).isEqualTo(new Totals(3, 1, 6_000, 300, 400, 4_000, 50, 1_770_000, 1,
                    270_000, 1_000, 25));

            UsageReport byHour = ledger.query(query(DAY0, DAY1, Dimension.HOUR));
            assertThat(byHour.rows()).extracting(r -> r.group().get("hour")).containsExactly(
                    "2025-03-10T11:00:00Z", "2025-03-10T09:00:00Z", "2025-03-10T10:00:00Z");

            UsageReport byTag = ledger.query(query(DAY0, DAY1, Dimension.TAG));
            assertThat(byTag.rows()).extracting(r -> r.group().get("tag"), r -> r.totals().requests())
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("x", 2L),
                            org.assertj.core.groups.Tuple.tuple("y", 1L),
                            org.assertj.core.groups.Tuple.tuple("", 1L));
            assertThat(byTag.totals().requests()).isEqualTo(3);

            UsageReport byDayModel = ledger.query(query(DAY0, DAY1, Dimension.DAY, Dimension.MODEL));
            assertThat(byDayModel.rows()).extracting(UsageReport.Row::group).containsExactly(
                    Map.of("day", "2025-03-10T00:00:00Z", "model", "claude-sonnet-4"),
                    Map.of("day", "2025-03-10T00:00:00Z", "model", "gpt-4o-mini"));

            assertThat(ledger.query(query(DAY1, DAY2)).rows())
                    .containsExactly(new UsageReport.Row(Map.of(), Totals.ZERO));
        }
    }

    @Test
    void groupsByEveryDimensionAndPairOfDimensionsLikeTheReference() {
        List<LedgerEntry> rows = Fixtures.traffic("g", 600, 42);
        Instant from = DAY0.plus(Duration.ofMinutes(197));
        Instant to = DAY2.plus(Duration.ofMinutes(451));
        try (JdbcUsageLedger ledger = fill(open(), rows)) {
            List<List<Dimension>> groupings = new ArrayList<>();
            groupings.add(List.of());
            for (Dimension d : Dimension.values()) {
                groupings.add(List.of(d));
                for (Dimension e : Dimension.values()) {
                    if (e.ordinal() > d.ordinal()) {
                        groupings.add(List.of(d, e));
                    }
                }
            }
            groupings.add(List.of(Dimension.TAG, Dimension.USER, Dimension.HOUR));
            groupings.add(List.of(Dimension.DAY, Dimension.SESSION, Dimension.KEY, Dimension.PROVIDER));
            groupings.add(List.of(Dimension.MODEL, Dimension.MODEL));
            for (List<Dimension> g : groupings) {
                for (Instant[] bounds : new Instant[][] {{from, to}, {ALL_FROM, ALL_TO}}) {
                    UsageQuery q = new UsageQuery(g, bounds[0], bounds[1]);
                    assertThat(ledger.query(q)).as("%s", q).isEqualTo(ReferenceReport.of(rows, q));
                }
            }
            UsageReport byModel = ledger.query(query(from, to, Dimension.MODEL));
            assertThat(byModel.rows()).hasSize(4);
            assertThat(byModel.totals().requests()).isBetween(300L, 600L);
            assertThat(byModel.rows()).isSortedAccordingTo(
                    (x, y) -> Long.compare(y.totals().costNanos(), x.totals().costNanos()));
        }
    }

    @Test
    void rollupAndRawRowsGiveIdenticalReports() {
        List<LedgerEntry> rows = Fixtures.traffic("r", 800, 7);
        EnumSet<Dimension> kept = EnumSet.of(Dimension.MODEL, Dimension.PROVIDER, Dimension.USER, Dimension.PROJECT,
                Dimension.TEAM, Dimension.KEY, Dimension.DAY);
        List<Dimension> keptList = List.copyOf(kept);
        try (JdbcUsageLedger ledger = fill(open(), rows)) {
            int compared = 0;
            for (int mask = 0; mask < 1 << keptList.size(); mask++) {
                List<Dimension> g = new ArrayList<>();
                for (int i = 0; i < keptList.size(); i++) {
                    if ((mask & 1 << i) != 0) {
                        g.add(keptList.get(i));
                    }
                }
                for (Instant[] bounds : new Instant[][] {{DAY0, DAY3}, {DAY1, DAY2}, {DAY0.minus(Duration.ofDays(9)),
                        DAY2}}) {
                    UsageQuery q = new UsageQuery(g, bounds[0], bounds[1]);
                    assertThat(ledger.answersFromRollup(q)).isTrue();
                    UsageReport rollup = ledger.query(q, Reports.Source.ROLLUP);
                    UsageReport raw = ledger.query(q, Reports.Source.RAW);
                    assertThat(rollup).as("%s", q).isEqualTo(raw).isEqualTo(ReferenceReport.of(rows, q));
                    assertThat(ledger.query(q)).isEqualTo(rollup);
                    compared++;
                }
            }
            assertThat(compared).isEqualTo(128 * 3);
            assertThat(ledger.answersFromRollup(query(DAY0, DAY3, Dimension.HOUR))).isFalse();
            assertThat(ledger.answersFromRollup(query(DAY0, DAY3, Dimension.TAG))).isFalse();
            assertThat(ledger.answersFromRollup(query(DAY0, DAY3, Dimension.SESSION, Dimension.DAY))).isFalse();
            assertThat(ledger.answersFromRollup(query(DAY0, DAY3.plusMillis(1), Dimension.MODEL))).isFalse();
        }
    }

    // ---- writes ----

    @Test
    void flushMakesEarlierAppendsVisibleToOtherConnections() throws SQLException {
        // A one-hour interval: only the flush marker can make the writer commit this batch.
        LedgerOptions slow = options().withFlushInterval(Duration.ofHours(1));
        List<LedgerEntry> rows = Fixtures.traffic("f", 500, 3);
        try (JdbcUsageLedger ledger = open(slow)) {
            assertThat(ledger.flush(WAIT)).as("flush of nothing").isTrue();
            rows.forEach(ledger::append);
            assertThat(ledger.flush(WAIT)).isTrue();
            assertThat(countRequests()).isEqualTo(500);
            try (JdbcUsageLedger other = open()) {
                assertThat(other.query(query(ALL_FROM, ALL_TO)).totals()).isEqualTo(ReferenceReport.sum(rows));
            }
        }
    }

    @Test
    void closeWritesEverythingAppendedBeforeIt() {
        List<LedgerEntry> rows = Fixtures.traffic("c", 300, 5);
        JdbcUsageLedger ledger = open(options().withFlushInterval(Duration.ofHours(1)));
        rows.forEach(ledger::append);
        ledger.close();
        ledger.close(); // idempotent
        try (JdbcUsageLedger reopened = open()) {
            assertThat(reopened.query(query(ALL_FROM, ALL_TO)).totals()).isEqualTo(ReferenceReport.sum(rows));
        }
        assertThat(ledger.stats().written()).isEqualTo(300);
        ledger.append(rows.getFirst());
        assertThat(ledger.droppedCount()).as("append after close is dropped and counted").isEqualTo(1);
        assertThat(ledger.flush(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void concurrentAppendersLoseNothing() throws Exception {
        int threads = 4;
        int perThread = 10_000;
        LedgerOptions blocking = options().withEnqueueTimeout(Duration.ofMinutes(5)).withQueueCapacity(4_096);
        List<LedgerEntry> all = new ArrayList<>();
        JdbcUsageLedger ledger = open(blocking);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<LedgerEntry> mine = Fixtures.traffic("thread" + t, perThread, 100 + t);
                all.addAll(mine);
                done.add(pool.submit(() -> mine.forEach(ledger::append)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        ledger.close();
        assertThat(ledger.stats()).isEqualTo(new LedgerStats(40_000, 40_000, 0, 0, 0, 0));
        try (JdbcUsageLedger reopened = open()) {
            assertThat(reopened.query(query(ALL_FROM, ALL_TO)).totals()).isEqualTo(ReferenceReport.sum(all));
            UsageQuery byDayUser = query(DAY0, DAY3, Dimension.DAY, Dimension.USER);
            assertThat(reopened.query(byDayUser)).isEqualTo(ReferenceReport.of(all, byDayUser));
        }
    }

    @Test
    void repeatedRequestIdsAreStoredOnce() {
        List<LedgerEntry> rows = Fixtures.traffic("d", 20, 9);
        try (JdbcUsageLedger ledger = open()) {
            rows.forEach(ledger::append);
            ledger.append(rows.get(3)); // same batch, most likely
            assertThat(ledger.flush(WAIT)).isTrue();
            ledger.append(Fixtures.with(rows.get(5), rows.get(5).requestId(), DAY2)); // later batch, other day
            assertThat(ledger.flush(WAIT)).isTrue();
            assertThat(ledger.stats().written()).isEqualTo(20);
            assertThat(ledger.stats().duplicates()).isEqualTo(2);
            assertThat(ledger.query(query(DAY0, DAY3), Reports.Source.ROLLUP).totals())
                    .isEqualTo(ReferenceReport.sum(rows));
            assertThat(ledger.find(rows.get(5).requestId())).contains(rows.get(5));
        }
    }

    @Test
    void fullQueueDropsRowsLoudlyAndCountsThem() throws Exception {
        int capacity = 8;
        int batch = 4;
        LedgerOptions tiny = options().withQueueCapacity(capacity).withBatchSize(batch)
                .withEnqueueTimeout(Duration.ZERO);
        List<LedgerEntry> rows = Fixtures.traffic("q", 200, 11);
        JdbcUsageLedger ledger = open(tiny);
        try (Connection c = jdbc()) {
            AutoCloseable lock = blockWriter(c);
            try {
                rows.forEach(ledger::append);
                assertThat(ledger.flush(Duration.ofMillis(200))).as("flush while the writer is blocked").isFalse();
            } finally {
                lock.close();
            }
            assertThat(ledger.flush(WAIT)).isTrue();
        }
        ledger.close();
        LedgerStats s = ledger.stats();
        long stored;
        try (JdbcUsageLedger reopened = open()) {
            stored = reopened.query(query(ALL_FROM, ALL_TO)).totals().requests();
        }
        assertThat(s.dropped()).as("dropped while blocked").isGreaterThanOrEqualTo(200 - capacity - batch);
        assertThat(stored + s.dropped()).isEqualTo(200);
        assertThat(s.written()).isEqualTo(stored);
        assertThat(s.accepted()).isEqualTo(stored);
        assertThat(s.failed()).isZero();
    }

    @Test
    void aRowTheDatabaseRejectsDoesNotTakeItsBatchWithIt() {
        List<LedgerEntry> rows = new ArrayList<>(Fixtures.traffic("n", 9, 13));
        rows.add(4, Fixtures.withUser(rows.get(4), "n-nul", "bad\u0000user"));
        try (JdbcUsageLedger ledger = fill(open(), rows)) {
            long expected = storesNulInText() ? 10 : 9;
            assertThat(ledger.stats().written()).isEqualTo(expected);
            assertThat(ledger.stats().failed()).isEqualTo(10 - expected);
            assertThat(ledger.query(query(ALL_FROM, ALL_TO)).totals().requests()).isEqualTo(expected);
            assertThat(ledger.find("n-nul").isPresent()).isEqualTo(storesNulInText());
        }
    }

    // ---- retention and restart ----

    @Test
    void retentionDeletesOldRawRowsAndTagsButKeepsRollups() throws SQLException {
        List<LedgerEntry> rows = Fixtures.traffic("ret", 900, 21);
        List<LedgerEntry> kept = rows.stream().filter(e -> !e.time().isBefore(DAY2)).toList();
        try (JdbcUsageLedger ledger = fill(open(options().withBatchSize(97)), rows)) {
            int deleted = ledger.deleteOlderThan(DAY2);
            assertThat(deleted).isEqualTo(rows.size() - kept.size()).isGreaterThan(500);
            assertThat(ledger.deleteOlderThan(DAY2)).isZero();

            assertThat(ledger.entries(ALL_FROM, ALL_TO, 10_000)).hasSize(kept.size())
                    .allSatisfy(e -> assertThat(e.time()).isAfterOrEqualTo(DAY2));
            UsageQuery rawByTag = query(ALL_FROM, ALL_TO, Dimension.TAG, Dimension.HOUR);
            assertThat(ledger.query(rawByTag)).isEqualTo(ReferenceReport.of(kept, rawByTag));
            long keptTags = kept.stream().mapToLong(e -> e.attribution().tags().size()).sum();
            try (Connection c = jdbc(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM request_tags")) {
                rs.next();
                assertThat(rs.getLong(1)).as("tag rows left").isEqualTo(keptTags);
            }

            UsageQuery rollupByDay = query(DAY0, DAY3, Dimension.DAY, Dimension.MODEL);
            assertThat(ledger.answersFromRollup(rollupByDay)).isTrue();
            assertThat(ledger.query(rollupByDay)).isEqualTo(ReferenceReport.of(rows, rollupByDay));
        }
    }

    @Test
    void reopeningKeepsRowsAndDoesNotMigrateTwice() throws SQLException {
        List<LedgerEntry> first = Fixtures.traffic("one", 100, 31);
        List<LedgerEntry> second = Fixtures.traffic("two", 50, 32);
        try (JdbcUsageLedger ledger = open()) {
            first.forEach(ledger::append);
        }
        try (JdbcUsageLedger ledger = open()) {
            assertThat(ledger.entries(ALL_FROM, ALL_TO, 1_000)).hasSize(100);
            fill(ledger, second);
        }
        try (JdbcUsageLedger ledger = open()) {
            List<LedgerEntry> all = new ArrayList<>(first);
            all.addAll(second);
            UsageQuery q = query(DAY0, DAY3, Dimension.PROJECT);
            assertThat(ledger.query(q)).isEqualTo(ReferenceReport.of(all, q));
        }
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT COUNT(*), COUNT(DISTINCT version), SUM(CASE WHEN success THEN 1 ELSE 0 END)"
                        + " FROM flyway_schema_history WHERE version IS NOT NULL")) {
            rs.next();
            // The folder holds other stores' migrations too (counters, virtual keys, budgets): each once, all fine.
            long applied = rs.getLong(1);
            assertThat(applied).as("migrations applied").isGreaterThanOrEqualTo(3);
            assertThat(rs.getLong(2)).as("distinct versions").isEqualTo(applied);
            assertThat(rs.getLong(3)).as("successful migrations").isEqualTo(applied);
        }
    }

    long countRequests() throws SQLException {
        try (Connection c = jdbc(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM requests")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
