package dev.tokenrt.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenLoopTest {

    private static final long MS = 1_000_000L;

    /** A clock the test moves by hand. */
    private static final class FakeClock {
        long now;
    }

    @Test
    void schedulesAtTheFixedRateWhateverTheAnswersDo() {
        FakeClock clock = new FakeClock();
        List<OpenLoop.Shot> sent = new ArrayList<>();
        // 1000/s from t=0: one every ms; no warm-up; a 10 ms window.
        OpenLoop loop = new OpenLoop(0, 1000, 0, 10 * MS, () -> clock.now, sent::add);

        assertThat(loop.tick()).isEqualTo(1); // request 0 is due at t=0
        clock.now = 3 * MS + MS / 2;
        assertThat(loop.tick()).isEqualTo(3); // 1, 2, 3; none has been answered: open loop sends regardless
        assertThat(sent).extracting(s -> s.intendedNanos).containsExactly(0L, MS, 2 * MS, 3 * MS);
        assertThat(loop.firstNotDue(3 * MS + MS / 2)).isEqualTo(4);
        assertThat(loop.firstNotDue(4 * MS)).isEqualTo(5);

        clock.now = 50 * MS; // long after the window: only the 10 requests due inside it are ever sent
        assertThat(loop.tick()).isEqualTo(6);
        assertThat(loop.allSent()).isTrue();
        assertThat(loop.tick()).isZero();
        assertThat(sent).hasSize(10);
    }

    @Test
    void latencyRunsFromTheIntendedSendTimeSoAStallIsCounted() {
        FakeClock clock = new FakeClock();
        List<OpenLoop.Shot> sent = new ArrayList<>();
        OpenLoop loop = new OpenLoop(0, 1000, 0, 100 * MS, () -> clock.now, sent::add);

        // The generator (or the server) stalls for 50 ms: requests due at 0..50 ms all go out at 50 ms and are
        // answered 1 ms later. A closed-loop tool would record one slow request; here each keeps its own wait.
        clock.now = 50 * MS;
        assertThat(loop.tick()).isEqualTo(51);
        clock.now = 51 * MS;
        sent.forEach(loop::succeeded);

        LoadResult r = loop.finish();
        assertThat(r.ok()).isEqualTo(51);
        assertThat(r.latency().max()).isCloseTo(51_000L, within(51L)); // request 0: due at 0, answered at 51 ms (HdrHistogram: 3 digits)
        assertThat(r.latency().p50()).isCloseTo(26_000L, within(26L)); // request 25: due at 25 ms → 26 ms
        assertThat(r.sendLag().max()).isCloseTo(50_000L, within(50L));
        assertThat(r.service().max()).isEqualTo(1_000); // what a closed-loop tool would have reported for each
        // 49 requests due in 51..99 ms were never sent in this test: not counted as sent
        assertThat(r.sent()).isEqualTo(51);
        assertThat(r.errors()).isEmpty();
    }

    @Test
    void warmupIsSentButNotRecordedAndUnansweredRequestsAreErrors() {
        FakeClock clock = new FakeClock();
        List<OpenLoop.Shot> sent = new ArrayList<>();
        // 100/s: one every 10 ms; 50 ms warm-up (5 requests), then a 100 ms window (10 requests).
        OpenLoop loop = new OpenLoop(0, 100, 50 * MS, 100 * MS, () -> clock.now, sent::add);
        assertThat(loop.measureFromNanos()).isEqualTo(50 * MS);
        assertThat(loop.endNanos()).isEqualTo(150 * MS);

        clock.now = 149 * MS;
        assertThat(loop.tick()).isEqualTo(15);
        assertThat(sent).filteredOn(s -> s.measured).hasSize(10);

        // Answer the stream-style way: a first chunk 2 ms after the due time, the end 5 ms after.
        for (OpenLoop.Shot s : sent) {
            if (s.index == 12) {
                continue; // never answered
            }
            clock.now = s.intendedNanos + 2 * MS;
            loop.firstChunk(s);
            clock.now = s.intendedNanos + 5 * MS;
            if (s.index == 7) {
                loop.failed(s, "http_502");
            } else {
                loop.succeeded(s);
            }
        }
        assertThat(loop.inFlight()).isEqualTo(1);

        LoadResult r = loop.finish();
        assertThat(r.sent()).isEqualTo(10);
        assertThat(r.ok()).isEqualTo(8);
        assertThat(r.errors()).containsEntry("http_502", 1L).containsEntry("unfinished", 1L);
        assertThat(r.errorSummary()).isEqualTo("http_502=1;unfinished=1");
        assertThat(r.latency().count()).isEqualTo(8);
        assertThat(r.latency().p50()).isCloseTo(5_000L, within(5L));
        assertThat(r.latency().max()).isCloseTo(5_000L, within(5L));
        assertThat(r.firstChunk().max()).isEqualTo(2_000);
        // 8 answers inside the 0.1 s window (the one due at 140 ms ends at 145 ms, still inside) → 80/s
        assertThat(r.okPerSecond()).isEqualTo(80.0);

        // A late answer after the end changes nothing.
        OpenLoop.Shot late = sent.get(12);
        loop.succeeded(late);
        assertThat(loop.finish().ok()).isEqualTo(8);
    }

    @Test
    void theScheduleHoldsAtFractionalIntervals() {
        // 3 requests per second: due at 0, 333.33 ms, 666.67 ms, 1 s, ...
        OpenLoop loop = new OpenLoop(1_000, 3, 0, 10_000 * MS, () -> 0L, s -> { });
        assertThat(loop.intendedNanos(3)).isEqualTo(1_000 + 1_000 * MS);
        for (long t : new long[] {0, 1_000, 1_001, 333_334_333L, 333_334_334L, 999_999_999L, 1_000_001_000L}) {
            long i = loop.firstNotDue(t);
            assertThat(i == 0 || loop.intendedNanos(i - 1) <= t).as("due before %d", t).isTrue();
            assertThat(loop.intendedNanos(i)).as("not due at %d", t).isGreaterThan(t);
        }
    }
}
