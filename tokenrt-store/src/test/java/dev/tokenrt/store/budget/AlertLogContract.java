package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.Action;
import dev.tokenrt.budget.AlertLevel;
import dev.tokenrt.budget.AlertLog;
import dev.tokenrt.budget.AlertRecord;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetAlert;
import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Period;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.budget.ThresholdAlerts;
import dev.tokenrt.budget.Window;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Shared alert de-duplication on a real engine: several {@link JdbcAlertLog}s on one database stand for
 * replicas; each has its own {@link ThresholdAlerts} and sinks, and all of them see the same crossings at once.
 */
abstract class AlertLogContract {

    static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    final MutableClock clock = new MutableClock(T0);
    final List<JdbcAlertLog> opened = new ArrayList<>();
    final Budget day = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1_000_000_000L,
            Action.DENY);
    final Budget total = Budget.of("all-time", Scope.GLOBAL, "", Period.TOTAL, Metric.TOKENS, 1000, Action.ALLOW);

    /** The JDBC URL of this test's database (a fresh file or schema). */
    abstract String url() throws Exception;

    JdbcAlertLog open() throws Exception {
        JdbcAlertLog log = JdbcAlertLog.open(url(), LedgerOptions.defaults());
        opened.add(log);
        return log;
    }

    @AfterEach
    void close() {
        opened.forEach(JdbcAlertLog::close);
    }

    @Test
    void threeReplicasRacingFireEachCrossingOnceAndRecordIt() throws Exception {
        List<BudgetAlert> sent = new CopyOnWriteArrayList<>();
        List<ThresholdAlerts> replicas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            replicas.add(new ThresholdAlerts(List.of(sent::add), clock, open()));
        }
        Window today = Period.DAY.window(T0, ZoneOffset.UTC);
        Applicable acme = new Applicable(day, "acme");
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            ThresholdAlerts r = replicas.get(i % 3);
            long used = 900_000_000L + i * 5_000_000L; // 90 % … 119.5 %: every replica sees all three levels
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                r.observe(acme, today, used);
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(sent).extracting(BudgetAlert::level)
                .containsExactlyInAnyOrder(AlertLevel.WARN, AlertLevel.CRITICAL, AlertLevel.EXCEEDED);
        // What was recorded is what was sent, as it was sent, and any replica reads it.
        List<AlertRecord> recorded = open().list(new AlertLog.Query(Optional.empty(), Instant.EPOCH, 100));
        assertThat(recorded).containsExactlyInAnyOrderElementsOf(sent.stream().map(AlertRecord::of).toList());
        AlertRecord warn = recorded.stream().filter(r -> r.level() == AlertLevel.WARN).findFirst().orElseThrow();
        assertThat(warn.window()).isEqualTo(today);
        assertThat(warn.limit()).isEqualTo(1_000_000_000L);
        assertThat(warn.text()).startsWith("Budget 'acme-day' (team 'acme') has reached its warning threshold");
        // The next day is a new window: its crossing fires again, once.
        clock.advance(Duration.ofDays(1));
        Window tomorrow = Period.DAY.window(clock.instant(), ZoneOffset.UTC);
        replicas.get(0).observe(acme, tomorrow, 850_000_000L);
        replicas.get(1).observe(acme, tomorrow, 860_000_000L);
        assertThat(sent).hasSize(4);
        assertThat(sent.get(3).window()).isEqualTo(tomorrow);
    }

    @Test
    void alertsAreListedNewestFirstByBudgetAndTime() throws Exception {
        JdbcAlertLog log = open();
        ThresholdAlerts alerts = new ThresholdAlerts(List.of(), clock, log);
        alerts.observe(new Applicable(day, "acme"), Period.DAY.window(clock.instant(), ZoneOffset.UTC), 800_000_000L);
        clock.advance(Duration.ofMinutes(5));
        alerts.observe(new Applicable(total, ""), Window.FOREVER, 1000);
        List<AlertRecord> all = log.list(new AlertLog.Query(Optional.empty(), Instant.EPOCH, 100));
        assertThat(all.subList(0, 3)).extracting(r -> r.budgetId() + ":" + r.level().wireName())
                .containsExactlyInAnyOrder("all-time:warn", "all-time:critical", "all-time:exceeded");
        assertThat(all).hasSize(4).last().extracting(AlertRecord::budgetId).isEqualTo("acme-day");
        assertThat(all.get(0).window()).isEqualTo(Window.FOREVER);
        assertThat(all.get(0).firedAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
        assertThat(log.list(new AlertLog.Query(Optional.of("acme-day"), Instant.EPOCH, 100)))
                .extracting(AlertRecord::level).containsExactly(AlertLevel.WARN);
        assertThat(log.list(new AlertLog.Query(Optional.empty(), T0.plusSeconds(1), 100))).hasSize(3);
        assertThat(log.list(new AlertLog.Query(Optional.empty(), Instant.EPOCH, 2))).hasSize(2);
        // Offering a recorded alert again is refused, so a replica that lost the race does not fire.
        assertThat(log.recordIfAbsent(all.get(3))).isFalse();
    }
}
