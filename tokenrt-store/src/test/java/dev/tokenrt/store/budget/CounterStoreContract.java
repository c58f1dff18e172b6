package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.budget.CounterStore.Reservation.Granted;
import dev.tokenrt.budget.CounterStore.Reservation.Refused;
import dev.tokenrt.budget.CounterStore.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CounterStore} must do, run against each real engine by a subclass. Time comes from a
 * {@link MutableClock} given to the store (for hold deadlines) and from the {@code now} passed to sweep.
 * Windows end in 2100 so that no engine forgets a counter during a test.
 */
abstract class CounterStoreContract {

    static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");
    static final Instant WINDOW_END = Instant.parse("2100-01-01T00:00:00Z");
    static final Duration TTL = Duration.ofMinutes(5);
    static final long MAX = Long.MAX_VALUE;

    final MutableClock clock = new MutableClock(T0);
    private final List<CounterStore> opened = new ArrayList<>();
    CounterStore store;

    /** Gets the engine ready for one test (a fresh schema, key prefix or file). */
    abstract void prepare() throws Exception;

    /** A new store instance on this test's data: calling it twice gives two instances sharing state. */
    abstract CounterStore open(MutableClock clock);

    /** How many holds (or traces of them) the engine still keeps: zero once all are settled or released. */
    abstract long storedHolds() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        prepare();
        store = another();
    }

    @AfterEach
    void closeStores() {
        opened.forEach(CounterStore::close);
    }

    CounterStore another() {
        CounterStore s = open(clock);
        opened.add(s);
        return s;
    }

    static Hold hold(String key, long limit, long amount) {
        return new Hold(key, limit, amount, WINDOW_END);
    }

    Reservation reserve(String holdId, Hold... holds) {
        return store.reserve(holdId, List.of(holds), TTL);
    }

    // ---- bulk reads and rebuilds ----

    @Test
    void statesReadsManyCountersInTheOrderAskedAndSetUsedKeepsTheHolds() {
        assertThat(reserve("h1", hold("a", MAX, 30), hold("b", MAX, 5))).isInstanceOf(Granted.class);
        store.settle("h1", Map.of("a", 20L));
        assertThat(reserve("h2", hold("a", MAX, 7))).isInstanceOf(Granted.class);
        Map<String, State> s = store.states(List.of("missing", "b", "a"));
        assertThat(new ArrayList<>(s.keySet())).containsExactly("missing", "b", "a");
        assertThat(s.get("missing")).isEqualTo(new State(0, 0));
        assertThat(s.get("a")).isEqualTo(new State(20, 7));
        assertThat(s.get("b")).isEqualTo(new State(0, 0));
        assertThat(store.states(List.of())).isEmpty();
        store.setUsed("a", 1_000, WINDOW_END);
        store.setUsed("new", Long.MAX_VALUE - 1, WINDOW_END);
        assertThat(store.state("a")).isEqualTo(new State(1_000, 7));
        assertThat(store.state("new")).isEqualTo(new State(Long.MAX_VALUE - 1, 0));
        store.settle("h2", Map.of("a", 3L));
        assertThat(store.state("a")).isEqualTo(new State(1_003, 0));
        assertThat(another().state("a")).as("another instance sees it").isEqualTo(new State(1_003, 0));
    }

    // ---- the boundary ----

    @Test
    void grantsAtTheExactLimitAndRefusesOneMore() {
        assertThat(reserve("h1", hold("a", 100, 60))).isInstanceOf(Granted.class);
        assertThat(reserve("h2", hold("a", 100, 40))).isInstanceOf(Granted.class); // 0 + 60 + 40 == 100
        assertThat(reserve("h3", hold("a", 100, 1))).isEqualTo(new Refused("a", 0, 100, 100));
        assertThat(store.state("a")).isEqualTo(new State(0, 100));

        store.settle("h1", Map.of("a", 50L));
        assertThat(store.state("a")).isEqualTo(new State(50, 40));
        assertThat(reserve("h4", hold("a", 100, 10))).isInstanceOf(Granted.class); // 50 + 40 + 10 == 100
        assertThat(reserve("h5", hold("a", 100, 1))).isEqualTo(new Refused("a", 50, 50, 100));
        assertThat(store.state("a")).isEqualTo(new State(50, 50));
    }

    @Test
    void aRefusalHoldsNothingOnAnyCounter() {
        assertThat(reserve("setup", hold("b", 10, 5))).isInstanceOf(Granted.class);
        store.settle("setup", Map.of("b", 5L));

        // The counter that overflows first, in the middle, last: nothing is held anywhere each time.
        assertThat(reserve("h", hold("a", 100, 50), hold("b", 10, 6), hold("c", MAX, 7)))
                .isEqualTo(new Refused("b", 5, 0, 10));
        assertThat(reserve("h", hold("b", 10, 6), hold("a", 100, 50), hold("c", MAX, 7)))
                .isEqualTo(new Refused("b", 5, 0, 10));
        assertThat(reserve("h", hold("a", 100, 50), hold("c", MAX, 7), hold("b", 10, 6)))
                .isEqualTo(new Refused("b", 5, 0, 10));
        assertThat(store.state("a")).isEqualTo(new State(0, 0));
        assertThat(store.state("b")).isEqualTo(new State(5, 0));
        assertThat(store.state("c")).isEqualTo(new State(0, 0));

        // The refused id left no trace: the same id, now fitting, holds on all three.
        assertThat(reserve("h", hold("a", 100, 50), hold("b", 10, 5), hold("c", MAX, 7)))
                .isInstanceOf(Granted.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 50));
        assertThat(store.state("b")).isEqualTo(new State(5, 5));
        assertThat(store.state("c")).isEqualTo(new State(0, 7));
    }

    @Test
    void refusedNamesTheFirstCounterInTheCallersOrder() {
        assertThat(reserve("h", hold("x", 1, 2), hold("y", 1, 2))).isEqualTo(new Refused("x", 0, 0, 1));
        assertThat(reserve("h", hold("y", 1, 2), hold("x", 1, 2))).isEqualTo(new Refused("y", 0, 0, 1));
    }

    // ---- settle and release ----

    @Test
    void settlingBelowTheHoldGivesTheRestBackAndAbsentKeysSettleAtZero() {
        assertThat(reserve("h", hold("a", 1_000, 100), hold("b", 1_000, 40))).isInstanceOf(Granted.class);
        store.settle("h", Map.of("a", 30L));
        assertThat(store.state("a")).isEqualTo(new State(30, 0));
        assertThat(store.state("b")).isEqualTo(new State(0, 0));
        assertThat(reserve("h2", hold("a", 1_000, 970))).isInstanceOf(Granted.class); // 30 + 970 == 1000
    }

    @Test
    void settlingAboveTheHoldMayPassTheLimitAndThenEveryReserveIsRefused() {
        assertThat(reserve("h", hold("a", 100, 80))).isInstanceOf(Granted.class);
        store.settle("h", Map.of("a", 130L));
        assertThat(store.state("a")).isEqualTo(new State(130, 0));
        assertThat(reserve("h2", hold("a", 100, 1))).isEqualTo(new Refused("a", 130, 0, 100));
        assertThat(reserve("h3", hold("a", 100, 0))).isEqualTo(new Refused("a", 130, 0, 100));
        assertThat(store.state("a")).isEqualTo(new State(130, 0));
    }

    @Test
    void settleIgnoresCountersTheHoldIsNotOn() {
        assertThat(reserve("h", hold("a", 100, 10))).isInstanceOf(Granted.class);
        store.settle("h", Map.of("a", 5L, "z", 99L));
        assertThat(store.state("a")).isEqualTo(new State(5, 0));
        assertThat(store.state("z")).isEqualTo(new State(0, 0));
    }

    @Test
    void releaseGivesEverythingBack() throws Exception {
        assertThat(reserve("h", hold("a", 100, 70), hold("b", 50, 30))).isInstanceOf(Granted.class);
        store.release("h");
        assertThat(store.state("a")).isEqualTo(new State(0, 0));
        assertThat(store.state("b")).isEqualTo(new State(0, 0));
        assertThat(reserve("h2", hold("a", 100, 100), hold("b", 50, 50))).isInstanceOf(Granted.class);
        store.release("h2");
        assertThat(storedHolds()).isZero();
    }

    @Test
    void settleAndReleaseAreIdempotent() throws Exception {
        assertThat(reserve("h", hold("a", 100, 40))).isInstanceOf(Granted.class);
        store.settle("h", Map.of("a", 25L));
        store.settle("h", Map.of("a", 25L));
        store.release("h");
        assertThat(store.state("a")).isEqualTo(new State(25, 0));

        assertThat(reserve("r", hold("a", 100, 40))).isInstanceOf(Granted.class);
        store.release("r");
        store.release("r");
        store.settle("r", Map.of("a", 40L));
        assertThat(store.state("a")).isEqualTo(new State(25, 0));

        store.release("never-held");
        store.settle("never-held", Map.of("a", 1L));
        assertThat(store.state("a")).isEqualTo(new State(25, 0));
        assertThat(storedHolds()).isZero();
    }

    @Test
    void reservingAgainUnderAHeldIdReturnsTheFirstGrantAndHoldsOnce() {
        Reservation first = reserve("h", hold("a", 100, 10));
        assertThat(first).isEqualTo(new Granted("h", T0.plus(TTL)));
        clock.advance(Duration.ofMinutes(1));
        assertThat(reserve("h", hold("a", 100, 10))).isEqualTo(first);
        assertThat(store.state("a")).isEqualTo(new State(0, 10));
    }

    // ---- expiry ----

    @Test
    void sweepReleasesHoldsWhoseTimeIsUp() throws Exception {
        Reservation h1 = store.reserve("h1", List.of(hold("a", 100, 10)), Duration.ofSeconds(10));
        clock.advance(Duration.ofSeconds(5));
        Reservation h2 = store.reserve("h2", List.of(hold("a", 100, 20), hold("b", 100, 1)), Duration.ofSeconds(60));
        assertThat(h1).isEqualTo(new Granted("h1", T0.plusSeconds(10)));
        assertThat(h2).isEqualTo(new Granted("h2", T0.plusSeconds(65)));

        assertThat(store.sweep(T0.plusMillis(9_999))).isZero();
        assertThat(store.state("a")).isEqualTo(new State(0, 30));
        assertThat(store.sweep(T0.plusSeconds(10))).isEqualTo(1);
        assertThat(store.state("a")).isEqualTo(new State(0, 20));

        store.settle("h1", Map.of("a", 10L)); // too late: swept holds are ignored
        assertThat(store.state("a")).isEqualTo(new State(0, 20));
        assertThat(store.sweep(T0.plusSeconds(10))).isZero();

        assertThat(store.sweep(T0.plusSeconds(65))).isEqualTo(1);
        assertThat(store.state("a")).isEqualTo(new State(0, 0));
        assertThat(store.state("b")).isEqualTo(new State(0, 0));
        assertThat(store.sweep(T0.plusSeconds(3_600))).isZero();
        assertThat(storedHolds()).isZero();
    }

    @Test
    void sweepTakesManyHoldsAtOnce() throws Exception {
        for (int i = 0; i < 1_203; i++) { // more than one sweep batch
            assertThat(store.reserve("h" + i, List.of(hold("a", MAX, 1), hold("k" + (i % 7), MAX, 2)),
                    Duration.ofSeconds(1 + i % 3))).isInstanceOf(Granted.class);
        }
        assertThat(store.reserve("late", List.of(hold("a", MAX, 1)), Duration.ofHours(1)))
                .isInstanceOf(Granted.class);
        assertThat(store.sweep(T0.plusSeconds(3))).isEqualTo(1_203);
        assertThat(store.state("a")).isEqualTo(new State(0, 1));
        assertThat(store.state("k3")).isEqualTo(new State(0, 0));
        assertThat(storedHolds()).isEqualTo(1);
    }

    // ---- small things ----

    @Test
    void anUnknownCounterIsZero() {
        assertThat(store.state("nobody")).isEqualTo(new State(0, 0));
    }

    @Test
    void anEmptyReservationIsGrantedAndHoldsNothing() throws Exception {
        assertThat(store.reserve("e", List.of(), TTL)).isEqualTo(new Granted("e", T0.plus(TTL)));
        store.settle("e", Map.of());
        assertThat(storedHolds()).isZero();
    }

    @Test
    void mistakesAreRejectedBeforeAnythingIsHeld() {
        assertThatThrownBy(() -> reserve("h", hold("a", 100, 1), hold("a", 100, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> store.reserve("h", List.of(hold("a", 100, 1)), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.reserve("", List.of(hold("a", 100, 1)), TTL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 0));
        assertThat(reserve("h", hold("a", 100, 1))).isInstanceOf(Granted.class);
        assertThatThrownBy(() -> store.settle("h", Map.of("a", -1L))).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 1));
    }

    @Test
    void amountsAreExactIntegersBeyondWhatADoubleHolds() {
        long twoTo53 = 1L << 53;
        long limit = twoTo53 + 1; // not a double: (double) limit == 2^53
        assertThat(reserve("big1", hold("n", limit, twoTo53))).isInstanceOf(Granted.class);
        assertThat(reserve("big2", hold("n", limit, 1))).isInstanceOf(Granted.class); // == limit
        assertThat(reserve("big3", hold("n", limit, 1))).isEqualTo(new Refused("n", 0, limit, limit));
        store.settle("big1", Map.of("n", twoTo53 + 1));
        assertThat(store.state("n")).isEqualTo(new State(twoTo53 + 1, 1));

        // Count-only counters (limit MAX) reach MAX exactly and never wrap.
        assertThat(reserve("m1", hold("m", MAX, MAX - 1))).isInstanceOf(Granted.class);
        assertThat(reserve("m2", hold("m", MAX, 1))).isInstanceOf(Granted.class);
        assertThat(reserve("m3", hold("m", MAX, 1))).isEqualTo(new Refused("m", 0, MAX, MAX));
        store.settle("m1", Map.of("m", MAX - 1));
        store.settle("m2", Map.of("m", 5L)); // would pass MAX: saturates
        assertThat(store.state("m")).isEqualTo(new State(MAX, 0));
    }

    // ---- concurrency ----

    static final String SHARED = "team:concurrent";

    /** What a race did: reservations granted and refused, and the sum of what was settled. */
    record Race(long granted, long refused, long settled) {
    }

    /**
     * {@code ops} reserve+settle pairs of 100..300 (settled at half to all of the hold) under one limit, from
     * {@code threads} threads spread over {@code stores}, all released at once.
     */
    static Race race(List<CounterStore> stores, int threads, int ops, long limit) throws Exception {
        return race(stores, threads, ops, limit, "op-", 42);
    }

    /** The same, with hold ids {@code idPrefix + n} and amounts drawn from seeds {@code seed + n}. */
    static Race race(List<CounterStore> stores, int threads, int ops, long limit, String idPrefix, long seed)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        AtomicLong granted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong settled = new AtomicLong();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < ops; i++) {
                int op = i;
                CounterStore s = stores.get(i % stores.size());
                done.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed + op);
                    long amount = 100 + r.nextInt(201);
                    long actual = amount / 2 + r.nextInt((int) (amount / 2) + 1);
                    start.await();
                    Reservation res = s.reserve(idPrefix + op, List.of(hold(SHARED, limit, amount)), TTL);
                    if (res instanceof Granted) {
                        s.settle(idPrefix + op, Map.of(SHARED, actual));
                        settled.addAndGet(actual);
                        granted.incrementAndGet();
                    } else {
                        Refused no = (Refused) res;
                        assertThat(no.key()).isEqualTo(SHARED);
                        assertThat(no.used() + no.held() + amount).isGreaterThan(limit);
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES); // a safety net against a hang, not a speed check
            }
        } finally {
            pool.shutdownNow();
        }
        return new Race(granted.get(), refused.get(), settled.get());
    }

    void assertRaceKeptTheLimit(Race race, long limit) throws Exception {
        State end = store.state(SHARED);
        System.out.printf("%s race: %d granted, %d refused, used %d of %d%n", getClass().getSimpleName(),
                race.granted(), race.refused(), end.used(), limit);
        assertThat(race.granted() + race.refused()).isEqualTo(1_000);
        assertThat(race.refused()).as("demand exceeded the limit").isPositive();
        assertThat(end.held()).isZero();
        assertThat(end.used()).as("used == what was settled").isEqualTo(race.settled());
        assertThat(end.used()).as("never past the limit").isLessThanOrEqualTo(limit);
        assertThat(end.used()).as("at least 90% of the limit used").isGreaterThanOrEqualTo(limit * 9 / 10);
        assertThat(storedHolds()).isZero();
    }

    @Test
    void aThousandConcurrentReservationsFrom32ThreadsNeverPassTheLimit() throws Exception {
        long limit = 100_000;
        assertRaceKeptTheLimit(race(List.of(store), 32, 1_000, limit), limit);
    }

    @Test
    void twoInstancesRacingOnOneCounterNeverPassTheLimit() throws Exception {
        long limit = 100_000;
        assertRaceKeptTheLimit(race(List.of(store, another()), 32, 1_000, limit), limit);
    }

    @Test
    void concurrentMultiCounterReservationsAreAllOrNothing() throws Exception {
        // Each request holds on the team counter and on one of 8 user counters; users have tight limits of
        // their own. If any hold were partial, the users' sums would not add up to the team's.
        long teamLimit = 60_000;
        long userLimit = 9_000;
        int ops = 800;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch start = new CountDownLatch(1);
        AtomicLongArray perUser = new AtomicLongArray(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < ops; i++) {
                int op = i;
                done.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(7 + op);
                    int user = op % 8;
                    long amount = 50 + r.nextInt(151);
                    start.await();
                    Reservation res = store.reserve("m-" + op, List.of(hold("team", teamLimit, amount),
                            hold("user" + user, userLimit, amount)), TTL);
                    if (res instanceof Granted) {
                        store.settle("m-" + op, Map.of("team", amount, "user" + user, amount));
                        perUser.addAndGet(user, amount);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        long sum = 0;
        Map<String, State> users = new HashMap<>();
        for (int u = 0; u < 8; u++) {
            State s = store.state("user" + u);
            users.put("user" + u, s);
            assertThat(s.used()).isEqualTo(perUser.get(u)).isLessThanOrEqualTo(userLimit);
            assertThat(s.held()).isZero();
            sum += s.used();
        }
        State team = store.state("team");
        assertThat(team.used()).as("team == sum of users %s", users).isEqualTo(sum).isLessThanOrEqualTo(teamLimit);
        assertThat(team.held()).isZero();
        assertThat(storedHolds()).isZero();
    }
}
