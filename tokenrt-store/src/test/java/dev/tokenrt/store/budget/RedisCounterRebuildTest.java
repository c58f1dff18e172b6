package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/** Rebuilding Redis counters (shared by replicas) from a PostgreSQL ledger; keys under a random prefix. */
class RedisCounterRebuildTest extends PostgresCounterRebuildTest {

    final String prefix = "tokenrt-test:" + UUID.randomUUID();

    @Override
    CounterStore openCounters(String ledgerUrl, MutableClock clock) {
        return RedisCounterStore.connect(RedisCounterStoreTest.URL, RedisCounterStore.Options.defaults()
                .withKeyPrefix(prefix).withClock(clock).withCommandTimeout(Duration.ofSeconds(10)));
    }

    interface WithRedis {
        void run(RedisCommands<String, String> redis);
    }

    void withRedis(WithRedis work) {
        RedisClient client = RedisClient.create(RedisCounterStoreTest.URL);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            work.run(c.sync());
        } finally {
            client.shutdown();
        }
    }

    @Override
    void wipe() {
        withRedis(r -> {
            for (String k : r.scan(ScanArgs.Builder.matches("{" + prefix + "}:c:*").limit(10_000)).getKeys()) {
                String held = r.hget(k, "held");
                if (held == null || held.equals("0")) {
                    r.del(k);
                } else {
                    r.hset(k, "used", "0");
                }
            }
        });
    }

    @AfterEach
    void deleteKeys() {
        withRedis(r -> {
            var keys = r.scan(ScanArgs.Builder.matches("{" + prefix + "}*").limit(10_000)).getKeys();
            if (!keys.isEmpty()) {
                r.del(keys.toArray(String[]::new));
            }
        });
    }
}
