package dev.tokenrt.budget;

import dev.tokenrt.budget.BudgetSource.Applicable;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a budget crossing its warn, critical and exceeded thresholds and fires each at most once per
 * budget, window and level, however many requests see it crossed at the same moment. A settle that jumps
 * several thresholds at once fires each of them, lowest first, so every level is recorded for the window.
 *
 * <p>De-duplication is in memory: each process fires a crossing once; replicas sharing a Redis store each
 * fire it once (a shared de-duplication store is future work). Fired alerts are kept, newest last, up to a
 * bound, for the admin API to show.
 */
public final class ThresholdAlerts {

    private static final Logger LOG = LoggerFactory.getLogger(ThresholdAlerts.class);
    private static final int PRUNE_EVERY = 1024;

    private final List<AlertSink> sinks;
    private final Clock clock;
    private final int keep;
    /** dedup key → the end of its window, after which the entry can go. */
    private final Map<String, Instant> fired = new ConcurrentHashMap<>();
    private final Deque<BudgetAlert> history = new ArrayDeque<>();
    private final AtomicLong checks = new AtomicLong();

    public ThresholdAlerts(List<AlertSink> sinks, Clock clock) {
        this(sinks, clock, 1000);
    }

    public ThresholdAlerts(List<AlertSink> sinks, Clock clock, int keep) {
        this.sinks = List.copyOf(sinks);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.keep = keep;
    }

    /** The levels {@code used} has reached for {@code budget}, lowest first. Exact: no floating point. */
    public static List<AlertLevel> levelsReached(Budget budget, long used) {
        List<AlertLevel> out = new ArrayList<>(3);
        BigDecimal u = BigDecimal.valueOf(used);
        BigDecimal limit = BigDecimal.valueOf(budget.limit());
        if (u.compareTo(limit.multiply(budget.warnAt())) >= 0) {
            out.add(AlertLevel.WARN);
        }
        if (u.compareTo(limit.multiply(budget.criticalAt())) >= 0) {
            out.add(AlertLevel.CRITICAL);
        }
        if (used >= budget.limit()) {
            out.add(AlertLevel.EXCEEDED);
        }
        return out;
    }

    /**
     * Looks at a counter after a settle and fires what it has newly crossed; returns what was fired. A zero
     * limit fires nothing until something is used.
     */
    public List<BudgetAlert> observe(Applicable applicable, Window window, long used) {
        if (used == 0) {
            return List.of();
        }
        Instant now = clock.instant();
        if (checks.incrementAndGet() % PRUNE_EVERY == 0) {
            fired.values().removeIf(end -> end.isBefore(now));
        }
        List<BudgetAlert> out = new ArrayList<>();
        for (AlertLevel level : levelsReached(applicable.budget(), used)) {
            BudgetAlert alert = new BudgetAlert(applicable.budget(), applicable.member(), level, window, used, now);
            if (fired.putIfAbsent(alert.dedupKey(), window.end()) == null) {
                out.add(alert);
                record(alert);
                for (AlertSink sink : sinks) {
                    try {
                        sink.send(alert);
                    } catch (RuntimeException e) {
                        LOG.warn("alert sink failed for {}", alert.dedupKey(), e);
                    }
                }
            }
        }
        return out;
    }

    /** The alerts fired so far, oldest first (at most the configured number). */
    public synchronized List<BudgetAlert> history() {
        return List.copyOf(history);
    }

    private synchronized void record(BudgetAlert alert) {
        history.addLast(alert);
        while (history.size() > keep) {
            history.removeFirst();
        }
        LOG.info("budget alert: {}", alert.text());
    }
}
