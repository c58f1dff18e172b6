package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

    private final RedisConnection redis;
    private final Clock clock;
    private final Duration counterGrace;
    private final String tag;
    private final RedisConnection.Script reserve;
    private final RedisConnection.Script settle;
    private final RedisConnection.Script release;
    private final RedisConnection.Script sweep;
    private final RedisConnection.Script states;
    private final RedisConnection.Script setUsed;

    private RedisCounterStore(RedisConnection redis, Options opts) {
        this.redis = redis;
        this.clock = opts.clock();
        this.counterGrace = opts.counterGrace();
        this.tag = "{" + opts.keyPrefix() + "}";
        this.reserve = redis.load("reserve", "common.lua", "reserve.lua");
        this.settle = redis.load("settle", "common.lua", "settle.lua");
        this.release = redis.load("release", "common.lua", "release.lua");
        this.sweep = redis.load("sweep", "common.lua", "sweep.lua");
        this.states = redis.load("states", "states.lua");
        this.setUsed = redis.load("set_used", "set_used.lua");
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
        RedisConnection redis = RedisConnection.connect(redisUrl, opts.commandTimeout(), opts.connectTimeout(),
                "budget counter");
        try {
            RedisCounterStore store = new RedisCounterStore(redis, opts);
            LOG.info("budget counters on {} under {}", redis.where(), store.tag);
            return store;
        } catch (RuntimeException e) {
            redis.close();
            throw e;
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
        List<Object> reply = redis.runMulti(reserve, keys, args);
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
        redis.run(settle, ScriptOutputType.INTEGER, new String[] {holdKey(holdId), holdsKey()},
                args.toArray(String[]::new));
    }

    @Override
    public void release(String holdId) {
        Checks.holdId(holdId);
        redis.run(release, ScriptOutputType.INTEGER, new String[] {holdKey(holdId), holdsKey()}, holdId);
    }

    @Override
    public int sweep(Instant now) {
        Objects.requireNonNull(now, "now");
        String nowMs = Long.toString(Checks.epochMillis(now, Duration.ZERO));
        int released = 0;
        while (true) {
            List<Object> reply = redis.runMulti(sweep, new String[] {holdsKey()}, tag + ":h:", nowMs,
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
            var values = redis.sync().hmget(counterKey(key), "used", "held");
            return new State(Long.parseLong(values.get(0).getValueOrElse("0")),
                    Long.parseLong(values.get(1).getValueOrElse("0")));
        } catch (RedisException e) {
            throw redis.unavailable("state", e);
        }
    }

    /** One script call for all the keys. */
    @Override
    public Map<String, State> states(List<String> keys) {
        Objects.requireNonNull(keys, "keys");
        Map<String, State> out = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            return out;
        }
        String[] full = keys.stream().map(this::counterKey).toArray(String[]::new);
        List<Object> reply = redis.runMulti(states, full);
        for (int i = 0; i < keys.size(); i++) {
            out.put(keys.get(i), new State(Long.parseLong((String) reply.get(2 * i)),
                    Long.parseLong((String) reply.get(2 * i + 1))));
        }
        return out;
    }

    @Override
    public void setUsed(String key, long used, Instant windowEnd) {
        Checks.setUsed(key, used, windowEnd);
        redis.run(setUsed, ScriptOutputType.VALUE, new String[] {counterKey(key)}, Long.toString(used),
                Long.toString(Checks.epochMillis(windowEnd, counterGrace)));
    }

    /** Closes the connection and the client's threads; closing again does nothing. */
    @Override
    public void close() {
        redis.close();
    }

    @Override
    public String toString() {
        return "RedisCounterStore[" + redis.where() + ", " + tag + "]";
    }
}
