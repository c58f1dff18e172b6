package dev.tokenrt.ledger;

import java.time.Duration;

/**
 * The durable, append-only record of every request (SPI). Implementations live in {@code tokenrt-store}:
 * SQLite for one machine, PostgreSQL for many.
 *
 * <p>{@link #append} is called on the request path and must not block on I/O: implementations queue the
 * row and write it in batches off the hot path. {@link #flush} and {@link #close} make everything queued
 * durable; after a clean shutdown every appended row is stored.
 */
public interface UsageLedger extends AutoCloseable {

    /** Queues one row for writing. Never blocks on the database. */
    void append(LedgerEntry entry);

    /** Blocks until every row appended before this call is durable, or the timeout passes; true if it is. */
    boolean flush(Duration timeout);

    /** Answers a usage report from the stored rows (and their rollups). */
    UsageReport query(UsageQuery query);

    /** Flushes and releases the connection pool. */
    @Override
    void close();
}
