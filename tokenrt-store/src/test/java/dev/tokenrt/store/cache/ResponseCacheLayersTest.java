package dev.tokenrt.store.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CacheLayerException;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.MemoryResponseCache;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.store.PostgresScratch;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on each engine, and what is particular to each. */
class ResponseCacheLayersTest {

    static final String REDIS = System.getProperty("tokenrt.test.redis", "redis://127.0.0.1:6379/0");

    @Nested
    class Memory extends ResponseCacheContract {
        @Override
        ResponseCache open(Clock clock) {
            return new MemoryResponseCache(64L << 20, clock);
        }

        @Test
        void anEntryReadsTheSameBeforeAndAfterItIsEncodedToBytes() {
            MemoryResponseCache m = (MemoryResponseCache) cache;
            CachedResponse e = entry("Encoded later, read the same ✓", "gpt-4o", Duration.ofMinutes(5), "t");
            m.put(new CacheKey("project:a", "enc"), e);
            assertThat(m.get(new CacheKey("project:a", "enc"), clock.instant())).contains(e);
            assertThat(m.encoded(5_000)).isTrue();
            assertThat(m.get(new CacheKey("project:a", "enc"), clock.instant())).contains(e);
            assertThat(m.invalidate(dev.tokenrt.cache.Invalidation.ALL.withTag("t"))).isEqualTo(1);
        }

        @Test
        void anInvalidationRacingTheEncoderLeavesNothingBehind() {
            // Each round stores entries and invalidates them at once, while the background encoder is swapping their
            // fresh form for bytes: a removal decided on the form it saw left an entry whenever the swap came between
            // (seen in CI as CacheStepTest's layered invalidation leaving one entry).
            MemoryResponseCache m = (MemoryResponseCache) cache;
            CachedResponse e = entry("Raced by the encoder", "gpt-4o", Duration.ofMinutes(5), "t");
            for (int round = 0; round < 300; round++) {
                for (int i = 0; i < 20; i++) {
                    m.put(new CacheKey("project:a", "r" + round + "-" + i), e);
                }
                assertThat(m.invalidate(dev.tokenrt.cache.Invalidation.namespace("project:a"))).as("round %d", round)
                        .isEqualTo(20);
                assertThat(m.encoded(5_000)).isTrue();
                assertThat(m.size()).as("round %d", round).isZero();
            }
        }

        @Test
        void evictsToStayWithinItsSize() {
            // Answers that do not compress (random letters): each entry weighs about its 1,000 deflated bytes.
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            MemoryResponseCache small = new MemoryResponseCache(64 * 1024, clock);
            for (int i = 0; i < 200; i++) {
                StringBuilder text = new StringBuilder();
                for (int j = 0; j < 1_200; j++) {
                    text.append((char) ('a' + r.nextInt(26)));
                }
                small.put(new CacheKey("project:a", "k" + i), entry(text.toString(), "m", Duration.ofHours(1)));
                small.encoded(5_000);
            }
            assertThat(small.size()).isBetween(20L, 90L);
        }
    }

    @Nested
    class Redis extends ResponseCacheContract {
        @Override
        ResponseCache open(Clock clock) {
            return RedisResponseCache.connect(REDIS, RedisResponseCache.Options.defaults()
                    .withKeyPrefix("test:cache:" + UUID.randomUUID()).withClock(clock));
        }

        @Test
        void theSweepUnindexesExpiredEntries() {
            RedisResponseCache redis = (RedisResponseCache) cache;
            redis.put(new CacheKey("project:a", "short"), entry("s", "m", Duration.ofMinutes(1), "t"));
            redis.put(new CacheKey("project:a", "long"), entry("l", "m", Duration.ofHours(1), "t"));
            assertThat(redis.size()).isEqualTo(2);
            clock.advance(Duration.ofMinutes(2));
            assertThat(redis.sweep(clock.instant())).isEqualTo(1);
            assertThat(redis.size()).isEqualTo(1);
        }

        @Test
        void oneReplicaLeadsAFlightAndStoringTheAnswerEndsIt() {
            RedisResponseCache one = (RedisResponseCache) cache;
            CacheKey k = new CacheKey("project:a", "flight");
            assertThat(one.tryLead(k, Duration.ofSeconds(30))).isTrue();
            assertThat(one.tryLead(k, Duration.ofSeconds(30))).as("a second replica follows").isFalse();
            assertThat(one.inFlight(k)).isTrue();
            one.put(k, entry("answer", "m", Duration.ofMinutes(5)));
            assertThat(one.inFlight(k)).as("the answer's write ends the flight").isFalse();
            assertThat(one.tryLead(k, Duration.ofSeconds(30))).isTrue();
            one.release(k);
            assertThat(one.inFlight(k)).isFalse();
            assertThat(one.tryLead(k, Duration.ofMillis(50))).isTrue();
        }

        @Test
        void anUnreachableServerIsALayerFailureNamingIt() {
            assertThatThrownBy(() -> RedisResponseCache.connect("redis://:hunter2@127.0.0.1:1/0",
                    RedisResponseCache.Options.defaults()))
                    .isInstanceOf(CacheLayerException.class)
                    .hasMessageContaining("127.0.0.1:1")
                    .hasMessageNotContaining("hunter2");
        }
    }

    @Nested
    class Sqlite extends ResponseCacheContract {
        @TempDir
        Path dir;

        @Override
        ResponseCache open(Clock clock) {
            return JdbcResponseCache.open("jdbc:sqlite:" + dir.resolve("cache.db"),
                    JdbcResponseCache.Options.defaults().withClock(clock));
        }

        @Test
        void entriesSurviveAReopenAndTheSweepDeletesExpiredOnes() {
            cache.put(new CacheKey("project:a", "k"), entry("kept", "m", Duration.ofMinutes(5), "t"));
            cache.put(new CacheKey("project:a", "gone"), entry("gone", "m", Duration.ofMinutes(1)));
            cache.close();
            cache = open(clock);
            assertThat(cache.get(new CacheKey("project:a", "k"), clock.instant()).map(v -> v.response().text()))
                    .contains("kept");
            clock.advance(Duration.ofMinutes(2));
            assertThat(((JdbcResponseCache) cache).sweep(clock.instant())).isEqualTo(1);
            assertThat(cache.size()).isEqualTo(1);
        }
    }

    static PostgresScratch pg;

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_cache_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @Nested
    class Postgres extends ResponseCacheContract {
        String schema;

        @Override
        ResponseCache open(Clock clock) throws SQLException {
            if (schema == null) {
                schema = pg.newSchema("c");
            }
            return JdbcResponseCache.open(pg.schemaUrl(schema), JdbcResponseCache.Options.defaults().withClock(clock));
        }

        @Test
        void twoReplicasShareEntries() throws SQLException {
            try (ResponseCache other = open(clock)) {
                CachedResponse e = entry("shared", "m", Duration.ofMinutes(5), "t");
                cache.put(new CacheKey("project:a", "k"), e);
                assertThat(other.get(new CacheKey("project:a", "k"), clock.instant())).contains(e);
                assertThat(other.invalidate(dev.tokenrt.cache.Invalidation.ALL)).isEqualTo(1);
                assertThat(cache.get(new CacheKey("project:a", "k"), clock.instant())).isEmpty();
                assertThat(List.of(cache.size(), other.size())).containsOnly(0L);
            }
        }
    }
}
