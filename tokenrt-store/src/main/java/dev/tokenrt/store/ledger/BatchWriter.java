package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Takes ledger rows off the request path: {@link #append} puts a row on a bounded queue and returns; one
 * writer thread drains the queue in batches (one JDBC batch, one transaction, rollup included), committing
 * {@code flushInterval} after a batch's first row (at once for a flush or close), at most {@code batchSize}
 * rows at a time.
 *
 * <p>Ordering is what makes {@link #flush} exact: a flush puts a marker on the same FIFO queue and waits for
 * the writer to reach it, so every row queued before the call has been committed by then.
 *
 * <p>Failures: a batch the database refuses for a transient reason (connection lost, database locked) is
 * retried with back-off, keeping its rows, while the queue absorbs new ones; once the queue is full,
 * {@code append} drops rows loudly. A batch refused because of its data (e.g. PostgreSQL rejecting a NUL
 * character) is retried row by row, so one bad row cannot block the rest; the bad row is logged at ERROR
 * and counted as failed.
 */
final class BatchWriter {

    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What the queue carries: rows, flush markers and the final stop marker. */
    private sealed interface Item permits Row, Marker {
    }

    private record Row(LedgerEntry entry) implements Item {
    }

    private record Marker(CompletableFuture<Void> done, boolean stop) implements Item {
    }

    private final Connections connections;
    private final BlockingQueue<Item> queue;
    private final int batchSize;
    private final long intervalNanos;
    private final long enqueueTimeoutNanos;
    /** Queued rows at which an append wakes the gathering writer: a batch, or half the queue if that is less. */
    private final int wakeAt;
    private final Thread thread;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder appending = new LongAdder();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong lastDropLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private volatile boolean abandon;

    BatchWriter(Connections connections, LedgerOptions opts) {
        this.connections = connections;
        this.queue = new ArrayBlockingQueue<>(opts.queueCapacity());
        this.batchSize = opts.batchSize();
        this.intervalNanos = opts.flushInterval().toNanos();
        this.enqueueTimeoutNanos = opts.enqueueTimeout().toNanos();
        this.wakeAt = Math.max(1, Math.min(batchSize, opts.queueCapacity() / 2));
        // Daemon so that a forgotten close() cannot keep a JVM alive; close() is what makes rows durable.
        this.thread = Thread.ofPlatform().name("tokenrt-ledger-writer").daemon(true).unstarted(this::run);
        thread.start();
    }

    void append(LedgerEntry entry) {
        appending.increment();
        try {
            if (closed.get()) {
                drop(entry, "the ledger is closed");
                return;
            }
            Row row = new Row(entry);
            if (queue.offer(row)
                    || (enqueueTimeoutNanos > 0 && queue.offer(row, enqueueTimeoutNanos, TimeUnit.NANOSECONDS))) {
                accepted.incrementAndGet();
                if (queue.size() >= wakeAt) {
                    LockSupport.unpark(thread); // a batch's worth is waiting: no need to wait for the interval
                }
            } else {
                drop(entry, "the write queue is full");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drop(entry, "the appending thread was interrupted");
        } finally {
            appending.decrement();
        }
    }

    private void drop(LedgerEntry entry, String why) {
        long n = dropped.incrementAndGet();
        long now = System.nanoTime();
        long last = lastDropLog.get();
        // Every drop is counted; the log says so at most once a second so that a stalled database cannot
        // flood it.
        if (now - last >= LOG_EVERY_NANOS && lastDropLog.compareAndSet(last, now)) {
            LOG.warn("usage ledger dropped request {}: {} ({} rows dropped since open; queue {} rows)",
                    entry.requestId(), why, n, queue.size());
        }
    }

    boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (closed.get()) {
            return awaitStopped(deadline);
        }
        Marker marker = new Marker(new CompletableFuture<>(), false);
        try {
            if (!queue.offer(marker, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
            LockSupport.unpark(thread); // it may be gathering a batch: the marker is not to wait for the interval
            marker.done().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /** Stops accepting rows, writes everything queued, and stops the writer; false if it had to give up. */
    boolean close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!closed.compareAndSet(false, true)) {
            return awaitStopped(deadline);
        }
        // Let appends that passed the closed check land in the queue before the stop marker.
        while (appending.sum() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        boolean stopped = false;
        try {
            Marker stop = new Marker(new CompletableFuture<>(), true);
            if (queue.offer(stop, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LockSupport.unpark(thread);
                stopped = awaitStopped(deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!stopped) {
            abandon = true;
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LOG.error("usage ledger closed before all rows were written: gave up after {}; {} rows not stored "
                    + "({} dropped and {} failed since open)", timeout, queue.size(), dropped.get(), failed.get());
        }
        return stopped;
    }

    private boolean awaitStopped(long deadline) {
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive() && !abandon;
    }

    LedgerStats stats() {
        return new LedgerStats(accepted.get(), written.get(), duplicates.get(), dropped.get(), failed.get(),
                queue.size());
    }

    // ---- writer thread ----

    private void run() {
        List<LedgerEntry> rows = new ArrayList<>(batchSize);
        List<Marker> markers = new ArrayList<>();
        List<Item> drained = new ArrayList<>(batchSize);
        boolean stop = false;
        try {
            while (!stop) {
                rows.clear();
                markers.clear();
                Item first = queue.take();
                long deadline = System.nanoTime() + intervalNanos;
                collect(first, rows, markers);
                while (markers.isEmpty() && rows.size() < batchSize) {
                    drained.clear();
                    queue.drainTo(drained, batchSize - rows.size());
                    for (Item item : drained) {
                        collect(item, rows, markers);
                    }
                    long remaining = deadline - System.nanoTime();
                    if (!markers.isEmpty() || rows.size() >= batchSize || remaining <= 0) {
                        break;
                    }
                    // Gather by sleeping, not by waiting on the queue: a writer waiting there is woken by every
                    // row appended (a system call and a context switch a request, at 2,000 requests/s). A flush
                    // or close unparks it at once, and so does an append that finds a batch's worth queued.
                    LockSupport.parkNanos(this, remaining);
                    if (Thread.interrupted()) {
                        throw new InterruptedException("usage ledger writer interrupted");
                    }
                }
                if (!rows.isEmpty()) {
                    commit(rows);
                }
                for (Marker m : markers) {
                    m.done().complete(null);
                    stop |= m.stop();
                }
            }
        } catch (InterruptedException e) {
            // close() gave up: whatever is still in hand or queued is lost, and counted.
            long lost = rows.size() + queue.stream().filter(Row.class::isInstance).count();
            failed.addAndGet(lost);
            markers.forEach(m -> m.done().completeExceptionally(e));
            queue.forEach(i -> {
                if (i instanceof Marker m) {
                    m.done().completeExceptionally(e);
                }
            });
            queue.clear();
        } catch (RuntimeException | Error e) {
            LOG.error("usage ledger writer stopped by an unexpected error; rows are no longer written", e);
            throw e;
        }
    }

    private static void collect(Item item, List<LedgerEntry> rows, List<Marker> markers) {
        switch (item) {
            case Row r -> rows.add(r.entry());
            case Marker m -> markers.add(m);
        }
    }

    /** Writes the rows, retrying transient failures until they succeed or close() gives up. */
    private void commit(List<LedgerEntry> rows) throws InterruptedException {
        long backoffMillis = 50;
        int attempt = 0;
        while (true) {
            try {
                write(rows);
                if (attempt > 0) {
                    LOG.info("usage ledger writes recovered after {} failed attempts", attempt);
                }
                return;
            } catch (SQLException e) {
                if (isDataError(e)) {
                    if (rows.size() > 1) {
                        for (LedgerEntry row : rows) {
                            commit(List.of(row));
                        }
                    } else {
                        failed.incrementAndGet();
                        LOG.error("usage ledger rejected request {} as invalid; the row is not stored: {}",
                                rows.getFirst().requestId(), describe(e));
                    }
                    return;
                }
                attempt++;
                if (attempt == 1 || attempt % 20 == 0) {
                    LOG.warn("usage ledger write of {} rows failed (attempt {}), retrying: {}", rows.size(), attempt,
                            describe(e));
                }
            } catch (RuntimeException e) {
                attempt++;
                LOG.error("usage ledger write of {} rows failed (attempt {}), retrying", rows.size(), attempt, e);
            }
            if (abandon) {
                throw new InterruptedException("ledger closed");
            }
            Thread.sleep(backoffMillis);
            backoffMillis = Math.min(2_000, backoffMillis * 2);
        }
    }

    private void write(List<LedgerEntry> rows) throws SQLException {
        try (Connection c = connections.write()) {
            try {
                List<LedgerEntry> inserted = insert(c, rows);
                insertTags(c, inserted);
                DailyRollup.add(c, inserted);
                c.commit();
                written.addAndGet(inserted.size());
                duplicates.addAndGet(rows.size() - inserted.size());
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    /** Inserts the rows and returns those actually inserted (a repeated request id inserts nothing). */
    private static List<LedgerEntry> insert(Connection c, List<LedgerEntry> rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(Rows.INSERT)) {
            for (LedgerEntry e : rows) {
                Rows.bind(ps, e);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            List<LedgerEntry> inserted = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                // A driver that cannot tell (SUCCESS_NO_INFO) is taken at its word that the row went in.
                if (counts[i] > 0 || counts[i] == Statement.SUCCESS_NO_INFO) {
                    inserted.add(rows.get(i));
                }
            }
            return inserted;
        }
    }

    private static void insertTags(Connection c, List<LedgerEntry> inserted) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(Rows.INSERT_TAG)) {
            int n = 0;
            for (LedgerEntry e : inserted) {
                List<String> tags = Rows.distinctTags(e);
                for (int pos = 0; pos < tags.size(); pos++) {
                    ps.setString(1, e.requestId());
                    ps.setString(2, tags.get(pos));
                    ps.setInt(3, pos);
                    ps.addBatch();
                    n++;
                }
            }
            if (n > 0) {
                ps.executeBatch();
            }
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException r) {
            cause.addSuppressed(r);
        }
    }

    /**
     * True when the database refused the rows themselves rather than being unavailable: SQL state classes
     * 22 (data exception), 23 (constraint) and 54 (limit exceeded, e.g. an index row too large), or SQLite's
     * equivalents. Retrying such a batch as it is would fail forever.
     */
    static boolean isDataError(SQLException e) {
        int depth = 0;
        for (SQLException x = e; x != null && depth < 16; x = next(x), depth++) {
            String state = x.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23") || state.startsWith("54"))) {
                return true;
            }
            if (x instanceof SQLiteException s) {
                SQLiteErrorCode code = s.getResultCode();
                if (code == SQLiteErrorCode.SQLITE_TOOBIG || code == SQLiteErrorCode.SQLITE_MISMATCH
                        || code == SQLiteErrorCode.SQLITE_RANGE || code.name().startsWith("SQLITE_CONSTRAINT")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static SQLException next(SQLException x) {
        if (x.getNextException() != null && x.getNextException() != x) {
            return x.getNextException();
        }
        return x.getCause() instanceof SQLException s && s != x ? s : null;
    }

    private static String describe(SQLException e) {
        SQLException detail = e instanceof BatchUpdateException && e.getNextException() != null
                ? e.getNextException() : e;
        return detail.getMessage() + " [SQLState " + detail.getSQLState() + "]";
    }
}
