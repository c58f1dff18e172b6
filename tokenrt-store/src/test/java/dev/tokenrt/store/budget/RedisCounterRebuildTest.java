package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.store.PostgresScratch;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** Rebuilding Redis counters (shared by replicas) from a PostgreSQL ledger; keys under a random prefix. */
class RedisCounterRebuildTest extends CounterRebuildContract {

    static PostgresScratch pg;
    final String prefix = "tokenrt-test:" + UUID.randomUUID();

    @BeforeAll
    static void createDatabase() {
        pg = PostgresScratch.createDatabase("tokenrt_rebuild_redis_");
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        pg.drop();
    }

    @Override
    String prepareLedger() throws SQLException {
        return pg.schemaUrl(pg.newSchema("r_"));
    }

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
