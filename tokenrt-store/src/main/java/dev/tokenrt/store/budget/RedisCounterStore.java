package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Budget counters in Redis, shared by every gateway replica. Each operation is one Lua script (loaded with
 * SCRIPT LOAD, run with EVALSHA, loaded again if Redis answers NOSCRIPT after a restart or failover), so a
 * check-and-hold over several counters is atomic however many replicas race on them.
 *
 * <p>Keys, all under one hash tag {@code {prefix}} so that they share a Redis Cluster slot (multi-key scripts
 * need that; it also means one shard holds them all):
 * <ul>
 *   <li>{@code {prefix}:c:<counter key>}: hash {@code used}, {@code held}; expires {@code counterGrace} after
 *       the window end (by Redis's clock).</li>
 *   <li>{@code {prefix}:h:<hold id>}: hash of counter full key to amount held; dropped when settled, released
 *       or swept (or, failing that, when its last counter expires).</li>
 *   <li>{@code {prefix}:holds}: sorted set of hold ids by deadline (epoch ms from the injected clock, so the
 *       replicas' clocks should agree), which the sweep reads.</li>
 * </ul>
 * Amounts are exact 64-bit integers throughout: Redis stores and adds them (HINCRBY) and the scripts compare
 * them without going through Lua's doubles.
 *
 * <p>A reserve under a hold id that is already held returns the existing grant and holds nothing more, so a
 * retry after a lost reply cannot hold twice. Settling keys the hold does not have is ignored.
 *
 * <p>Failure: if Redis cannot be reached, rejects the command, or does not answer within
 * {@code commandTimeout}, the operation raises {@link CounterStoreUnavailableException}; commands are not
 * queued while disconnected, and the client reconnects by itself. After such a failure of {@code reserve}
 * the hold may or may not exist: release it (idempotent) or leave it to the sweep.
 */
public final class RedisCounterStore implements CounterStore {

    private static final Logger LOG = LoggerFactory.getLogger(RedisCounterStore.class);
    private static final int SWEEP_BATCH = 500;

    /**
     * Settings of a {@link RedisCounterStore}; exists so configuration can set them and tests can isolate keys
     * and inject time.
     *
     * @param keyPrefix      what every key starts with (inside a hash tag), so tenants and tests do not collide
     * @param commandTimeout how long one operation may wait for Redis before failing as unavailable
     * @param connectTimeout how long opening (or re-opening) the connection may take
     * @param counterGrace   how long after its window ends a counter is kept before Redis expires it (by Redis's
     *                       clock); it should cover clock skew between replicas and the longest hold, since a
     *                       counter reserved on after {@code windowEnd + counterGrace} is dropped at once
     * @param clock          where {@code reserve} takes "now" from to compute a hold's deadline
     */
    public record Options(String keyPrefix, Duration commandTimeout, Duration connectTimeout, Duration counterGrace,
            Clock clock) {

        public Options {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            Objects.requireNonNull(commandTimeout, "commandTimeout");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(counterGrace, "counterGrace");
            Objects.requireNonNull(clock, "clock");
            if (keyPrefix.isEmpty() || keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("keyPrefix must be non-empty and without braces, got '"
                        + keyPrefix + "'");
            }
            if (commandTimeout.isNegative() || commandTimeout.isZero()) {
                throw new IllegalArgumentException("commandTimeout must be positive, got " + commandTimeout);
            }
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
            }
            if (counterGrace.isNegative()) {
                throw new IllegalArgumentException("counterGrace cannot be negative, got " + counterGrace);
            }
        }

        /** Prefix {@code tokenrt:budget}, 200 ms per command, 1 s to connect, a day's grace, the UTC clock. */
        public static Options defaults() {
            return new Options("tokenrt:budget", Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofDays(1),
                    Clock.systemUTC());
        }

        public Options withKeyPrefix(String prefix) {
            return new Options(prefix, commandTimeout, connectTimeout, counterGrace, clock);
        }

        public Options withCommandTimeout(Duration timeout) {
            return new Options(keyPrefix, timeout, connectTimeout, counterGrace, clock);
        }

        public Options withConnectTimeout(Duration timeout) {
            return new Options(keyPrefix, commandTimeout, timeout, counterGrace, clock);
        }

        public Options withCounterGrace(Duration grace) {
            return new Options(keyPrefix, commandTimeout, connectTimeout, grace, clock);
        }

        public Options withClock(Clock c) {
            return new Options(keyPrefix, commandTimeout, connectTimeout, counterGrace, c);
        }
    }

    /** One script: its source and the SHA1 Redis knows it by. */
    private record Script(String name, String source, String sha) {
    }

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    private final String where;
    private final Clock clock;
    private final Duration counterGrace;
    private final String tag;
    private final Script reserve;
    private final Script settle;
    private final Script release;
    private final Script sweep;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisCounterStore(RedisClient client, StatefulRedisConnection<String, String> connection, String where,
            Options opts) {
        this.client = client;
        this.connection = connection;
        this.redis = connection.sync();
        this.where = where;
        this.clock = opts.clock();
        this.counterGrace = opts.counterGrace();
        this.tag = "{" + opts.keyPrefix() + "}";
        String common = resource("common.lua");
        this.reserve = load("reserve", common + resource("reserve.lua"));
        this.settle = load("settle", common + resource("settle.lua"));
        this.release = load("release", common + resource("release.lua"));
        this.sweep = load("sweep", common + resource("sweep.lua"));
    }

    /**
     * Connects to {@code redis://host:port/db} (or {@code rediss://}, with credentials as Redis URIs allow) and
     * loads the scripts.
     *
     * @throws IllegalArgumentException         if the URL is not a Redis URI
     * @throws CounterStoreUnavailableException if Redis cannot be reached or does not answer in time
     */
    public static RedisCounterStore connect(String redisUrl, Options opts) {
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(opts, "opts");
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(opts.commandTimeout());
        String where = "redis " + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // While disconnected, fail at once rather than queue: the caller's policy decides, not a buffer.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(opts.connectTimeout()).build())
                .timeoutOptions(TimeoutOptions.enabled(opts.commandTimeout()))
                .build());
        try {
            StatefulRedisConnection<String, String> connection = client.connect();
            try {
                RedisCounterStore store = new RedisCounterStore(client, connection, where, opts);
                LOG.info("budget counters on {} under {}", where, store.tag);
                return store;
            } catch (RuntimeException e) {
                connection.close();
                throw e;
            }
        } catch (RedisException e) {
            client.shutdown();
            throw unavailable("connect", where, e);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    private static String resource(String name) {
        try (InputStream in = RedisCounterStore.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("script " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Script load(String name, String source) {
        return new Script(name, source, redis.scriptLoad(source));
    }

    private static CounterStoreUnavailableException unavailable(String op, String where, RedisException e) {
        if (e instanceof RedisCommandInterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new CounterStoreUnavailableException("budget counter " + op + " failed on " + where + ": "
                + e.getMessage(), e);
    }

    /** EVALSHA, loading the script again if Redis lost it (restart, failover, SCRIPT FLUSH). */
    private List<Object> run(Script script, String[] keys, String... args) {
        try {
            try {
                return redis.evalsha(script.sha(), ScriptOutputType.MULTI, keys, args);
            } catch (RedisNoScriptException e) {
                LOG.info("Redis lost the {} script; loading it again", script.name());
                redis.scriptLoad(script.source());
                return redis.evalsha(script.sha(), ScriptOutputType.MULTI, keys, args);
            }
        } catch (RedisException e) {
            throw unavailable(script.name(), where, e);
        }
    }

    private Object runValue(Script script, String[] keys, String... args) {
        try {
            try {
                return redis.evalsha(script.sha(), ScriptOutputType.INTEGER, keys, args);
            } catch (RedisNoScriptException e) {
                LOG.info("Redis lost the {} script; loading it again", script.name());
                redis.scriptLoad(script.source());
                return redis.evalsha(script.sha(), ScriptOutputType.INTEGER, keys, args);
            }
        } catch (RedisException e) {
            throw unavailable(script.name(), where, e);
        }
    }

    private String counterKey(String key) {
        return tag + ":c:" + key;
    }

    private String holdKey(String holdId) {
        return tag + ":h:" + holdId;
    }

    private String holdsKey() {
        return tag + ":holds";
    }

    @Override
    public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
        Checks.holdId(holdId);
        Checks.holds(holds);
        Checks.ttl(ttl);
        long deadline;
        try {
            deadline = clock.instant().plus(ttl).toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException("ttl too long: " + ttl, e);
        }
        if (holds.isEmpty()) {
            return new Reservation.Granted(holdId, Instant.ofEpochMilli(deadline));
        }
        String[] keys = new String[holds.size() + 2];
        String[] args = new String[3 + holds.size() * 3];
        keys[0] = holdKey(holdId);
        keys[1] = holdsKey();
        args[0] = holdId;
        args[1] = Long.toString(deadline);
        long holdExpiry = Checks.epochMillis(Instant.ofEpochMilli(deadline), counterGrace);
        for (int i = 0; i < holds.size(); i++) {
            Hold h = holds.get(i);
            long counterExpiry = Checks.epochMillis(h.windowEnd(), counterGrace);
            holdExpiry = Math.max(holdExpiry, counterExpiry);
            keys[i + 2] = counterKey(h.key());
            args[3 + i * 3] = Long.toString(h.limit());
            args[4 + i * 3] = Long.toString(h.amount());
            args[5 + i * 3] = Long.toString(counterExpiry);
        }
        args[2] = Long.toString(holdExpiry);
        List<Object> reply = run(reserve, keys, args);
        String outcome = (String) reply.get(0);
        return switch (outcome) {
            case "granted" -> new Reservation.Granted(holdId, Instant.ofEpochMilli(deadline));
            case "held" -> new Reservation.Granted(holdId,
                    Instant.ofEpochMilli(new BigDecimal((String) reply.get(1)).longValueExact()));
            case "refused" -> {
                Hold h = holds.get(Integer.parseInt((String) reply.get(1)) - 1);
                yield new Reservation.Refused(h.key(), Long.parseLong((String) reply.get(2)),
                        Long.parseLong((String) reply.get(3)), h.limit());
            }
            default -> throw new IllegalStateException("unexpected reply from the reserve script: " + reply);
        };
    }

    @Override
    public void settle(String holdId, Map<String, Long> actual) {
        Checks.holdId(holdId);
        Checks.actual(actual);
        List<String> args = new ArrayList<>(1 + actual.size() * 2);
        args.add(holdId);
        actual.forEach((k, v) -> {
            args.add(counterKey(k));
            args.add(Long.toString(v));
        });
        runValue(settle, new String[] {holdKey(holdId), holdsKey()}, args.toArray(String[]::new));
    }

    @Override
    public void release(String holdId) {
        Checks.holdId(holdId);
        runValue(release, new String[] {holdKey(holdId), holdsKey()}, holdId);
    }

    @Override
    public int sweep(Instant now) {
        Objects.requireNonNull(now, "now");
        String nowMs = Long.toString(Checks.epochMillis(now, Duration.ZERO));
        int released = 0;
        while (true) {
            List<Object> reply = run(sweep, new String[] {holdsKey()}, tag + ":h:", nowMs,
                    Integer.toString(SWEEP_BATCH));
            long looked = (Long) reply.get(0);
            released += (int) (long) (Long) reply.get(1);
            if (looked < SWEEP_BATCH) {
                break;
            }
        }
        if (released > 0) {
            LOG.info("budget sweep at {}: released {} expired holds", now, released);
        }
        return released;
    }

    @Override
    public State state(String key) {
        Objects.requireNonNull(key, "key");
        try {
            var values = redis.hmget(counterKey(key), "used", "held");
            return new State(Long.parseLong(values.get(0).getValueOrElse("0")),
                    Long.parseLong(values.get(1).getValueOrElse("0")));
        } catch (RedisException e) {
            throw unavailable("state", where, e);
        }
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

    @Override
    public String toString() {
        return "RedisCounterStore[" + where + ", " + tag + "]";
    }
}
