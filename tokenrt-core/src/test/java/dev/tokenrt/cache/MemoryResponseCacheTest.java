package dev.tokenrt.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory layer's background encoding: entries turn into bytes in rounds, without anyone asking. */
class MemoryResponseCacheTest {

    private final Clock clock = Clock.fixed(Instant.parse("2026-06-01T10:30:00Z"), ZoneOffset.UTC);

    @Test
    void storedEntriesAreEncodedByTheNextRoundOnTheirOwn() throws InterruptedException {
        MemoryResponseCache m = new MemoryResponseCache(64L << 20, clock);
        try {
            CachedResponse large = CacheCodecTest.sample("The answer is forty-two. ".repeat(400));
            CachedResponse small = CacheCodecTest.sample("hi");
            for (int i = 0; i < 50; i++) {
                m.put(new CacheKey("project:a", "large" + i), large);
                m.put(new CacheKey("project:a", "small" + i), small);
            }
            long fresh = m.weightedBytes();
            // No call to encoded(): the round scheduled by the first put encodes them all (deflating the large).
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (m.weightedBytes() > fresh / 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(m.weightedBytes()).isLessThan(fresh / 4);
            for (int i = 0; i < 50; i++) {
                assertThat(m.get(new CacheKey("project:a", "large" + i), clock.instant())).contains(large);
                assertThat(m.get(new CacheKey("project:a", "small" + i), clock.instant())).contains(small);
            }
            // A later put starts another round.
            m.put(new CacheKey("project:a", "later"), large);
            long withLater = m.weightedBytes();
            deadline = System.nanoTime() + 5_000_000_000L;
            while (m.weightedBytes() >= withLater && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(m.weightedBytes()).isLessThan(withLater);
            assertThat(m.get(new CacheKey("project:a", "later"), clock.instant())).contains(large);
        } finally {
            m.close();
        }
    }

    @Test
    void encodedEncodesAtOnceAndWaits() {
        MemoryResponseCache m = new MemoryResponseCache(64L << 20, clock);
        try {
            CachedResponse large = CacheCodecTest.sample("The answer is forty-two. ".repeat(400));
            m.put(new CacheKey("project:a", "k"), large);
            long fresh = m.weightedBytes();
            assertThat(m.encoded(5_000)).isTrue();
            assertThat(m.weightedBytes()).isLessThan(fresh / 4);
            assertThat(m.encoded(5_000)).isTrue(); // nothing left: true at once
        } finally {
            m.close();
        }
    }

    @Test
    void aKeyStoredAgainIsDecidedByItsNewestAnswerUntilThatIsEncodedToo() {
        MemoryResponseCache m = new MemoryResponseCache(64L << 20, clock);
        try {
            CacheKey k = new CacheKey("project:a", "k");
            CachedResponse old = withTags(CacheCodecTest.sample("old"), "x");
            CachedResponse newer = withTags(CacheCodecTest.sample("new"), "y");
            m.put(k, old);
            assertThat(m.encoded(5_000)).isTrue(); // the old answer is in the off-heap log
            m.put(k, newer); // the new one is still fresh
            assertThat(m.get(k, clock.instant())).contains(newer);
            assertThat(m.size()).isEqualTo(1);
            assertThat(m.invalidate(Invalidation.ALL.withTag("x"))).as("the old answer's tag").isZero();
            assertThat(m.get(k, clock.instant())).contains(newer);
            assertThat(m.invalidate(Invalidation.ALL.withTag("y"))).isEqualTo(1);
            assertThat(m.get(k, clock.instant())).as("the older answer does not come back").isEmpty();
            assertThat(m.size()).isZero();
            assertThat(m.encoded(5_000)).isTrue();
            assertThat(m.get(k, clock.instant())).as("nor is the invalidated one encoded back in").isEmpty();
        } finally {
            m.close();
        }
    }

    @Test
    void theLogAllocatesOnlyWhatItsEntriesNeed() {
        MemoryResponseCache m = new MemoryResponseCache(1L << 30, clock);
        try {
            for (int i = 0; i < 100; i++) {
                m.put(new CacheKey("project:a", "k" + i), CacheCodecTest.sample("answer " + i));
            }
            assertThat(m.encoded(5_000)).isTrue();
            assertThat(m.segmentsAllocated()).isEqualTo(1);
            assertThat(m.directBytes()).isEqualTo(OffHeapLog.MAX_SEGMENT_BYTES + 1024 * 16);
            assertThat(m.get(new CacheKey("project:a", "k42"), clock.instant()).map(c -> c.response().text()))
                    .contains("answer 42");
        } finally {
            m.close();
        }
    }

    @Test
    void whenTheEncoderIsBehindAPutEncodesItsOwnEntryAndNothingIsLost() {
        MemoryResponseCache m = new MemoryResponseCache(64L << 20, clock, 4);
        try {
            for (int i = 0; i < 500; i++) {
                m.put(new CacheKey("project:a", "k" + i), CacheCodecTest.sample("answer " + i));
            }
            m.put(new CacheKey("project:a", "k7"), CacheCodecTest.sample("answer 7, again"));
            assertThat(m.encoded(5_000)).isTrue();
            assertThat(m.size()).isEqualTo(500);
            for (int i = 0; i < 500; i++) {
                assertThat(m.get(new CacheKey("project:a", "k" + i), clock.instant()).map(c -> c.response().text()))
                        .contains(i == 7 ? "answer 7, again" : "answer " + i);
            }
        } finally {
            m.close();
        }
    }

    private static CachedResponse withTags(CachedResponse c, String... tags) {
        return new CachedResponse(c.response(), c.provider(), c.model(), c.storedAt(), c.expiresAt(), List.of(tags));
    }
}
