package dev.tokenrt.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The clients' timeouts against the real server, held up with CLIENT PAUSE from a second connection. */
class RedisClientsTest {

    static final String REDIS = System.getProperty("tokenrt.test.redis", "redis://127.0.0.1:6379/0");

    @Test
    void startUpWorkOutlastsAStallThatTheRequestTimeoutDoesNot() throws InterruptedException {
        RedisClients.Client c = RedisClients.create(REDIS, Duration.ofMillis(200), Duration.ofSeconds(2));
        try (StatefulRedisConnection<String, String> conn = c.client().connect();
                StatefulRedisConnection<String, String> pauser = c.client().connect()) {
            pauser.sync().clientPause(700);
            String sha = RedisClients.atStartup(conn, () -> conn.sync().scriptLoad("return 1"));
            assertThat(sha).hasSize(40);
            assertThat(conn.getTimeout()).isEqualTo(Duration.ofMillis(200));

            pauser.sync().clientPause(700);
            long start = System.nanoTime();
            assertThatThrownBy(() -> conn.sync().ping()).isInstanceOf(RedisCommandTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(650));
            Thread.sleep(700); // the pause over, so that the tests after this one find the server answering
        } finally {
            c.client().shutdown();
        }
    }
}
