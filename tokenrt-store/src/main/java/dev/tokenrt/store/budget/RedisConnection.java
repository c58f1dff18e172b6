package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.store.redis.RedisClients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lettuce connection as the Redis stores use it (budget counters, rate-limit buckets): bounded command and
 * connect timeouts, commands rejected rather than queued while disconnected (the caller's fail policy decides,
 * not a buffer), reconnecting by itself, and Lua scripts run by SHA and loaded again when Redis lost them. Every
 * Redis failure becomes a {@link CounterStoreUnavailableException} naming the operation.
 */
final class RedisConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisConnection.class);

    /** One script: its source and the SHA1 Redis knows it by. */
    record Script(String name, String source, String sha) {
    }

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    private final String where;
    private final String what;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisConnection(RedisClient client, StatefulRedisConnection<String, String> connection, String where,
            String what) {
        this.client = client;
        this.connection = connection;
        this.redis = connection.sync();
        this.where = where;
        this.what = what;
    }

    /**
     * Connects to {@code redis://host:port/db} (or {@code rediss://}, with credentials as Redis URIs allow).
     *
     * @param what for messages: "budget counter", "rate limit"
     * @throws IllegalArgumentException         if the URL is not a Redis URI
     * @throws CounterStoreUnavailableException if Redis cannot be reached or does not answer in time
     */
    static RedisConnection connect(String redisUrl, Duration commandTimeout, Duration connectTimeout, String what) {
        RedisClients.Client c = RedisClients.create(redisUrl, commandTimeout, connectTimeout);
        RedisClient client = c.client();
        String where = c.where();
        try {
            return new RedisConnection(client, client.connect(), where, what);
        } catch (RedisException e) {
            client.shutdown();
            throw unavailable(what, "connect", where, e);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    String where() {
        return where;
    }

    RedisCommands<String, String> sync() {
        return redis;
    }

    /** A script from this package's resources ({@code common} prepended, if given), loaded into Redis. */
    Script load(String name, String... resources) {
        StringBuilder source = new StringBuilder();
        for (String r : resources) {
            source.append(resource(r));
        }
        try {
            return new Script(name, source.toString(),
                    RedisClients.atStartup(connection, () -> redis.scriptLoad(source.toString())));
        } catch (RedisException e) {
            throw unavailable(what, "load " + name, where, e);
        }
    }

    /** EVALSHA, loading the script again if Redis lost it (restart, failover, SCRIPT FLUSH). */
    <T> T run(Script script, ScriptOutputType type, String[] keys, String... args) {
        try {
            try {
                return redis.evalsha(script.sha(), type, keys, args);
            } catch (RedisNoScriptException e) {
                LOG.info("Redis lost the {} script; loading it again", script.name());
                redis.scriptLoad(script.source());
                return redis.evalsha(script.sha(), type, keys, args);
            }
        } catch (RedisException e) {
            throw unavailable(what, script.name(), where, e);
        }
    }

    List<Object> runMulti(Script script, String[] keys, String... args) {
        return run(script, ScriptOutputType.MULTI, keys, args);
    }

    /** Wraps a Redis failure of a command this class does not run itself. */
    CounterStoreUnavailableException unavailable(String op, RedisException e) {
        return unavailable(what, op, where, e);
    }

    static CounterStoreUnavailableException unavailable(String what, String op, String where, RedisException e) {
        if (e instanceof RedisCommandInterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new CounterStoreUnavailableException(what + " " + op + " failed on " + where + ": " + e.getMessage(), e);
    }

    private static String resource(String name) {
        return RedisClients.script(RedisConnection.class, name);
    }

    /** Closes the connection and the client's threads; closing again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            connection.close();
        } finally {
            client.shutdown();
        }
    }
}
