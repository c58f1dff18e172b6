package dev.tokenrt.store.ledger;

/**
 * Counters of a {@link JdbcUsageLedger} since it was opened, for metrics and alerts: a ledger that drops or
 * fails rows must be visible on a dashboard, not only in a log.
 *
 * @param accepted   rows that {@code append} put on the queue
 * @param written    rows committed to the database
 * @param duplicates rows not stored because a row with the same request id already was (idempotent writes)
 * @param dropped    rows refused by {@code append}: the queue stayed full past the enqueue timeout, or the
 *                   ledger was closed
 * @param failed     accepted rows that were never stored: rejected by the database as invalid, or still
 *                   queued when {@code close()} gave up
 * @param queued     rows waiting in the queue right now
 */
public record LedgerStats(long accepted, long written, long duplicates, long dropped, long failed, int queued) {
}
