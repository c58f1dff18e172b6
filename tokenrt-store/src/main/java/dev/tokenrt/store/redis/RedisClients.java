package dev.tokenrt.store.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

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
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .build());
        return new Client(client, where);
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
