package dev.tokenrt.budget;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Alerts in this process's memory: de-duplication for one process (tests, embedded use without a database).
 * Keeps the newest {@code keep} records; a dedup key is remembered until its window ends, even when its record
 * has been dropped from the list, so that a crossing never fires twice in its window.
 */
public final class InMemoryAlertLog implements AlertLog {

    private final int keep;
    /** dedup key → the end of its window, after which it can be forgotten. */
    private final Map<String, Instant> keys = new HashMap<>();
    private final Deque<AlertRecord> records = new ArrayDeque<>();
    private long offers;

    public InMemoryAlertLog() {
        this(1000);
    }

    public InMemoryAlertLog(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1");
        }
        this.keep = keep;
    }

    @Override
    public synchronized boolean recordIfAbsent(AlertRecord alert) {
        if (++offers % 1024 == 0) {
            keys.values().removeIf(end -> end.isBefore(alert.firedAt()));
        }
        if (keys.putIfAbsent(alert.dedupKey(), alert.window().end()) != null) {
            return false;
        }
        records.addFirst(alert);
        while (records.size() > keep) {
            records.removeLast();
        }
        return true;
    }

    @Override
    public synchronized List<AlertRecord> list(Query q) {
        List<AlertRecord> out = new ArrayList<>();
        for (Iterator<AlertRecord> it = records.iterator(); it.hasNext() && out.size() < q.limit(); ) {
            AlertRecord r = it.next();
            if (r.firedAt().isBefore(q.since())) {
                continue;
            }
            if (q.budgetId().isPresent() && !q.budgetId().get().equals(r.budgetId())) {
                continue;
            }
            out.add(r);
        }
        return out;
    }
}
