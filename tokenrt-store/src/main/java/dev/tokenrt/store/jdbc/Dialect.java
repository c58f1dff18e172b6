package dev.tokenrt.store.jdbc;

import java.util.Locale;

/**
 * The two SQL engines the store runs on (the usage ledger and the budget counters share them); picked from
 * the JDBC URL. Public for the store's own packages only: it is not an API for users of Token Runtime.
 */
public enum Dialect {
    SQLITE("sqlite"),
    POSTGRESQL("postgresql");

    private final String folder;

    Dialect(String folder) {
        this.folder = folder;
    }

    /** Where this dialect's Flyway migrations live on the class path. */
    public String migrationLocation() {
        return "classpath:db/migration/" + folder;
    }

    public static Dialect of(String jdbcUrl) {
        String url = jdbcUrl.trim().toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:sqlite:")) {
            String target = url.substring("jdbc:sqlite:".length());
            if (target.isEmpty() || target.startsWith(":memory:") || target.contains("mode=memory")) {
                // Every pooled connection would see its own empty database: the store needs a file.
                throw new IllegalArgumentException("the SQLite store needs a database file, e.g. "
                        + "jdbc:sqlite:/var/lib/tokenrt/tokenrt.db; in-memory databases are not supported");
            }
            return SQLITE;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported database URL (expected jdbc:sqlite:<file> or "
                + "jdbc:postgresql://host/db): " + redact(jdbcUrl));
    }

    /** A URL for error messages: everything after '?' may hold a password, so it is cut. */
    public static String redact(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        return q < 0 ? jdbcUrl : jdbcUrl.substring(0, q) + "?…";
    }
}
