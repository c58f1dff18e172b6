package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.GcraRateLimiter.Decision;
import dev.tokenrt.budget.RateLimit.Per;
import dev.tokenrt.budget.RateLimit.Subject;
import dev.tokenrt.budget.RateLimit.Unit;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GcraRateLimiterTest {

    static final Attribution KEY1 = new Attribution("key-1", "alice", "proj", "", "", List.of());
    static final Attribution KEY2 = new Attribution("key-2", "bob", "proj", "", "", List.of());

    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");

    boolean allowed(GcraRateLimiter l, Attribution who) {
        Decision d = l.acquire(who, "gpt-4o", 0, 0);
        if (d instanceof Decision.Allowed a) {
            a.permit().settle(0, 0);
            return true;
        }
        return false;
    }

    static GcraRateLimiter.Permit permit(Decision d) {
        return ((Decision.Allowed) d).permit();
    }

    @Test
    void afterTheBurstItLetsOneRequestASecondThrough() {
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE).withBurst(10);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(rpm));
        for (int i = 0; i < 10; i++) {
            assertThat(allowed(l, KEY1)).as("burst request %d", i).isTrue();
        }
        Decision refused = l.acquire(KEY1, "gpt-4o", 0, 0);
        assertThat(refused).isEqualTo(new Decision.Limited(rpm, "key-1", 1, java.util.Optional.of(Duration.ofSeconds(1))));
        // Two attempts every second for two minutes: exactly one of each pair passes.
        for (int s = 0; s < 120; s++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(allowed(l, KEY1)).as("second %d, first try", s).isTrue();
            assertThat(allowed(l, KEY1)).as("second %d, second try", s).isFalse();
        }
        // Other keys have their own bucket.
        assertThat(allowed(l, KEY2)).isTrue();
    }

    /** A fixed one-minute window counter, the thing GCRA replaces, for comparison. */
    static final class FixedWindow {
        final long limit;
        final Map<Long, Long> counts = new HashMap<>();

        FixedWindow(long limit) {
            this.limit = limit;
        }

        boolean allowed(Instant t) {
            long minute = t.getEpochSecond() / 60;
            long n = counts.merge(minute, 1L, Long::sum);
            return n <= limit;
        }
    }

    @Test
    void noDoubleBurstAcrossTheTopOfTheMinute() {
        // A client sends 60 requests at 10:00:59.5 and 60 more at 10:01:00.5 (after an idle spell).
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE); // burst = 60
        GcraRateLimiter gcra = new GcraRateLimiter(clock, List.of(rpm));
        FixedWindow fixed = new FixedWindow(60);
        Instant first = Instant.parse("2026-05-14T10:00:59.500Z");
        Instant second = Instant.parse("2026-05-14T10:01:00.500Z");
        int gcraPassed = 0;
        int fixedPassed = 0;
        for (Instant t : List.of(first, second)) {
            clock.set(t);
            for (int i = 0; i < 60; i++) {
                gcraPassed += allowed(gcra, KEY1) ? 1 : 0;
                fixedPassed += fixed.allowed(t) ? 1 : 0;
            }
        }
        assertThat(fixedPassed).isEqualTo(120);
        // GCRA: the full burst, then only what one second refills (60 per minute = 1 per second).
        assertThat(gcraPassed).isEqualTo(61);
    }

    @Test
    void inAnyMinuteAtMostBurstPlusRatePassEvenUnderConstantPressure() {
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE).withBurst(10);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(rpm));
        List<Instant> passed = new ArrayList<>();
        for (int tick = 0; tick < 3000; tick++) { // every 100 ms for 5 minutes
            if (allowed(l, KEY1)) {
                passed.add(clock.instant());
            }
            clock.advance(Duration.ofMillis(100));
        }
        int maxInAMinute = 0;
        for (int i = 0; i < passed.size(); i++) {
            Instant end = passed.get(i).plusSeconds(60);
            int n = 0;
            for (int j = i; j < passed.size() && passed.get(j).isBefore(end); j++) {
                n++;
            }
            maxInAMinute = Math.max(maxInAMinute, n);
        }
        assertThat(maxInAMinute).isEqualTo(10 + 60 - 1); // the burst, then one a second for the other 59 s
        assertThat(passed).hasSize(10 + 299); // 5 minutes of one a second after the burst
        // After the burst they are exactly one second apart: smooth, no clumps at window edges.
        for (int i = 11; i < passed.size(); i++) {
            assertThat(Duration.between(passed.get(i - 1), passed.get(i))).isEqualTo(Duration.ofSeconds(1));
        }
    }

    @Test
    void aRateThatIsNotAWholeNumberOfNanosecondsIsExact() {
        // 7 per minute: one every 8.571428571428… s. Waiting exactly the retry-after each time, the 8th request
        // passes at exactly 60 s: rounding errors would have drifted it.
        RateLimit r = RateLimit.each("r7", Subject.KEY, Unit.REQUESTS, 7, Per.MINUTE).withBurst(1);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(r));
        Instant start = clock.instant();
        assertThat(allowed(l, KEY1)).isTrue();
        for (int i = 1; i <= 7; i++) {
            Decision d = l.acquire(KEY1, "m", 0, 0);
            Duration wait = ((Decision.Limited) d).retryAfter().orElseThrow();
            clock.advance(wait);
            assertThat(allowed(l, KEY1)).as("request %d after its retry-after", i).isTrue();
        }
        // Rounded up to whole nanoseconds at each step, but never more than a nanosecond per step.
        Duration elapsed = Duration.between(start, clock.instant());
        assertThat(elapsed).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(60).plusNanos(7));
        // A burst of 7 drains back to full in exactly 60 s, not a nanosecond earlier: with T rounded down to
        // 8,571,428,571 ns it would be full 3 ns early; rounded up, 4 ns late.
        RateLimit burst7 = r.withBurst(7);
        GcraRateLimiter full = new GcraRateLimiter(clock, List.of(burst7));
        Instant t0 = clock.instant();
        for (int i = 0; i < 7; i++) {
            assertThat(full.acquire(KEY1, "m", 0, 0)).isInstanceOf(Decision.Allowed.class);
        }
        Decision.Limited eighth = (Decision.Limited) full.acquire(KEY1, "m", 0, 0);
        assertThat(eighth.retryAfter()).hasValue(Duration.ofNanos(8_571_428_572L));
        clock.set(t0.plusSeconds(60).minusNanos(1));
        assertThat(full.available(burst7, "key-1")).isEqualTo(6);
        clock.set(t0.plusSeconds(60));
        assertThat(full.available(burst7, "key-1")).isEqualTo(7);
    }

    @Test
    void outputIsReservedFromMaxTokensAndCorrectedOnSettle() {
        RateLimit otpm = RateLimit.each("otpm", Subject.KEY, Unit.OUTPUT_TOKENS, 1000, Per.MINUTE);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(otpm));
        GcraRateLimiter.Permit first = permit(l.acquire(KEY1, "m", 50, 800));
        assertThat(l.available(otpm, "key-1")).isEqualTo(200);
        Decision.Limited refused = (Decision.Limited) l.acquire(KEY1, "m", 50, 800);
        assertThat(refused.retryAfter()).hasValue(Duration.ofSeconds(36)); // 600 tokens at 60 ms each
        first.settle(50, 100);
        assertThat(l.available(otpm, "key-1")).isEqualTo(900);
        assertThat(l.acquire(KEY1, "m", 50, 800)).isInstanceOf(Decision.Allowed.class);
        // A second settle changes nothing.
        first.settle(50, 0);
        assertThat(l.available(otpm, "key-1")).isEqualTo(100);
        // Using more than was reserved is charged too.
        GcraRateLimiter.Permit small = permit(l.acquire(KEY1, "m", 50, 50));
        small.settle(50, 90);
        assertThat(l.available(otpm, "key-1")).isEqualTo(10);
    }

    @Test
    void releaseRefundsTokensButKeepsTheRequestCounted() {
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 1, Per.MINUTE);
        RateLimit itpm = RateLimit.each("itpm", Subject.KEY, Unit.INPUT_TOKENS, 10_000, Per.MINUTE);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(rpm, itpm));
        GcraRateLimiter.Permit p = permit(l.acquire(KEY1, "m", 4000, 0));
        assertThat(l.available(itpm, "key-1")).isEqualTo(6000);
        p.release();
        assertThat(p.isDone()).isTrue();
        assertThat(l.available(itpm, "key-1")).isEqualTo(10_000);
        assertThat(l.available(rpm, "key-1")).isZero();
        assertThat(l.acquire(KEY1, "m", 1, 0)).isInstanceOf(Decision.Limited.class);
    }

    @Test
    void aRequestIsAdmittedOnEveryLimitOrOnNone() {
        RateLimit keyTokens = RateLimit.each("key-itpm", Subject.KEY, Unit.INPUT_TOKENS, 100_000, Per.MINUTE);
        RateLimit modelTokens = new RateLimit("model-itpm", Subject.MODEL, java.util.Optional.of("gpt-4o"),
                Unit.INPUT_TOKENS, 5_000, Per.MINUTE, 5_000);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(keyTokens, modelTokens));
        permit(l.acquire(KEY2, "gpt-4o", 4_000, 0));
        Decision d = l.acquire(KEY1, "gpt-4o", 2_000, 0);
        assertThat(d).isInstanceOf(Decision.Limited.class);
        assertThat(((Decision.Limited) d).limit()).isEqualTo(modelTokens);
        assertThat(l.available(keyTokens, "key-1")).isEqualTo(100_000);
        // The model limit names one model: others are not limited by it.
        assertThat(l.acquire(KEY1, "gpt-4o-mini", 2_000, 0)).isInstanceOf(Decision.Allowed.class);
    }

    @Test
    void aRequestLargerThanTheBurstCanNeverPass() {
        RateLimit tpm = RateLimit.each("tpm", Subject.USER, Unit.OUTPUT_TOKENS, 1000, Per.MINUTE);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(tpm));
        Decision.Limited d = (Decision.Limited) l.acquire(KEY1, "m", 0, 1001);
        assertThat(d.retryAfter()).isEmpty();
        assertThat(d.subjectId()).isEqualTo("alice");
        assertThat(d.requested()).isEqualTo(1001);
    }

    @Test
    void requestsWithoutTheSubjectAreNotLimitedByIt() {
        RateLimit perProject = RateLimit.each("p", Subject.PROJECT, Unit.REQUESTS, 1, Per.HOUR);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(perProject));
        Attribution noProject = new Attribution("key-3", "", "", "", "", List.of());
        for (int i = 0; i < 5; i++) {
            assertThat(allowed(l, noProject)).isTrue();
        }
        assertThat(allowed(l, KEY1)).isTrue();
        assertThat(allowed(l, KEY2)).isFalse(); // same project
        clock.advance(Duration.ofHours(1));
        assertThat(allowed(l, KEY2)).isTrue();
    }

    @Test
    void hugeLimitsDoNotOverflow() {
        RateLimit big = RateLimit.each("tph", Subject.KEY, Unit.INPUT_TOKENS, 2_000_000_000L, Per.HOUR);
        GcraRateLimiter l = new GcraRateLimiter(clock, List.of(big));
        permit(l.acquire(KEY1, "m", 1_999_999_999L, 0));
        Decision.Limited d = (Decision.Limited) l.acquire(KEY1, "m", 2, 0);
        // One token short: a token takes 3600 s / 2e9 = 1.8 µs.
        assertThat(d.retryAfter()).hasValue(Duration.ofNanos(1800));
        clock.advance(Duration.ofNanos(1800));
        assertThat(l.acquire(KEY1, "m", 2, 0)).isInstanceOf(Decision.Allowed.class);
    }

    @Test
    void drainedBucketsAreForgotten() {
        RateLimit itpm = RateLimit.each("itpm", Subject.KEY, Unit.INPUT_TOKENS, 1000, Per.MINUTE);
        InMemoryRateLimitStore store = new InMemoryRateLimitStore();
        GcraRateLimiter l = new GcraRateLimiter(clock, RateLimitSource.of(List.of(itpm)), store);
        GcraRateLimiter.Permit p = permit(l.acquire(KEY1, "m", 500, 0));
        assertThat(store.buckets()).isEqualTo(1);
        p.settle(0, 0);
        assertThat(store.buckets()).isZero();
    }
}
