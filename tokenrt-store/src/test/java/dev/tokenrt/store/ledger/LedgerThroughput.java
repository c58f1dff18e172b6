package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Sustained write throughput of the ledger: one thread appends {@code rows} rows as fast as
 * {@code append} accepts them (back-pressure set to wait, so nothing is dropped) and the clock stops when
 * {@code close()} has committed the last one. Prints rows/s for SQLite and for PostgreSQL.
 *
 * <p>Arguments: {@code [rows=300000] [postgres-admin-url]}.
 */
public final class LedgerThroughput {

    private LedgerThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        String admin = args.length > 1 ? args[1] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        List<LedgerEntry> templates = Fixtures.traffic("tpl", 1_024, 5);
        LedgerOptions opts = LedgerOptions.defaults().withEnqueueTimeout(Duration.ofMinutes(5));

        Path dir = Files.createTempDirectory("tokenrt-throughput-");
        report("SQLite (WAL, synchronous=NORMAL)", "jdbc:sqlite:" + dir.resolve("ledger.db"), opts, templates, rows);

        String db = "tokenrt_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(admin); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
        }
        try {
            int q = admin.indexOf('?');
            String base = admin.substring(0, q < 0 ? admin.length() : q);
            String url = base.substring(0, base.lastIndexOf('/') + 1) + db + (q < 0 ? "" : admin.substring(q));
            report("PostgreSQL", url, opts, templates, rows);
        } finally {
            try (Connection c = DriverManager.getConnection(admin); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            }
        }
    }

    private static void report(String engine, String url, LedgerOptions opts, List<LedgerEntry> templates, int rows) {
        Instant base = Instant.parse("2025-03-10T00:00:00Z");
        JdbcUsageLedger ledger = JdbcUsageLedger.open(url, opts);
        long start = System.nanoTime();
        for (int i = 0; i < rows; i++) {
            // Spread over 30 days, about 10k rows a day, like a busy gateway's history.
            ledger.append(Fixtures.with(templates.get(i % templates.size()), "t-" + i,
                    base.plusMillis(i * 8_640L)));
        }
        long appended = System.nanoTime();
        ledger.close();
        long done = System.nanoTime();
        LedgerStats s = ledger.stats();
        if (s.written() != rows) {
            throw new IllegalStateException(engine + ": wrote " + s.written() + " of " + rows + ": " + s);
        }
        System.out.printf("| %s | %,d | %.2f | %,.0f |%n", engine, rows, (done - start) / 1e9,
                rows / ((done - start) / 1e9));
        System.err.printf("%s: appends returned after %.2f s, last commit after %.2f s%n", engine,
                (appended - start) / 1e9, (done - start) / 1e9);
    }
}
