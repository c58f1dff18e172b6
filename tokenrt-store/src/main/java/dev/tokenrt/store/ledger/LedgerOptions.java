package dev.tokenrt.store.ledger;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Tuning of a {@link JdbcUsageLedger}: how big the in-memory queue is, how rows are batched, how long
 * {@code append} may wait when the queue is full, and the connection settings. It exists so the gateway
 * configuration can change these without touching code; {@link #defaults()} suits one gateway process.
 *
 * <p>Back-pressure policy: {@code append} first tries to queue without waiting; if the queue is full it waits
 * at most {@code enqueueTimeout} for room and then drops the row, logging a WARN and counting it in
 * {@link LedgerStats#dropped()}. A zero timeout means "drop at once". The wait is bounded so that a stalled
 * database never stalls the request path for long.
 *
 * @param queueCapacity  rows (and flush markers) the queue holds before back-pressure starts
 * @param batchSize      most rows written in one transaction
 * @param flushInterval  how long the writer gathers rows after the first one of a batch before committing
 * @param enqueueTimeout how long {@code append} may wait for room in a full queue before dropping the row
 * @param busyTimeout    SQLite busy timeout (waiting for another process's lock) and the connection timeout
 *                       of the pools
 * @param readPoolSize   connections kept for reports and reads (writes always use one dedicated connection)
 * @param closeTimeout   how long {@code close()} waits for the queue to drain before giving up loudly
 * @param username       database user, if not given in the JDBC URL (PostgreSQL)
 * @param password       database password, if not given in the JDBC URL (PostgreSQL); never printed
 */
public record LedgerOptions(
        int queueCapacity,
        int batchSize,
        Duration flushInterval,
        Duration enqueueTimeout,
        Duration busyTimeout,
        int readPoolSize,
        Duration closeTimeout,
        Optional<String> username,
        Optional<String> password) {

    private static final LedgerOptions DEFAULTS = new LedgerOptions(65_536, 1_000, Duration.ofMillis(50),
            Duration.ofMillis(10), Duration.ofSeconds(5), 4, Duration.ofSeconds(30), Optional.empty(),
            Optional.empty());

    public LedgerOptions {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (readPoolSize < 1) {
            throw new IllegalArgumentException("readPoolSize must be at least 1, got " + readPoolSize);
        }
        requirePositive(flushInterval, "flushInterval");
        requireNotNegative(enqueueTimeout, "enqueueTimeout");
        requirePositive(busyTimeout, "busyTimeout");
        requirePositive(closeTimeout, "closeTimeout");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    /** 64 Ki queued rows, batches of 1,000 every 50 ms, 10 ms back-pressure wait, 5 s busy timeout. */
    public static LedgerOptions defaults() {
        return DEFAULTS;
    }

    public LedgerOptions withQueueCapacity(int rows) {
        return new LedgerOptions(rows, batchSize, flushInterval, enqueueTimeout, busyTimeout, readPoolSize,
                closeTimeout, username, password);
    }

    public LedgerOptions withBatchSize(int rows) {
        return new LedgerOptions(queueCapacity, rows, flushInterval, enqueueTimeout, busyTimeout, readPoolSize,
                closeTimeout, username, password);
    }

    public LedgerOptions withFlushInterval(Duration interval) {
        return new LedgerOptions(queueCapacity, batchSize, interval, enqueueTimeout, busyTimeout, readPoolSize,
                closeTimeout, username, password);
    }

    public LedgerOptions withEnqueueTimeout(Duration timeout) {
        return new LedgerOptions(queueCapacity, batchSize, flushInterval, timeout, busyTimeout, readPoolSize,
                closeTimeout, username, password);
    }

    public LedgerOptions withBusyTimeout(Duration timeout) {
        return new LedgerOptions(queueCapacity, batchSize, flushInterval, enqueueTimeout, timeout, readPoolSize,
                closeTimeout, username, password);
    }

    public LedgerOptions withReadPoolSize(int connections) {
        return new LedgerOptions(queueCapacity, batchSize, flushInterval, enqueueTimeout, busyTimeout, connections,
                closeTimeout, username, password);
    }

    public LedgerOptions withCloseTimeout(Duration timeout) {
        return new LedgerOptions(queueCapacity, batchSize, flushInterval, enqueueTimeout, busyTimeout, readPoolSize,
                timeout, username, password);
    }

    public LedgerOptions withCredentials(String user, String secret) {
        return new LedgerOptions(queueCapacity, batchSize, flushInterval, enqueueTimeout, busyTimeout, readPoolSize,
                closeTimeout, Optional.of(user), Optional.of(secret));
    }

    /** Like the record's own, but the password is masked: options end up in logs. */
    @Override
    public String toString() {
        return "LedgerOptions[queueCapacity=" + queueCapacity + ", batchSize=" + batchSize + ", flushInterval="
                + flushInterval + ", enqueueTimeout=" + enqueueTimeout + ", busyTimeout=" + busyTimeout
                + ", readPoolSize=" + readPoolSize + ", closeTimeout=" + closeTimeout + ", username="
                + username.orElse("") + ", password=" + (password.isPresent() ? "****" : "") + "]";
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    private static void requireNotNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " cannot be negative, got " + d);
        }
    }
}
