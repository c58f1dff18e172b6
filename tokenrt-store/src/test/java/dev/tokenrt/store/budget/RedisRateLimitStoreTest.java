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
    void theScriptsDecimalArithmeticMatchesBigIntegerAtEveryLimbBoundary() throws Exception {
        String common;
        try (var in = RedisRateLimitStore.class.getResourceAsStream("gcra_common.lua")) {
            common = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String script = common + "\nreturn {add(ARGV[1], ARGV[2]), sub(ARGV[1], ARGV[2]), tostring(cmp(ARGV[1], ARGV[2])),"
                + " tostring(cmp(ARGV[2], ARGV[1]))}";
        List<java.math.BigInteger> values = new ArrayList<>();
        for (String v : List.of("0", "1", "9", "10", "9999999", "10000000", "10000001", "99999999999999",
                "100000000000000", "9223372036854775807", "18446744073709551616")) {
            values.add(new java.math.BigInteger(v));
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        for (int i = 0; i < 150; i++) {
            int digits = random.nextInt(1, 45);
            StringBuilder sb = new StringBuilder();
            for (int d = 0; d < digits; d++) {
                // Runs of nines and zeros put carries and borrows on limb edges.
                sb.append(random.nextInt(3) == 0 ? '9' : random.nextInt(2) == 0 ? '0' : (char) ('0' + random.nextInt(10)));
            }
            values.add(new java.math.BigInteger(sb.toString()));
        }
        RedisClient client = RedisClient.create(RedisCounterStoreTest.URL);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            String sha = c.sync().scriptLoad(script);
            int checked = 0;
            for (int i = 0; i < values.size(); i++) {
                java.math.BigInteger a = values.get(i);
                java.math.BigInteger b = values.get(random.nextInt(values.size()));
                if (a.compareTo(b) < 0) {
                    java.math.BigInteger t = a;
                    a = b;
                    b = t;
                }
                List<Object> r = c.sync().evalsha(sha, io.lettuce.core.ScriptOutputType.MULTI, new String[0],
                        a.toString(), b.toString());
                assertThat(r.get(0)).as("%s + %s", a, b).isEqualTo(a.add(b).toString());
                assertThat(r.get(1)).as("%s - %s", a, b).isEqualTo(a.subtract(b).toString());
                assertThat(r.get(2)).as("cmp %s %s", a, b).isEqualTo(Integer.toString(a.compareTo(b)));
                assertThat(r.get(3)).as("cmp %s %s", b, a).isEqualTo(Integer.toString(b.compareTo(a)));
                checked++;
            }
            // Exact limb edges, by construction: 9999999 + 1 carries, 10000000 - 1 borrows.
            List<Object> edge = c.sync().evalsha(sha, io.lettuce.core.ScriptOutputType.MULTI, new String[0],
                    "99999999999999", "1");
            assertThat(edge.get(0)).isEqualTo("100000000000000");
            assertThat(edge.get(1)).isEqualTo("99999999999998");
            assertThat(checked).isEqualTo(values.size());
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
