package dev.tokenrt.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A throw-away PostgreSQL database for one test class, with a fresh schema per test, on the server named by
 * {@code -Dtokenrt.test.postgres=jdbc:postgresql://host:port/db?user=...} (default 127.0.0.1:5432, user postgres,
 * database test). When the server cannot be reached the tests fail; they never skip, since CI starts PostgreSQL.
 */
public final class PostgresScratch {

    public static final String ADMIN_URL = System.getProperty("tokenrt.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private final String database;

    private PostgresScratch(String database) {
        this.database = database;
    }

    /** Creates a database named {@code prefix} + 12 random characters. */
    public static PostgresScratch createDatabase(String prefix) {
        String name = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + ADMIN_URL + " (" + e.getMessage()
                    + "). These tests do not skip: start PostgreSQL 15+ on 127.0.0.1:5432 with trust auth for user "
                    + "'postgres' and a database 'test' (CI does), or point -Dtokenrt.test.postgres at one.", e);
        }
        return new PostgresScratch(name);
    }

    public void drop() throws SQLException {
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    /** Creates a schema named {@code prefix} + 10 random characters in the database and returns its name. */
    public String newSchema(String prefix) throws SQLException {
        String schema = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(databaseUrl()); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        return schema;
    }

    /** The JDBC URL of the database (the admin URL's parameters kept). */
    public String databaseUrl() {
        int q = ADMIN_URL.indexOf('?');
        String base = q < 0 ? ADMIN_URL : ADMIN_URL.substring(0, q);
        String params = q < 0 ? "" : ADMIN_URL.substring(q);
        return base.substring(0, base.lastIndexOf('/') + 1) + database + params;
    }

    /** The JDBC URL of one schema of the database. */
    public String schemaUrl(String schema) {
        String db = databaseUrl();
        return db + (db.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
