package dev.tokenrt.budget;

import dev.tokenrt.budget.BudgetSource.Applicable;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a budget crossing its warn, critical and exceeded thresholds and fires each at most once per
 * budget, window and level, however many requests (and replicas) see it crossed at the same moment. A settle
 * that jumps several thresholds at once fires each of them, lowest first, so every level is recorded for the
 * window.
 *
 * <p><b>Who fires.</b> The {@link AlertLog} decides: every crossing is offered to it and only the caller that
 * recorded it first fires it to the sinks. With the log in the database the replicas share (SQLite on one
 * machine, PostgreSQL across machines), a crossing fires once in all; with {@link InMemoryAlertLog}, once per
 * process. What the log answered is remembered here until the window ends, so the log is asked at most once
 * per process, budget, window and level, not on every settle.
 *
 * <p><b>The log unreachable.</b> The alert still fires (an alert that is never sent is worse than one sent by
 * two replicas), it is remembered here so this process does not fire it again, and the miss is logged: it is
 * then neither recorded nor de-duplicated across replicas.
 */
public final class ThresholdAlerts {

    private static final Logger LOG = LoggerFactory.getLogger(ThresholdAlerts.class);
    private static final int PRUNE_EVERY = 1024;

    private final List<AlertSink> sinks;
    private final Clock clock;
    private final AlertLog log;
    /** dedup keys this process knows to be fired (by it or another replica) → the end of their window. */
    private final Map<String, Instant> known = new ConcurrentHashMap<>();
    private final AtomicLong checks = new AtomicLong();

    /** Alerts de-duplicated in this process only. */
    public ThresholdAlerts(List<AlertSink> sinks, Clock clock) {
        this(sinks, clock, new InMemoryAlertLog());
    }

    public ThresholdAlerts(List<AlertSink> sinks, Clock clock, AlertLog log) {
        this.sinks = List.copyOf(sinks);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.log = Objects.requireNonNull(log, "log");
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
     * Looks at a counter after a settle and fires what it has newly crossed; returns what this process fired.
     * A zero limit fires nothing until something is used.
     */
    public List<BudgetAlert> observe(Applicable applicable, Window window, long used) {
        if (used == 0) {
            return List.of();
        }
        Instant now = clock.instant();
        if (checks.incrementAndGet() % PRUNE_EVERY == 0) {
            known.values().removeIf(end -> end.isBefore(now));
        }
        List<BudgetAlert> out = new ArrayList<>();
        for (AlertLevel level : levelsReached(applicable.budget(), used)) {
            BudgetAlert alert = new BudgetAlert(applicable.budget(), applicable.member(), level, window, used, now);
            String key = alert.dedupKey();
            if (known.containsKey(key)) {
                continue;
            }
            boolean fire;
            try {
                // Only one caller of all replicas is told it was first: that one fires.
                fire = log.recordIfAbsent(AlertRecord.of(alert));
                known.put(key, window.end());
            } catch (RuntimeException e) {
                fire = known.putIfAbsent(key, window.end()) == null;
                if (fire) {
                    LOG.error("alert {} fired without shared de-duplication and is not recorded: the alert log is "
                            + "unreachable: {}", key, e.toString());
                }
            }
            if (!fire) {
                continue;
            }
            out.add(alert);
            LOG.info("budget alert: {}", alert.text());
            for (AlertSink sink : sinks) {
                try {
                    sink.send(alert);
                } catch (RuntimeException e) {
                    LOG.warn("alert sink failed for {}", key, e);
                }
            }
        }
        return out;
    }

    /** The log alerts are recorded in, for the admin API. */
    public AlertLog log() {
        return log;
    }
}
