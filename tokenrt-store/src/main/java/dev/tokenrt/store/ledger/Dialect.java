package dev.tokenrt.store.ledger;

import java.util.Locale;

/** The two engines the ledger runs on; picked from the JDBC URL. Only migrations differ between them. */
enum Dialect {
    SQLITE("sqlite"),
    POSTGRESQL("postgresql");

    private final String folder;

    Dialect(String folder) {
        this.folder = folder;
    }

    /** Where this dialect's Flyway migrations live on the class path. */
    String migrationLocation() {
        return "classpath:db/migration/" + folder;
    }

    static Dialect of(String jdbcUrl) {
        String url = jdbcUrl.trim().toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:sqlite:")) {
            String target = url.substring("jdbc:sqlite:".length());
            if (target.isEmpty() || target.startsWith(":memory:") || target.contains("mode=memory")) {
                // Every pooled connection would see its own empty database: the ledger needs a file.
                throw new IllegalArgumentException("the SQLite ledger needs a database file, e.g. "
                        + "jdbc:sqlite:/var/lib/tokenrt/tokenrt.db; in-memory databases are not supported");
            }
            return SQLITE;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported ledger URL (expected jdbc:sqlite:<file> or "
                + "jdbc:postgresql://host/db): " + redact(jdbcUrl));
    }

    /** A URL for error messages: everything after '?' may hold a password, so it is cut. */
    static String redact(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        return q < 0 ? jdbcUrl : jdbcUrl.substring(0, q) + "?…";
    }
}
