package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.budget.CounterStore.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link CounterStore} must have. A store implementation's test extends this and says
 * how to make a store on a test clock; the Redis and SQLite stores are held to the same contract (public so
 * that a module depending on core's test classes can extend it, or copy it as it stands).
 */
public abstract class CounterStoreContract {

    protected static final Instant T0 = Instant.parse("2026-05-14T10:00:00Z");
    protected static final Instant DAY_END = Instant.parse("2026-05-15T00:00:00Z");
    protected static final Duration TTL = Duration.ofMinutes(10);

    protected TestClock clock;
    protected CounterStore store;

    /** A fresh, empty store that reads time from {@code clock}. */
    protected abstract CounterStore newStore(TestClock clock);

    @BeforeEach
    public void open() {
        clock = new TestClock(T0);
        store = newStore(clock);
    }

    @AfterEach
    public void close() {
        store.close();
    }

    protected static Hold hold(String key, long limit, long amount) {
        return new Hold(key, limit, amount, DAY_END);
    }

    @Test
    public void grantsWithinTheLimitAndHoldsTheAmount() {
        Reservation r = store.reserve("h1", List.of(hold("a", 100, 30)), TTL);
        assertThat(r).isEqualTo(new Reservation.Granted("h1", T0.plus(TTL)));
        assertThat(store.state("a")).isEqualTo(new State(0, 30));
        assertThat(store.state("never-seen")).isEqualTo(new State(0, 0));
    }

    @Test
    public void fillingTheLimitExactlyIsAllowedAndOneMoreIsNot() {
        assertThat(store.reserve("h1", List.of(hold("a", 100, 60)), TTL)).isInstanceOf(Reservation.Granted.class);
        assertThat(store.reserve("h2", List.of(hold("a", 100, 40)), TTL)).isInstanceOf(Reservation.Granted.class);
        assertThat(store.reserve("h3", List.of(hold("a", 100, 1)), TTL))
                .isEqualTo(new Reservation.Refused("a", 0, 100, 100));
    }

    @Test
    public void aRefusalHoldsNothingOnAnyCounter() {
        store.reserve("h0", List.of(hold("team", 50, 45)), TTL);
        Reservation r = store.reserve("h1", List.of(hold("global", 1000, 10), hold("team", 50, 10)), TTL);
        assertThat(r).isEqualTo(new Reservation.Refused("team", 0, 45, 50));
        assertThat(store.state("global")).isEqualTo(new State(0, 0));
        assertThat(store.state("team")).isEqualTo(new State(0, 45));
        // The refused id was never opened, so it can be used again.
        assertThat(store.reserve("h1", List.of(hold("global", 1000, 10), hold("team", 50, 5)), TTL))
                .isInstanceOf(Reservation.Granted.class);
    }

    @Test
    public void settleReplacesTheHoldByTheActualAmountsAndAbsentKeysSettleAtZero() {
        store.reserve("h1", List.of(hold("cost", 1000, 400), hold("tokens", 1000, 300)), TTL);
        store.settle("h1", Map.of("cost", 123L));
        assertThat(store.state("cost")).isEqualTo(new State(123, 0));
        assertThat(store.state("tokens")).isEqualTo(new State(0, 0));
    }

    @Test
    public void settlingPastTheLimitIsRecordedAndTheNextReserveIsRefused() {
        store.reserve("h1", List.of(hold("a", 100, 90)), TTL);
        store.settle("h1", Map.of("a", 120L));
        assertThat(store.state("a")).isEqualTo(new State(120, 0));
        assertThat(store.reserve("h2", List.of(hold("a", 100, 0)), TTL))
                .isEqualTo(new Reservation.Refused("a", 120, 0, 100));
    }

    @Test
    public void settleAndReleaseAreIdempotentAndOnlyTheFirstCounts() {
        store.reserve("h1", List.of(hold("a", 100, 50)), TTL);
        store.settle("h1", Map.of("a", 20L));
        store.settle("h1", Map.of("a", 20L));
        store.release("h1");
        assertThat(store.state("a")).isEqualTo(new State(20, 0));
        store.reserve("h2", List.of(hold("a", 100, 50)), TTL);
        store.release("h2");
        store.release("h2");
        store.settle("h2", Map.of("a", 50L));
        assertThat(store.state("a")).isEqualTo(new State(20, 0));
        store.release("no-such-hold");
    }

    @Test
    public void theSameKeyTwiceHoldsTheSum() {
        assertThat(store.reserve("h1", List.of(hold("a", 100, 60), hold("a", 100, 50)), TTL))
                .isEqualTo(new Reservation.Refused("a", 0, 0, 100));
        store.reserve("h2", List.of(hold("a", 100, 30), hold("a", 100, 20)), TTL);
        assertThat(store.state("a")).isEqualTo(new State(0, 50));
    }

    @Test
    public void aMaxLimitOnlyCounts() {
        store.reserve("h1", List.of(hold("a", Long.MAX_VALUE, 1_000_000_000_000L)), TTL);
        store.settle("h1", Map.of("a", 999_999_999_999L));
        assertThat(store.reserve("h2", List.of(hold("a", Long.MAX_VALUE, 1_000_000_000_000L)), TTL))
                .isInstanceOf(Reservation.Granted.class);
    }

    @Test
    public void expiredHoldsAreSweptAndTheirLateSettleIsIgnored() {
        store.reserve("h1", List.of(hold("a", 100, 70)), Duration.ofMinutes(1));
        store.reserve("h2", List.of(hold("a", 100, 20)), Duration.ofMinutes(5));
        assertThat(store.sweep(T0.plusSeconds(59))).isZero();
        assertThat(store.state("a")).isEqualTo(new State(0, 90));
        assertThat(store.sweep(T0.plusSeconds(60))).isEqualTo(1);
        assertThat(store.state("a")).isEqualTo(new State(0, 20));
        store.settle("h1", Map.of("a", 70L));
        assertThat(store.state("a")).isEqualTo(new State(0, 20));
        assertThat(store.sweep(T0.plusSeconds(300))).isEqualTo(1);
        assertThat(store.state("a")).isEqualTo(new State(0, 0));
    }

    @Test
    public void anExpiredHoldDoesNotBlockTheNextReserve() {
        store.reserve("h1", List.of(hold("a", 100, 100)), Duration.ofMinutes(1));
        clock.advance(Duration.ofMinutes(1));
        assertThat(store.reserve("h2", List.of(hold("a", 100, 100)), TTL)).isInstanceOf(Reservation.Granted.class);
    }

    /**
     * 1,000 requests reserve at the same moment on two counters (a global budget and a tighter team one):
     * exactly as many are granted as fit the tighter limit, both counters hold exactly the granted sum, and
     * after every settle neither counter is past its limit.
     */
    @Test
    public void aThousandConcurrentRequestsNeverOvershoot() throws Exception {
        int requests = 1000;
        long globalLimit = 5_000;
        long teamLimit = 3_000;
        long amount = 7;
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> granted = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String id = "req-" + i;
                fs.add(pool.submit(() -> {
                    start.await();
                    Reservation r = store.reserve(id, List.of(hold("global", globalLimit, amount),
                            hold("team", teamLimit, amount)), TTL);
                    if (r instanceof Reservation.Granted) {
                        granted.add(id);
                    } else {
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        long fit = teamLimit / amount; // 428
        assertThat(granted).hasSize((int) fit);
        assertThat(refused).hasValue(requests - (int) fit);
        assertThat(store.state("team")).isEqualTo(new State(0, fit * amount));
        assertThat(store.state("global")).isEqualTo(new State(0, fit * amount));

        // Settle them all at once, each below its hold (5 of 7): counters end at exactly the settled sum.
        CountDownLatch settleStart = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (String id : granted) {
                fs.add(pool.submit(() -> {
                    settleStart.await();
                    store.settle(id, Map.of("global", 5L, "team", 5L));
                    return null;
                }));
            }
            settleStart.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        assertThat(store.state("team")).isEqualTo(new State(fit * 5, 0));
        assertThat(store.state("global")).isEqualTo(new State(fit * 5, 0));
    }

    /**
     * Reserves and settles interleaved from 1,000 threads with different amounts: a hold is granted only
     * while it fits, so used + held never passes the limit when every settle is at most its hold.
     */
    @Test
    public void interleavedReservesAndSettlesKeepUsedWithinTheLimit() throws Exception {
        long limit = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger grants = new AtomicInteger();
        ConcurrentLinkedQueue<Long> settled = new ConcurrentLinkedQueue<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int n = i;
                fs.add(pool.submit(() -> {
                    Random rnd = new Random(n);
                    long want = 1 + rnd.nextInt(60);
                    start.await();
                    String id = "r" + n;
                    if (store.reserve(id, List.of(hold("k", limit, want)), TTL) instanceof Reservation.Granted) {
                        grants.incrementAndGet();
                        State s = store.state("k");
                        assertThat(s.used() + s.held()).isLessThanOrEqualTo(limit);
                        long actual = rnd.nextInt((int) want + 1);
                        store.settle(id, Map.of("k", actual));
                        settled.add(actual);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        long sum = settled.stream().mapToLong(Long::longValue).sum();
        assertThat(store.state("k")).isEqualTo(new State(sum, 0));
        assertThat(sum).isLessThanOrEqualTo(limit);
        assertThat(grants.get()).isPositive();
    }
}
