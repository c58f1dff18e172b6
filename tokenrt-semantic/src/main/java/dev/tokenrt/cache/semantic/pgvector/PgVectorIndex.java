package dev.tokenrt.cache.semantic.pgvector;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenrt.cache.semantic.VectorIndex;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.postgresql.util.PGobject;

/**
 * The distributed vector index: pgvector in PostgreSQL, shared by every gateway replica.
 *
 * <p>One table per vector dimension ({@code <name>_384}, {@code <name>_512}), since a pgvector column and its HNSW
 * index have one dimension; each has the entry id as primary key, the partition, the vector and the expiry, an HNSW
 * index for inner product (vectors are unit length, so it is the cosine) and a B-tree on the partition. Tables and
 * the {@code vector} extension are created on first use ({@code CREATE EXTENSION IF NOT EXISTS vector}), under an
 * advisory lock so replicas starting together do not race.
 *
 * <p><b>Filtered search.</b> A search is {@code ORDER BY embedding <#> query} within the partition and among
 * entries not expired. With pgvector 0.8 or newer, iterative index scans ({@code hnsw.iterative_scan =
 * strict_order}) keep scanning the graph until enough rows pass the filter, so a small partition in a big table
 * still gets its neighbours; PostgreSQL's planner may also pick the partition's B-tree and sort exactly, which is
 * right for small partitions.
 */
public final class PgVectorIndex implements VectorIndex {

    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,40}");

    private final DataSource dataSource;
    private final HikariDataSource owned;
    private final String table;
    private final Set<Integer> ready = ConcurrentHashMap.newKeySet();
    private volatile Boolean iterativeScans;

    /**
     * An index over a data source the caller owns (and closes).
     *
     * @param table the prefix of the index's table names (lower-case letters, digits, underscores)
     * @throws IllegalStateException when pgvector is not installed in the server
     */
    public PgVectorIndex(DataSource dataSource, String table) {
        this(dataSource, null, table);
    }

    private PgVectorIndex(DataSource dataSource, HikariDataSource owned, String table) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.owned = owned;
        this.table = Objects.requireNonNull(table, "table");
        if (!NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("table name must match " + NAME + ", got '" + table + "'");
        }
        createExtension();
    }

    /** An index over its own connection pool to {@code jdbcUrl}, closed with the index; tables {@code tokenrt_semantic_*}. */
    public static PgVectorIndex connect(String jdbcUrl) {
        return connect(jdbcUrl, "tokenrt_semantic", 8);
    }

    /** An index over its own pool of at most {@code poolSize} connections to {@code jdbcUrl}, closed with the index. */
    public static PgVectorIndex connect(String jdbcUrl, String table, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(Objects.requireNonNull(jdbcUrl, "jdbcUrl"));
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("tokenrt-pgvector");
        HikariDataSource pool = new HikariDataSource(config);
        try {
            return new PgVectorIndex(pool, pool, table);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private void createExtension() {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS vector");
            try (ResultSet rs = st.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'vector'")) {
                rs.next();
                iterativeScans = atLeast(rs.getString(1), 0, 8);
            }
        } catch (SQLException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("vector.control") || msg.contains("extension \"vector\" is not available")
                    || "0A000".equals(e.getSQLState()) || "58P01".equals(e.getSQLState())) {
                throw new IllegalStateException("pgvector is not installed in this PostgreSQL server (" + msg.strip()
                        + "). Install it: on Debian 12 run bin/install-pgvector.sh as root (it builds Debian's "
                        + "source package); elsewhere install the postgresql-NN-pgvector package.", e);
            }
            throw new IllegalStateException("cannot enable pgvector: " + msg, e);
        }
    }

    static boolean atLeast(String version, int major, int minor) {
        String[] p = version.split("\\.");
        int ma = Integer.parseInt(p[0]);
        int mi = p.length > 1 ? Integer.parseInt(p[1]) : 0;
        return ma > major || (ma == major && mi >= minor);
    }

    private String tableFor(int dimension) {
        return table + "_" + dimension;
    }

    private void ensureTable(int dimension) {
        if (ready.contains(dimension)) {
            return;
        }
        String t = tableFor(dimension);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(hashtext('" + t + "'))");
                st.execute("CREATE TABLE IF NOT EXISTS " + t + " (id text PRIMARY KEY, partition text NOT NULL, "
                        + "embedding vector(" + dimension + ") NOT NULL, expires_at timestamptz NOT NULL)");
                st.execute("CREATE INDEX IF NOT EXISTS " + t + "_hnsw ON " + t + " USING hnsw (embedding vector_ip_ops)");
                st.execute("CREATE INDEX IF NOT EXISTS " + t + "_partition ON " + t
                        + " (partition text_pattern_ops, expires_at)");
                st.execute("CREATE INDEX IF NOT EXISTS " + t + "_expires ON " + t + " (expires_at)");
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the pgvector table " + t + ": " + e.getMessage(), e);
        }
        ready.add(dimension);
    }

    /** The tables of this index that exist, whatever their dimension. */
    private List<String> tables(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename ~ ?")) {
            ps.setString(1, "^" + table + "_[0-9]+$");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static PGobject vector(float[] v) throws SQLException {
        StringBuilder b = new StringBuilder(v.length * 12).append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(v[i]);
        }
        PGobject o = new PGobject();
        o.setType("vector");
        o.setValue(b.append(']').toString());
        return o;
    }

    @Override
    public void add(String partition, String id, float[] vector, Instant expiresAt) {
        VectorIndex.requireEntry(partition, id, vector, expiresAt);
        ensureTable(vector.length);
        String t = tableFor(vector.length);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + t + " (id, partition, embedding, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) "
                        + "DO UPDATE SET partition = excluded.partition, embedding = excluded.embedding, "
                        + "expires_at = excluded.expires_at")) {
            ps.setString(1, id);
            ps.setString(2, partition);
            ps.setObject(3, vector(vector));
            ps.setTimestamp(4, Timestamp.from(expiresAt));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot add to " + t + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<Neighbour> search(String partition, float[] vector, int k, Instant now) {
        VectorIndex.requireSearch(partition, vector, k, now);
        int dimension = vector.length;
        String t = tableFor(dimension);
        try (Connection c = dataSource.getConnection()) {
            if (!ready.contains(dimension) && !tables(c).contains(t)) {
                return List.of(); // nothing of this dimension was ever added
            }
            ready.add(dimension);
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                if (Boolean.TRUE.equals(iterativeScans)) {
                    st.execute("SET LOCAL hnsw.iterative_scan = strict_order");
                }
                st.execute("SET LOCAL hnsw.ef_search = " + Math.max(40, 4 * k));
            }
            List<Neighbour> out = new ArrayList<>(k);
            // <#> is the negative inner product: ascending order is nearest first.
            try (PreparedStatement ps = c.prepareStatement("SELECT id, -(embedding <#> ?) AS score FROM " + t
                    + " WHERE partition = ? AND expires_at > ? ORDER BY embedding <#> ? LIMIT ?")) {
                PGobject q = vector(vector);
                ps.setObject(1, q);
                ps.setString(2, partition);
                ps.setTimestamp(3, Timestamp.from(now));
                ps.setObject(4, q);
                ps.setInt(5, k);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Neighbour(rs.getString(1), rs.getFloat(2)));
                    }
                }
            }
            c.commit();
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot search " + t + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        return update("DELETE FROM %s WHERE id = ?", ps -> ps.setString(1, id)) > 0;
    }

    @Override
    public long removePartitions(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return update("DELETE FROM %s WHERE partition LIKE ?", ps -> ps.setString(1, like));
    }

    @Override
    public long sweep(Instant now) {
        Objects.requireNonNull(now, "now");
        return update("DELETE FROM %s WHERE expires_at <= ?", ps -> ps.setTimestamp(1, Timestamp.from(now)));
    }

    @Override
    public long size() {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            long n = 0;
            for (String t : tables(c)) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
            return n;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count the entries of " + table + "_*: " + e.getMessage(), e);
        }
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** Runs one statement ({@code %s} is the table) on every table of the index; returns the rows changed. */
    private long update(String sql, Binder binder) {
        try (Connection c = dataSource.getConnection()) {
            long n = 0;
            for (String t : tables(c)) {
                try (PreparedStatement ps = c.prepareStatement(String.format(Locale.ROOT, sql, t))) {
                    binder.bind(ps);
                    n += ps.executeUpdate();
                }
            }
            return n;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot change " + table + "_*: " + e.getMessage(), e);
        }
    }

    /** Closes the connection pool if the index made it; a caller's data source is the caller's. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    @Override
    public String toString() {
        return "PgVectorIndex[" + table + "_*]";
    }
}
