package dev.tokenrt.store.cache;

import dev.tokenrt.cache.CacheCodec;
import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CacheLayerException;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.FlightCoordinator;
import dev.tokenrt.cache.Invalidation;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.store.redis.RedisClients;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The shared layer (L2) of the exact response cache, in Redis: every replica reads what any replica stored.
 * An entry is its deflated bytes ({@link CacheCodec}) under a key that expires with the entry (PX, by Redis's
 * clock), plus a small metadata hash and index sets (by namespace, model, tag, stored and expiry time) for
 * invalidation. Writes, invalidations and the sweep are Lua scripts (EVALSHA, reloaded on NOSCRIPT), so an
 * entry and its index references are always added and removed together; all keys share one hash tag, so the
 * scripts run on one Redis Cluster slot. See {@code common.lua} for the key layout.
 *
 * <p>It also coordinates single flight across replicas ({@link FlightCoordinator}): a replica about to fetch a
 * missed answer sets the request's flight lock ({@code SET NX PX}); others wait for the answer, whose write
 * (the put script) removes the lock.
 *
 * <p>A command that fails or takes longer than the timeout raises {@link CacheLayerException}: the layered
 * cache treats that as a miss, and the request goes upstream.
 */
public final class RedisResponseCache implements ResponseCache, FlightCoordinator {

    private static final int BATCH = 500;
    /** How long an entry's metadata outlives its value, so the sweep can unindex it. */
    private static final Duration META_GRACE = Duration.ofHours(1);

    /**
     * @param keyPrefix      what every key starts with (inside a hash tag), so deployments and tests do not collide
     * @param commandTimeout how long one operation may wait before the layer counts as failing
     * @param connectTimeout how long opening the connection may take
     * @param clock          "now", for the expiry of what is stored and read
     */
    public record Options(String keyPrefix, Duration commandTimeout, Duration connectTimeout, Clock clock) {
        public Options {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            Objects.requireNonNull(commandTimeout, "commandTimeout");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(clock, "clock");
            if (keyPrefix.isEmpty() || keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("keyPrefix must be non-empty and without braces, got '" + keyPrefix + "'");
            }
        }

        /** Prefix {@code tokenrt:cache}, 200 ms per command, 1 s to connect, the UTC clock. */
        public static Options defaults() {
            return new Options("tokenrt:cache", Duration.ofMillis(200), Duration.ofSeconds(1), Clock.systemUTC());
        }

        public Options withKeyPrefix(String p) {
            return new Options(p, commandTimeout, connectTimeout, clock);
        }

        public Options withCommandTimeout(Duration d) {
            return new Options(keyPrefix, d, connectTimeout, clock);
        }

        public Options withClock(Clock c) {
            return new Options(keyPrefix, commandTimeout, connectTimeout, c);
        }
    }

    private record Script(String name, String source, String sha) {
    }

    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final RedisCommands<String, byte[]> redis;
    private final String where;
    private final String tag;
    private final byte[] tagBytes;
    private final Clock clock;
    private final Script put;
    private final Script invalidate;
    private final Script sweep;

    private RedisResponseCache(RedisClient client, StatefulRedisConnection<String, byte[]> connection, String where,
            Options opts) {
        this.client = client;
        this.connection = connection;
        this.redis = connection.sync();
        this.where = where;
        this.tag = "{" + opts.keyPrefix() + "}";
        this.tagBytes = tag.getBytes(StandardCharsets.UTF_8);
        this.clock = opts.clock();
        String common = resource("common.lua");
        this.put = load("put", common + resource("put.lua"));
        this.invalidate = load("invalidate", common + resource("invalidate.lua"));
        this.sweep = load("sweep", common + resource("sweep.lua"));
    }

    /**
     * Connects to {@code redis://host:port/db} (or {@code rediss://}) and loads the scripts.
     *
     * @throws CacheLayerException if Redis cannot be reached
     */
    public static RedisResponseCache connect(String redisUrl, Options opts) {
        RedisClients.Client c = RedisClients.create(redisUrl, opts.commandTimeout(), opts.connectTimeout());
        RedisClient client = c.client();
        String where = c.where();
        try {
            StatefulRedisConnection<String, byte[]> connection = client.connect(CODEC);
            try {
                return new RedisResponseCache(client, connection, where, opts);
            } catch (RuntimeException e) {
                connection.close();
                throw e;
            }
        } catch (RedisException e) {
            client.shutdown();
            throw failed("connect", where, e);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    private static String resource(String name) {
        return RedisClients.script(RedisResponseCache.class, name);
    }

    private Script load(String name, String source) {
        try {
            return new Script(name, source, RedisClients.atStartup(connection, () -> redis.scriptLoad(source)));
        } catch (RedisException e) {
            throw failed("script load", where, e);
        }
    }

    private static CacheLayerException failed(String op, String where, RedisException e) {
        if (e instanceof RedisCommandInterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new CacheLayerException("response cache " + op + " failed on " + where + ": " + e.getMessage(), e);
    }

    private long run(Script s, byte[]... args) {
        try {
            try {
                return redis.evalsha(s.sha(), ScriptOutputType.INTEGER, new String[0], args);
            } catch (RedisNoScriptException e) {
                redis.scriptLoad(s.source());
                return redis.evalsha(s.sha(), ScriptOutputType.INTEGER, new String[0], args);
            }
        } catch (RedisException e) {
            throw failed(s.name(), where, e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long millis(Instant t) {
        return t.toEpochMilli();
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Optional<CachedResponse> get(CacheKey key, Instant now) {
        byte[] bytes;
        try {
            bytes = redis.get(tag + ":v:" + key.storageKey());
        } catch (RedisException e) {
            throw failed("get", where, e);
        }
        if (bytes == null) {
            return Optional.empty();
        }
        CachedResponse v;
        try {
            v = CacheCodec.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw new CacheLayerException("unreadable cache entry " + key + " on " + where + ": " + e.getMessage());
        }
        return v.expiredAt(now) ? Optional.empty() : Optional.of(v);
    }

    @Override
    public void put(CacheKey key, CachedResponse value) {
        long ttl = Duration.between(clock.instant(), value.expiresAt()).toMillis();
        if (ttl <= 0) {
            return;
        }
        for (String t : value.tags()) {
            if (t.indexOf('\u0001') >= 0) {
                throw new CacheLayerException("a tag may not contain U+0001: " + t);
            }
        }
        run(put, tagBytes, utf8(key.storageKey()), CacheCodec.encode(value), utf8(Long.toString(ttl)),
                utf8(key.namespace()), utf8(value.model()), utf8(String.join("\u0001", value.tags())),
                utf8(Long.toString(millis(value.storedAt()))), utf8(Long.toString(millis(value.expiresAt()))),
                utf8(Long.toString(META_GRACE.toMillis())));
    }

    /**
     * Walks the most selective index the conditions allow (namespace, tag, model, stored time, or everything by
     * expiry) in batches, and lets the script remove each candidate that meets every condition.
     */
    @Override
    public long invalidate(Invalidation which) {
        byte[][] head = {tagBytes, utf8(which.namespace().orElse("")), utf8(which.model().orElse("")),
            utf8(which.tag().orElse("")), utf8(which.storedBefore().map(t -> Long.toString(millis(t))).orElse(""))};
        long removed = 0;
        try {
            if (which.namespace().isPresent() || which.tag().isPresent() || which.model().isPresent()) {
                String set = which.namespace().map(ns -> tag + ":ns:" + ns)
                        .or(() -> which.tag().map(t -> tag + ":t:" + t))
                        .orElseGet(() -> tag + ":mo:" + which.model().orElseThrow());
                // Removing members while scanning a set can make SSCAN skip some: go round until a pass removes none.
                long pass;
                do {
                    pass = 0;
                    ValueScanCursor<byte[]> cursor = redis.sscan(set, ScanArgs.Builder.limit(BATCH));
                    while (true) {
                        pass += removeBatch(head, cursor.getValues());
                        if (cursor.isFinished()) {
                            break;
                        }
                        cursor = redis.sscan(set, cursor, ScanArgs.Builder.limit(BATCH));
                    }
                    removed += pass;
                } while (pass > 0);
            } else {
                String zset = which.storedBefore().isPresent() ? tag + ":stored" : tag + ":exp";
                Range<Long> range = which.storedBefore().isPresent()
                        ? Range.create(Long.MIN_VALUE, millis(which.storedBefore().get()) - 1)
                        : Range.create(Long.MIN_VALUE, Long.MAX_VALUE);
                while (true) {
                    List<byte[]> batch = redis.zrangebyscore(zset, range, io.lettuce.core.Limit.create(0, BATCH));
                    if (batch.isEmpty()) {
                        break;
                    }
                    long n = removeBatch(head, batch);
                    removed += n;
                    if (n == 0 && batch.size() < BATCH) {
                        break;
                    }
                }
            }
        } catch (RedisException e) {
            throw failed("invalidate", where, e);
        }
        return removed;
    }

    private long removeBatch(byte[][] head, List<byte[]> members) {
        if (members.isEmpty()) {
            return 0;
        }
        List<byte[]> args = new ArrayList<>(head.length + members.size());
        args.addAll(List.of(head));
        args.addAll(members);
        return run(invalidate, args.toArray(new byte[0][]));
    }

    /** Unindexes entries expired by {@code now}; returns how many. */
    public long sweep(Instant now) {
        long total = 0;
        while (true) {
            long n = run(sweep, tagBytes, utf8(Long.toString(millis(now))), utf8(Integer.toString(BATCH)));
            total += n;
            if (n < BATCH) {
                return total;
            }
        }
    }

    private final byte[] replica = utf8(UUID.randomUUID().toString());

    @Override
    public boolean tryLead(CacheKey key, Duration ttl) {
        try {
            return "OK".equals(redis.set(tag + ":l:" + key.storageKey(), replica,
                    SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis()))));
        } catch (RedisException e) {
            throw failed("flight lock", where, e);
        }
    }

    @Override
    public boolean inFlight(CacheKey key) {
        try {
            return redis.exists(tag + ":l:" + key.storageKey()) > 0;
        } catch (RedisException e) {
            throw failed("flight check", where, e);
        }
    }

    @Override
    public void release(CacheKey key) {
        try {
            redis.del(tag + ":l:" + key.storageKey());
        } catch (RedisException e) {
            throw failed("flight release", where, e);
        }
    }

    @Override
    public long size() {
        try {
            return redis.zcard(tag + ":exp");
        } catch (RedisException e) {
            throw failed("size", where, e);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            client.shutdown();
        }
    }
}
