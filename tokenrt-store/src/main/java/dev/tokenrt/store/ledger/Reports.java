package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.ledger.UsageQuery.Dimension;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.ledger.UsageReport.Totals;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers {@link UsageQuery}s with SQL, from the daily rollup when it can and from the raw rows otherwise.
 * Both sources give the same report for any query the rollup can answer; the rollup only exists to keep
 * reports fast when the raw table holds tens of millions of rows.
 */
final class Reports {

    /** Which table a report is computed from. */
    enum Source {
        RAW, ROLLUP
    }

    /** The dimensions the rollup keeps (its primary key). */
    private static final Set<Dimension> ROLLUP_DIMENSIONS = EnumSet.of(Dimension.MODEL, Dimension.PROVIDER,
            Dimension.USER, Dimension.PROJECT, Dimension.TEAM, Dimension.KEY, Dimension.DAY);

    /** Floor division of time_ns by an hour, written out because SQL integer division truncates toward zero. */
    private static final String HOUR_EXPR = "CASE WHEN r.time_ns >= 0 THEN r.time_ns / " + Rows.NANOS_PER_HOUR
            + " ELSE (r.time_ns + 1) / " + Rows.NANOS_PER_HOUR + " - 1 END";

    private static final String RAW_SUMS = "COUNT(*), SUM(CASE WHEN r.status >= 400 THEN 1 ELSE 0 END), "
            + "SUM(r.input_tokens), SUM(r.output_tokens), SUM(r.cache_read_tokens), "
            + "SUM(r.cache_write_5m_tokens + r.cache_write_1h_tokens), SUM(r.reasoning_tokens), SUM(r.cost_nanos), "
            + "SUM(CASE WHEN r.cache_outcome IN ('hit', 'semantic') THEN 1 ELSE 0 END), SUM(r.saved_cost_nanos), "
            + "SUM(r.saved_input_tokens), SUM(r.saved_output_tokens)";

    private static final String ROLLUP_SUMS = "SUM(u.requests), SUM(u.errors), SUM(u.input_tokens), "
            + "SUM(u.output_tokens), SUM(u.cache_read_tokens), SUM(u.cache_write_tokens), SUM(u.reasoning_tokens), "
            + "SUM(u.cost_nanos), SUM(u.cache_hits), SUM(u.saved_cost_nanos), "
            + "SUM(u.saved_input_tokens), SUM(u.saved_output_tokens)";

    private Reports() {
    }

    /** The rollup can answer when it keeps every grouped dimension and the bounds fall on UTC midnights. */
    static Source plan(UsageQuery q) {
        boolean dimensionsKept = ROLLUP_DIMENSIONS.containsAll(q.groupBy());
        return dimensionsKept && isMidnight(q.from()) && isMidnight(q.to()) ? Source.ROLLUP : Source.RAW;
    }

    private static boolean isMidnight(Instant t) {
        return t.getNano() == 0 && Math.floorMod(t.getEpochSecond(), Rows.SECONDS_PER_DAY) == 0;
    }

    static UsageReport run(Connection c, UsageQuery q, Source source) throws SQLException {
        List<Dimension> dims = List.copyOf(new LinkedHashSet<>(q.groupBy()));
        if (source == Source.ROLLUP && plan(q) != Source.ROLLUP) {
            throw new IllegalArgumentException("the daily rollup cannot answer " + q);
        }
        Totals totals = select(c, List.of(), q, source).stream().findFirst().map(Group::totals).orElse(Totals.ZERO);
        List<Group> groups = dims.isEmpty() ? List.of(new Group(List.of(), totals)) : select(c, dims, q, source);
        Comparator<Group> order = Comparator.comparingLong((Group g) -> g.totals().costNanos()).reversed();
        for (int i = 0; i < dims.size(); i++) {
            int at = i;
            // Sorted here, not in SQL: PostgreSQL's collation and SQLite's byte order would disagree.
            order = order.thenComparing(g -> g.keys().get(at), Reports::compareKeys);
        }
        List<UsageReport.Row> rows = new ArrayList<>(groups.size());
        groups.stream().sorted(order).forEach(g -> rows.add(new UsageReport.Row(g.render(dims), g.totals())));
        return new UsageReport(rows, totals);
    }

    /** One group as read: raw key values (a String, or a Long bucket for day and hour) and its sums. */
    private record Group(List<Object> keys, Totals totals) {
        Map<String, String> render(List<Dimension> dims) {
            Map<String, String> out = new LinkedHashMap<>();
            for (int i = 0; i < dims.size(); i++) {
                Dimension d = dims.get(i);
                Object k = keys.get(i);
                out.put(d.wireName(), switch (d) {
                    case DAY -> Instant.ofEpochSecond((Long) k * Rows.SECONDS_PER_DAY).toString();
                    case HOUR -> Instant.ofEpochSecond((Long) k * 3_600L).toString();
                    default -> (String) k;
                });
            }
            return out;
        }
    }

    private static int compareKeys(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        return ((String) a).compareTo((String) b);
    }

    private static List<Group> select(Connection c, List<Dimension> dims, UsageQuery q, Source source)
            throws SQLException {
        boolean raw = source == Source.RAW;
        List<String> exprs = new ArrayList<>(dims.size());
        for (Dimension d : dims) {
            exprs.add(raw ? rawColumn(d) : rollupColumn(d));
        }
        StringBuilder sql = new StringBuilder("SELECT ");
        for (String e : exprs) {
            sql.append(e).append(", ");
        }
        sql.append(raw ? RAW_SUMS : ROLLUP_SUMS);
        if (raw) {
            sql.append(" FROM requests r");
            if (dims.contains(Dimension.TAG)) {
                // An untagged request still counts, under the empty tag; a request with two tags counts in both.
                sql.append(" LEFT JOIN request_tags t ON t.request_id = r.request_id");
            }
            sql.append(" WHERE r.time_ns >= ? AND r.time_ns < ?");
        } else {
            sql.append(" FROM usage_daily u WHERE u.day >= ? AND u.day < ?");
        }
        if (!exprs.isEmpty()) {
            sql.append(" GROUP BY ").append(String.join(", ", exprs));
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            if (raw) {
                ps.setLong(1, Rows.toNanosSaturated(q.from()));
                ps.setLong(2, Rows.toNanosSaturated(q.to()));
            } else {
                ps.setLong(1, Rows.epochDay(q.from()));
                ps.setLong(2, Rows.epochDay(q.to()));
            }
            List<Group> groups = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<Object> keys = new ArrayList<>(dims.size());
                    for (int i = 0; i < dims.size(); i++) {
                        Dimension d = dims.get(i);
                        keys.add(d == Dimension.DAY || d == Dimension.HOUR ? (Object) rs.getLong(i + 1)
                                : rs.getString(i + 1));
                    }
                    int at = dims.size();
                    Totals t = new Totals(rs.getLong(at + 1), rs.getLong(at + 2), rs.getLong(at + 3),
                            rs.getLong(at + 4), rs.getLong(at + 5), rs.getLong(at + 6), rs.getLong(at + 7),
                            rs.getLong(at + 8), rs.getLong(at + 9), rs.getLong(at + 10), rs.getLong(at + 11),
                            rs.getLong(at + 12));
                    groups.add(new Group(List.copyOf(keys), t));
                }
            }
            return groups;
        }
    }

    private static String rawColumn(Dimension d) {
        return switch (d) {
            case MODEL -> "r.model_served";
            case PROVIDER -> "r.provider";
            case USER -> "r.user_id";
            case PROJECT -> "r.project";
            case TEAM -> "r.team";
            case KEY -> "r.key_id";
            case SESSION -> "r.session_id";
            case TAG -> "COALESCE(t.tag, '')";
            case DAY -> "r.day";
            case HOUR -> HOUR_EXPR;
        };
    }

    private static String rollupColumn(Dimension d) {
        return switch (d) {
            case MODEL -> "u.model_served";
            case PROVIDER -> "u.provider";
            case USER -> "u.user_id";
            case PROJECT -> "u.project";
            case TEAM -> "u.team";
            case KEY -> "u.key_id";
            case DAY -> "u.day";
            case SESSION, TAG, HOUR -> throw new IllegalArgumentException("the daily rollup has no " + d.wireName());
        };
    }
}
