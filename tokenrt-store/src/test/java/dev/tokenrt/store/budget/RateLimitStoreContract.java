package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.GcraRateLimiter;
import dev.tokenrt.budget.GcraRateLimiter.Decision;
import dev.tokenrt.budget.InMemoryRateLimitStore;
import dev.tokenrt.budget.RateLimit;
import dev.tokenrt.budget.RateLimit.Per;
import dev.tokenrt.budget.RateLimit.Subject;
import dev.tokenrt.budget.RateLimit.Unit;
import dev.tokenrt.budget.RateLimitSource;
import dev.tokenrt.budget.RateLimitStore;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RateLimitStore} must do, through the limiter that uses it, with time from a {@link MutableClock}.
 * A subclass supplies the engine; the in-memory store is the reference the others must match to the nanosecond.
 */
abstract class RateLimitStoreContract {

    static final Attribution KEY1 = new Attribution("key-1", "alice", "proj", "", "", List.of());
    static final Attribution KEY2 = new Attribution("key-2", "bob", "proj", "", "", List.of());

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T12:00:00Z"));
    final List<RateLimitStore> opened = new ArrayList<>();

    /** A new store on this test's buckets: two calls give two instances (two replicas) sharing them. */
    abstract RateLimitStore open();

    RateLimitStore store() {
        RateLimitStore s = open();
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(RateLimitStore::close);
    }

    GcraRateLimiter limiter(RateLimitStore store, RateLimit... limits) {
        return new GcraRateLimiter(clock, RateLimitSource.of(List.of(limits)), store);
    }

    static boolean allowed(GcraRateLimiter l, Attribution who) {
        Decision d = l.acquire(who, "gpt-4o", 0, 0);
        if (d instanceof Decision.Allowed a) {
            a.permit().settle(0, 0);
            return true;
        }
        return false;
    }

    @Test
    void twoReplicasTogetherAdmitTheBurstThenOneASecondNotTwice() {
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE).withBurst(10);
        GcraRateLimiter a = limiter(store(), rpm);
        GcraRateLimiter b = limiter(store(), rpm);
        int passed = 0;
        for (int i = 0; i < 20; i++) {
            passed += allowed(i % 2 == 0 ? a : b, KEY1) ? 1 : 0;
        }
        assertThat(passed).isEqualTo(10);
        Decision refused = b.acquire(KEY1, "gpt-4o", 0, 0);
        assertThat(refused).isEqualTo(new Decision.Limited(rpm, "key-1", 1, Optional.of(Duration.ofSeconds(1))));
        for (int s = 0; s < 30; s++) {
            clock.advance(Duration.ofSeconds(1));
            GcraRateLimiter first = s % 2 == 0 ? a : b;
            GcraRateLimiter second = s % 2 == 0 ? b : a;
            assertThat(allowed(first, KEY1)).as("second %d, one replica", s).isTrue();
            assertThat(allowed(second, KEY1)).as("second %d, the other", s).isFalse();
        }
        assertThat(allowed(a, KEY2)).as("another key has its own bucket").isTrue();
    }

    @Test
    void aRateThatIsNotAWholeNumberOfNanosecondsDoesNotDrift() {
        RateLimit r = RateLimit.each("r7", Subject.KEY, Unit.REQUESTS, 7, Per.MINUTE).withBurst(1);
        GcraRateLimiter l = limiter(store(), r);
        Instant start = clock.instant();
        assertThat(allowed(l, KEY1)).isTrue();
        for (int i = 1; i <= 7; i++) {
            Duration wait = ((Decision.Limited) l.acquire(KEY1, "m", 0, 0)).retryAfter().orElseThrow();
            clock.advance(wait.minusNanos(1));
            assertThat(allowed(l, KEY1)).as("request %d a nanosecond early", i).isFalse();
            clock.advance(Duration.ofNanos(1));
            assertThat(allowed(l, KEY1)).as("request %d at its retry-after", i).isTrue();
        }
        assertThat(Duration.between(start, clock.instant()))
                .isBetween(Duration.ofSeconds(60), Duration.ofSeconds(60).plusNanos(7));
    }

    @Test
    void aRequestThatOneBucketRefusesTakesNothingFromTheOthers() {
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 100, Per.MINUTE);
        RateLimit itpm = RateLimit.each("itpm", Subject.KEY, Unit.INPUT_TOKENS, 1000, Per.MINUTE);
        GcraRateLimiter l = limiter(store(), rpm, itpm);
        Decision big = l.acquire(KEY1, "m", 999, 0);
        assertThat(big).isInstanceOf(Decision.Allowed.class);
        Decision more = l.acquire(KEY1, "m", 2, 0);
        assertThat(more).isInstanceOf(Decision.Limited.class);
        assertThat(((Decision.Limited) more).limit()).isEqualTo(itpm);
        assertThat(l.available(rpm, "key-1")).as("the refused request took no request").isEqualTo(99);
        assertThat(l.available(itpm, "key-1")).isEqualTo(1);
    }

    @Test
    void outputReservedFromMaxTokensIsCorrectedOnSettleAndRefundedOnRelease() {
        RateLimit otpm = RateLimit.each("otpm", Subject.KEY, Unit.OUTPUT_TOKENS, 1000, Per.MINUTE);
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 10, Per.MINUTE);
        GcraRateLimiter l = limiter(store(), otpm, rpm);
        GcraRateLimiter.Permit p = ((Decision.Allowed) l.acquire(KEY1, "m", 0, 800)).permit();
        assertThat(l.available(otpm, "key-1")).isEqualTo(200);
        p.settle(0, 100);
        assertThat(l.available(otpm, "key-1")).isEqualTo(900);
        GcraRateLimiter.Permit q = ((Decision.Allowed) l.acquire(KEY1, "m", 0, 900)).permit();
        assertThat(l.available(otpm, "key-1")).isZero();
        q.release();
        assertThat(l.available(otpm, "key-1")).isEqualTo(900);
        assertThat(l.available(rpm, "key-1")).as("a released request still counts").isEqualTo(8);
        // Used more than reserved: the bucket goes past full, and the next request waits for the excess to drain.
        GcraRateLimiter.Permit r = ((Decision.Allowed) l.acquire(KEY1, "m", 0, 10)).permit();
        r.settle(0, 1000);
        assertThat(l.available(otpm, "key-1")).isZero();
        Decision.Limited wait = (Decision.Limited) l.acquire(KEY1, "m", 0, 1);
        // 100 + 1000 taken of 1000: 101 tokens over, at 1000 a minute = 6.06 s.
        assertThat(wait.retryAfter()).hasValue(Duration.ofMillis(6060));
    }

    @Test
    void decidesExactlyAsTheInMemoryReferenceOnRandomTrafficWithHugeAndOddRates() {
        List<RateLimit> limits = List.of(
                RateLimit.each("odd", Subject.KEY, Unit.REQUESTS, 7, Per.MINUTE).withBurst(3),
                RateLimit.each("tpm", Subject.KEY, Unit.INPUT_TOKENS, 90_001, Per.MINUTE).withBurst(120_000),
                RateLimit.each("huge", Subject.PROJECT, Unit.OUTPUT_TOKENS, Long.MAX_VALUE, Per.HOUR)
                        .withBurst(Long.MAX_VALUE),
                RateLimit.each("slow", Subject.MODEL, Unit.OUTPUT_TOKENS, 3, Per.HOUR).withBurst(5_000_000_000L));
        GcraRateLimiter engine = limiter(store(), limits.toArray(RateLimit[]::new));
        GcraRateLimiter reference = limiter(new InMemoryRateLimitStore(), limits.toArray(RateLimit[]::new));
        SplittableRandom random = new SplittableRandom(42);
        List<GcraRateLimiter.Permit[]> open = new ArrayList<>();
        int admitted = 0;
        int limited = 0;
        for (int step = 0; step < 400; step++) {
            clock.advance(Duration.ofNanos(random.nextLong(1, 3_000_000_000L)));
            Attribution who = random.nextBoolean() ? KEY1 : KEY2;
            long in = random.nextLong(0, 60_000);
            long out = random.nextInt(10) == 0 ? random.nextLong(1L << 62) : random.nextLong(0, 2_000_000L);
            Decision e = engine.acquire(who, "m", in, out);
            Decision r = reference.acquire(who, "m", in, out);
            if (r instanceof Decision.Limited) {
                assertThat(e).as("step %d", step).isEqualTo(r);
                limited++;
            } else {
                assertThat(e).as("step %d", step).isInstanceOf(Decision.Allowed.class);
                open.add(new GcraRateLimiter.Permit[] {((Decision.Allowed) e).permit(), ((Decision.Allowed) r).permit()});
                admitted++;
            }
            if (!open.isEmpty() && random.nextInt(3) == 0) {
                GcraRateLimiter.Permit[] p = open.remove(random.nextInt(open.size()));
                long actualIn = random.nextLong(0, in + 1);
                long actualOut = random.nextLong(0, 3_000_000L);
                if (random.nextInt(5) == 0) {
                    p[0].release();
                    p[1].release();
                } else {
                    p[0].settle(actualIn, actualOut);
                    p[1].settle(actualIn, actualOut);
                }
            }
            for (RateLimit l : limits) {
                String subject = l.subject() == Subject.MODEL ? "m" : l.subject() == Subject.PROJECT ? "proj"
                        : who.keyId();
                assertThat(engine.available(l, subject)).as("step %d, %s", step, l.id())
                        .isEqualTo(reference.available(l, subject));
            }
        }
        assertThat(admitted).as("admitted (limited %d)", limited).isGreaterThan(20);
        assertThat(limited).as("limited").isGreaterThan(20);
    }
}
