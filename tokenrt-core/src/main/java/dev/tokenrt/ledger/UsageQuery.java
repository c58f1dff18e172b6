package dev.tokenrt.ledger;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A usage report request: group the ledger rows in [{@code from}, {@code to}) by any of the dimensions.
 * Grouping by nothing yields a single row equal to the totals.
 */
public record UsageQuery(List<Dimension> groupBy, Instant from, Instant to) {

    public UsageQuery {
        groupBy = List.copyOf(groupBy);
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("'from' must be before 'to'");
        }
    }

    /** What rows can be grouped by; the wire name is the lower-case name. */
    public enum Dimension {
        MODEL, PROVIDER, USER, PROJECT, TEAM, KEY, SESSION, TAG, DAY, HOUR;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Dimension parse(String s) {
            for (Dimension d : values()) {
                if (d.wireName().equals(s.trim().toLowerCase(java.util.Locale.ROOT))) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unknown group_by '" + s + "': expected one of "
                    + "model, provider, user, project, team, key, session, tag, day, hour");
        }
    }
}
