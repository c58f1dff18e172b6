package dev.tokenrt.store.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How every Redis store (budget counters, rate limits, the response cache) sets up its Lettuce client: bounded
 * command and connect timeouts, commands rejected rather than queued while disconnected (the caller's failure
 * policy decides, not a buffer), reconnecting by itself. Public for the store's own packages only.
 */
public final class RedisClients {

    /**
     * A client not yet connected, and where it points for messages ({@code redis host:port/db}, never a password).
     */
    public record Client(RedisClient client, String where) {
    }

    private RedisClients() {
    }

    /** @throws IllegalArgumentException if the URL is not a Redis URI */
    public static Client create(String redisUrl, Duration commandTimeout, Duration connectTimeout) {
        Objects.requireNonNull(redisUrl, "redisUrl");
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(commandTimeout);
        String where = "redis " + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
                // Commands time out after their connection's timeout (the URI's, set above), not a fixed one, so that
                // start-up work can be given more (see atStartup): with a fixed TimeoutOptions a connection's
                // setTimeout changed nothing and a script load still failed at the per-request timeout.
                .timeoutOptions(TimeoutOptions.builder().timeoutCommands(true).connectionTimeout().build())
                .build());
        return new Client(client, where);
    }

    /** The least a start-up command (loading a script) is given, whatever the per-request timeout. */
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Runs start-up work on a connection nothing else uses yet (loading the store's scripts) with at least
     * {@link #STARTUP_TIMEOUT} a command, then gives the connection its own timeout back. Start-up often runs while
     * the process is busy starting everything else, and the per-request timeout (200 ms for the cache by default) that
     * a loaded machine misses once would fail the whole start (seen in CI).
     */
    public static <T> T atStartup(StatefulConnection<?, ?> connection, Supplier<T> work) {
        Duration normal = connection.getTimeout();
        if (normal.compareTo(STARTUP_TIMEOUT) >= 0) {
            return work.get();
        }
        connection.setTimeout(STARTUP_TIMEOUT);
        try {
            return work.get();
        } finally {
            connection.setTimeout(normal);
        }
    }

    /** A Lua script kept beside {@code anchor} on the class path. */
    public static String script(Class<?> anchor, String name) {
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("script " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
