package dev.tokenrt.store.budget;

import static dev.tokenrt.store.budget.CounterStoreContract.T0;
import static dev.tokenrt.store.budget.CounterStoreContract.TTL;
import static dev.tokenrt.store.budget.CounterStoreContract.hold;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.budget.CounterStore.Reservation.Granted;
import dev.tokenrt.budget.CounterStore.State;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Redis store does when Redis is not well: scripts lost, server gone, server frozen. Each test runs
 * its own redis-server (see {@link PrivateRedis}) so that the shared one is never disturbed.
 */
class RedisCounterStoreFailureTest {

    @TempDir
    Path dir;

    PrivateRedis server;
    RedisCounterStore store;
    final MutableClock clock = new MutableClock(T0);

    @BeforeEach
    void start() throws Exception {
        server = new PrivateRedis(dir);
        store = RedisCounterStore.connect(server.url(), RedisCounterStore.Options.defaults().withClock(clock));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            store.close();
        } finally {
            server.close();
        }
    }

    private String redisCommand(java.util.function.Function<io.lettuce.core.api.sync.RedisCommands<String, String>,
            String> command) {
        RedisClient client = RedisClient.create(server.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return command.apply(c.sync());
        } finally {
            client.shutdown();
        }
    }

    /** Polls (at most a minute) until the store answers again after Redis came back; not a speed check. */
    private static <T> T once(Supplier<T> op) throws InterruptedException {
        CounterStoreUnavailableException last = null;
        for (int i = 0; i < 600; i++) {
            try {
                return op.get();
            } catch (CounterStoreUnavailableException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new AssertionError("the store did not come back", last);
    }

    @Test
    void scriptsThatRedisLostAreLoadedAgain() {
        assertThat(store.reserve("h1", List.of(hold("a", 100, 10)), TTL)).isInstanceOf(Granted.class);
        assertThat(redisCommand(r -> r.scriptFlush())).isEqualTo("OK");
        assertThat(store.reserve("h2", List.of(hold("a", 100, 20)), TTL)).isInstanceOf(Granted.class);
        redisCommand(r -> r.scriptFlush());
        store.settle("h1", Map.of("a", 7L));
        redisCommand(r -> r.scriptFlush());
        store.release("h2");
        assertThat(store.reserve("h3", List.of(hold("a", 100, 5)), Duration.ofSeconds(1))).isInstanceOf(Granted.class);
        redisCommand(r -> r.scriptFlush());
        assertThat(store.sweep(T0.plusSeconds(1))).isEqualTo(1);
        assertThat(store.state("a")).isEqualTo(new State(7, 0));
    }

    @Test
    void aStoppedRedisIsUnavailableAndTheStoreRecoversWhenItReturns() throws Exception {
        assertThat(store.reserve("h1", List.of(hold("a", 100, 10)), TTL)).isInstanceOf(Granted.class);
        server.stop();

        assertThatThrownBy(() -> store.reserve("h2", List.of(hold("a", 100, 10)), TTL))
                .isInstanceOf(CounterStoreUnavailableException.class).hasMessageContaining("reserve");
        assertThatThrownBy(() -> store.settle("h1", Map.of("a", 3L)))
                .isInstanceOf(CounterStoreUnavailableException.class);
        assertThatThrownBy(() -> store.release("h1")).isInstanceOf(CounterStoreUnavailableException.class);
        assertThatThrownBy(() -> store.sweep(T0)).isInstanceOf(CounterStoreUnavailableException.class);
        assertThatThrownBy(() -> store.state("a")).isInstanceOf(CounterStoreUnavailableException.class);

        server.start(); // empty: this server keeps nothing, and its scripts are gone too
        Reservation again = once(() -> store.reserve("h3", List.of(hold("a", 100, 100)), TTL));
        assertThat(again).isInstanceOf(Granted.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 100));
    }

    @Test
    void aFrozenRedisTimesOutAsUnavailableAndTheHoldMayStillLand() throws Exception {
        server.freeze();
        assertThatThrownBy(() -> store.reserve("h", List.of(hold("a", 100, 10)), TTL))
                .isInstanceOf(CounterStoreUnavailableException.class)
                .hasCauseInstanceOf(RedisCommandTimeoutException.class);
        server.resume();

        // The command was on its way: Redis ran it after all. The caller's cleanup is an idempotent release.
        State after = once(() -> store.state("a"));
        assertThat(after).isEqualTo(new State(0, 10));
        store.release("h");
        assertThat(store.state("a")).isEqualTo(new State(0, 0));
    }
}
