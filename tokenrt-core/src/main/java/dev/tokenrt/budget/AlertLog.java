package dev.tokenrt.budget;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where fired alerts are recorded, and the one place that decides which replica fires a crossing (SPI). Every
 * replica that notices a budget cross a threshold offers the alert; the log keeps the first one per
 * {@link AlertRecord#dedupKey} (budget and member, window, level) and tells only that caller it was first, so a
 * crossing fires once however many replicas see it. In memory for one process ({@link InMemoryAlertLog}); in the
 * database the replicas share ({@code JdbcAlertLog} in tokenrt-store) otherwise.
 */
public interface AlertLog {

    /**
     * Records the alert unless one with its dedup key is recorded already.
     *
     * @return true if this call recorded it: the caller fires it; false if another caller (replica) did
     * @throws BudgetStoreException if the log cannot be reached
     */
    boolean recordIfAbsent(AlertRecord alert);

    /**
     * Recorded alerts, newest first.
     *
     * @throws BudgetStoreException if the log cannot be reached
     */
    List<AlertRecord> list(Query query);

    /**
     * Which alerts to list.
     *
     * @param budgetId only this budget's, if given
     * @param since    only those fired at or after this time
     * @param limit    at most this many (the newest)
     */
    record Query(Optional<String> budgetId, Instant since, int limit) {
        public Query {
            Objects.requireNonNull(budgetId, "budgetId");
            Objects.requireNonNull(since, "since");
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be at least 1");
            }
        }
    }
}
