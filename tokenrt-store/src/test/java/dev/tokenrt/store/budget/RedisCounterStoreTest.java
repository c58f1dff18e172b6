package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation.Granted;
import dev.tokenrt.budget.CounterStore.State;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on the real Redis server at {@code -Dtokenrt.test.redis} (default redis://127.0.0.1:6379/0),
 * each test under its own key prefix, removed afterwards. If Redis cannot be reached the tests fail; they never
 * skip, since CI starts Redis.
 */
class RedisCounterStoreTest extends CounterStoreContract {

    static final String URL = System.getProperty("tokenrt.test.redis", "redis://127.0.0.1:6379/0");

    static RedisClient rawClient;
    static StatefulRedisConnection<String, String> rawConnection;
    static RedisCommands<String, String> raw;

    String prefix;

    @BeforeAll
    static void connectRaw() {
        rawClient = RedisClient.create(URL);
        try {
            rawConnection = rawClient.connect();
        } catch (RuntimeException e) {
            rawClient.shutdown();
            throw new IllegalStateException("Redis is not reachable at " + URL + " (" + e.getMessage() + "). These "
                    + "tests do not skip: start Redis 7 on 127.0.0.1:6379 (CI does), or point -Dtokenrt.test.redis "
                    + "at one.", e);
        }
        raw = rawConnection.sync();
    }

    @AfterAll
    static void closeRaw() {
        rawConnection.close();
        rawClient.shutdown();
    }

    @Override
    void prepare() {
        prefix = "tokenrt-test:" + UUID.randomUUID();
    }

    RedisCounterStore.Options options(MutableClock c) {
        // A generous command timeout: this is a shared 2-core machine, and timeouts have their own test.
        return RedisCounterStore.Options.defaults().withKeyPrefix(prefix).withClock(c)
                .withCommandTimeout(Duration.ofSeconds(10));
    }

    @Override
    CounterStore open(MutableClock c) {
        return RedisCounterStore.connect(URL, options(c));
    }

    List<String> keys(String pattern) {
        List<String> found = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = raw.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1_000));
            found.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return found;
    }

    @Override
    long storedHolds() {
        long hashes = keys("{" + prefix + "}:h:*").size();
        assertThat(raw.zcard("{" + prefix + "}:holds")).as("deadlines == holds").isEqualTo(hashes);
        return hashes;
    }

    @AfterEach
    void removeKeys() {
        List<String> mine = keys("{" + prefix + "}*");
        if (!mine.isEmpty()) {
            raw.del(mine.toArray(String[]::new));
        }
    }

    @Test
    void keysShareOneHashTagAndCountersExpireAGraceAfterTheirWindow() {
        Instant windowEnd = Instant.parse("2099-12-01T00:00:00Z");
        assertThat(store.reserve("h", List.of(new Hold("b:team:1", 100, 10, windowEnd)), Duration.ofSeconds(30)))
                .isInstanceOf(Granted.class);
        String tag = "{" + prefix + "}";
        assertThat(keys(tag + "*")).containsExactlyInAnyOrder(tag + ":c:b:team:1", tag + ":h:h", tag + ":holds");
        long counterExpiry = windowEnd.plus(Duration.ofDays(1)).toEpochMilli();
        assertThat(raw.pexpiretime(tag + ":c:b:team:1")).isEqualTo(counterExpiry);
        assertThat(raw.pexpiretime(tag + ":h:h")).isEqualTo(counterExpiry); // gone at the latest with its counters
        assertThat(raw.hgetall(tag + ":c:b:team:1")).isEqualTo(Map.of("held", "10"));
        assertThat(raw.hgetall(tag + ":h:h")).isEqualTo(Map.of(tag + ":c:b:team:1", "10"));
        assertThat(raw.zscore(tag + ":holds", "h")).isEqualTo((double) T0.plusSeconds(30).toEpochMilli());
    }

    @Test
    void prefixesKeepTenantsApart() {
        String other = "tokenrt-test:" + UUID.randomUUID();
        try (RedisCounterStore second = RedisCounterStore.connect(URL, options(clock).withKeyPrefix(other))) {
            assertThat(reserve("h", hold("a", 100, 100))).isInstanceOf(Granted.class);
            assertThat(second.reserve("h", List.of(hold("a", 100, 100)), TTL)).isInstanceOf(Granted.class);
            assertThat(second.state("a")).isEqualTo(new State(0, 100));
            second.release("h");
            assertThat(store.state("a")).isEqualTo(new State(0, 100));
        } finally {
            List<String> theirs = keys("{" + other + "}*");
            if (!theirs.isEmpty()) {
                raw.del(theirs.toArray(String[]::new));
            }
        }
    }

    @Test
    void anotherConnectionSeesWhatWasSpent() {
        assertThat(reserve("h", hold("a", 100, 60))).isInstanceOf(Granted.class);
        store.settle("h", Map.of("a", 42L));
        store.close();
        try (CounterStore again = open(clock)) {
            assertThat(again.state("a")).isEqualTo(new State(42, 0));
        }
        store = another();
    }

    @Test
    void unreachableRedisFailsAsUnavailable() {
        // Port 1 on loopback refuses at once.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RedisCounterStore.connect(
                "redis://:hunter2@127.0.0.1:1/0", RedisCounterStore.Options.defaults()))
                .isInstanceOf(CounterStoreUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1")
                .hasMessageNotContaining("hunter2");
    }
}
