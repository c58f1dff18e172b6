package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.budget.FallbackRateLimitStore;
import dev.tokenrt.budget.GcraRateLimiter;
import dev.tokenrt.budget.GcraRateLimiter.Decision;
import dev.tokenrt.budget.InMemoryRateLimitStore;
import dev.tokenrt.budget.RateLimit;
import dev.tokenrt.budget.RateLimit.Per;
import dev.tokenrt.budget.RateLimit.Subject;
import dev.tokenrt.budget.RateLimit.Unit;
import dev.tokenrt.budget.RateLimitStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rate-limit contract on the real Redis at {@code -Dtokenrt.test.redis} (default redis://127.0.0.1:6379/0), each
 * test under its own key prefix, deleted afterwards; the failure test runs a redis-server of its own.
 */
class RedisRateLimitStoreTest extends RateLimitStoreContract {

    final String prefix = "tokenrt-test:" + UUID.randomUUID();

    @TempDir
    Path dir;

    RedisCounterStore.Options options() {
        return RedisCounterStore.Options.defaults().withKeyPrefix(prefix).withCommandTimeout(Duration.ofSeconds(10));
    }

    @Override
    RateLimitStore open() {
        return RedisRateLimitStore.connect(RedisCounterStoreTest.URL, options());
    }

    @AfterEach
    void deleteKeys() {
        RedisClient client = RedisClient.create(RedisCounterStoreTest.URL);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            var keys = c.sync().scan(ScanArgs.Builder.matches("{" + prefix + "}*").limit(1000)).getKeys();
            if (!keys.isEmpty()) {
                c.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void manyThreadsOnTwoConnectionsNeverAdmitMoreThanTheBurst() throws Exception {
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE).withBurst(25);
        List<GcraRateLimiter> replicas = List.of(limiter(store(), rpm), limiter(store(), rpm));
        AtomicInteger passed = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            GcraRateLimiter l = replicas.get(i % 2);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (allowed(l, KEY1)) {
                    passed.incrementAndGet();
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(passed.get()).isEqualTo(25);
    }

    @Test
    void unreachableRedisIsUnavailableAndFailOpenFallsBackToLocalBucketsLoudly() throws Exception {
        PrivateRedis server = new PrivateRedis(dir);
        RateLimit rpm = RateLimit.each("rpm", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE).withBurst(2);
        try (RedisRateLimitStore redis = RedisRateLimitStore.connect(server.url(),
                options().withCommandTimeout(Duration.ofMillis(500)).withConnectTimeout(Duration.ofMillis(500)))) {
            GcraRateLimiter closed = limiter(redis, rpm);
            assertThat(allowed(closed, KEY1)).isTrue();
            List<RuntimeException> reported = new ArrayList<>();
            GcraRateLimiter open = limiter(new FallbackRateLimitStore(redis, new InMemoryRateLimitStore(),
                    reported::add), rpm);
            server.stop();
            assertThatThrownBy(() -> closed.acquire(KEY1, "m", 0, 0))
                    .isInstanceOf(CounterStoreUnavailableException.class).hasMessageContaining("rate limit");
            // Fail open: the local buckets decide, with their own burst, and every use of them is reported.
            assertThat(allowed(open, KEY1)).isTrue();
            assertThat(allowed(open, KEY1)).isTrue();
            assertThat(open.acquire(KEY1, "m", 0, 0)).isInstanceOf(Decision.Limited.class);
            assertThat(reported).hasSizeGreaterThanOrEqualTo(3)
                    .allMatch(e -> e instanceof CounterStoreUnavailableException);
        } finally {
            server.close();
        }
    }
}
