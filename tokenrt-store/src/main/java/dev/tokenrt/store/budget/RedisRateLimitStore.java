package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.budget.Gcra;
import dev.tokenrt.budget.RateLimit;
import dev.tokenrt.budget.RateLimitStore;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate-limit buckets in Redis, shared by every gateway replica, so that together they admit the configured rate
 * and not one rate each. Each acquire is one Lua script over all the request's buckets (admitted on every one or
 * on none), and so is each correction; both run {@link Gcra}'s exact arithmetic: the scripts compare, add and
 * subtract the scaled times as decimal strings, and every product is made here with {@link BigInteger}, so no
 * figure ever passes through Lua's doubles. A bucket is one string key, {@code {prefix}:rl:<bucket>}, under the
 * same hash tag as the budget counters' keys; it expires once it has drained (a missing bucket is a full one),
 * at the latest {@link #MAX_EXPIRY} after it was last moved.
 *
 * <p>Time is the caller's {@code now} (the gateway's injected clock): replicas' clocks should agree, as they should
 * for budget holds. A replica whose clock runs {@code d} ahead sees buckets drained {@code d} early, so it can admit
 * up to {@code d × rate} units more, once, not per request.
 *
 * <p>Failure: Redis unreachable, rejecting the command or not answering within the command timeout raises
 * {@link CounterStoreUnavailableException}; the caller's policy decides (fail closed: 503; fail open: the local
 * buckets of a {@link dev.tokenrt.budget.FallbackRateLimitStore}).
 */
public final class RedisRateLimitStore implements RateLimitStore {

    private static final Logger LOG = LoggerFactory.getLogger(RedisRateLimitStore.class);
    /** Longest a bucket key is kept after it was moved: absurd limits (a burst of years) are forgotten then. */
    static final Duration MAX_EXPIRY = Duration.ofDays(400);
    /** Slack on every expiry, so a bucket is never dropped a moment before it has drained. */
    private static final long EXPIRY_SLACK_MS = 1000;

    private final RedisConnection redis;
    private final String tag;
    private final RedisConnection.Script acquire;
    private final RedisConnection.Script correct;

    private RedisRateLimitStore(RedisConnection redis, String keyPrefix) {
        this.redis = redis;
        this.tag = "{" + keyPrefix + "}";
        this.acquire = redis.load("rate limit acquire", "gcra_common.lua", "gcra_acquire.lua");
        this.correct = redis.load("rate limit correct", "gcra_common.lua", "gcra_correct.lua");
    }

    /**
     * Connects to {@code redis://host:port/db} and loads the scripts. The options are the budget counters' (the
     * key prefix, command and connect timeouts); their clock and counter grace do not apply to buckets.
     *
     * @throws IllegalArgumentException         if the URL is not a Redis URI
     * @throws CounterStoreUnavailableException if Redis cannot be reached or does not answer in time
     */
    public static RedisRateLimitStore connect(String redisUrl, RedisCounterStore.Options opts) {
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(opts, "opts");
        RedisConnection redis = RedisConnection.connect(redisUrl, opts.commandTimeout(), opts.connectTimeout(),
                "rate limit");
        try {
            RedisRateLimitStore store = new RedisRateLimitStore(redis, opts.keyPrefix());
            LOG.info("rate-limit buckets on {} under {}", redis.where(), store.tag);
            return store;
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
    }

    private String key(String bucket) {
        return tag + ":rl:" + bucket;
    }

    @Override
    public Result acquire(String ticket, List<Draw> draws, Instant now) {
        Objects.requireNonNull(draws, "draws");
        Objects.requireNonNull(now, "now");
        if (draws.isEmpty()) {
            return new Result.Admitted();
        }
        String[] keys = new String[draws.size()];
        String[] args = new String[draws.size() * 4];
        for (int i = 0; i < draws.size(); i++) {
            Draw d = draws.get(i);
            if (d.units() < 0) {
                throw new IllegalArgumentException("an acquire cannot give units back");
            }
            BigInteger capacity = Gcra.capacity(d.limit());
            keys[i] = key(d.bucket());
            args[i * 4] = Gcra.scaledNow(now, d.limit()).toString();
            args[i * 4 + 1] = Gcra.increment(d.units(), d.limit()).toString();
            args[i * 4 + 2] = capacity.toString();
            args[i * 4 + 3] = Long.toString(expiryMillis(capacity, d.limit()));
        }
        List<Object> reply = redis.runMulti(acquire, keys, args);
        if ("admitted".equals(reply.get(0))) {
            return new Result.Admitted();
        }
        if (!"limited".equals(reply.get(0))) {
            throw new IllegalStateException("unexpected reply from the rate limit script: " + reply);
        }
        List<Refusal> refusals = new ArrayList<>();
        for (int i = 1; i + 1 < reply.size(); i += 2) {
            int index = Integer.parseInt((String) reply.get(i)) - 1;
            BigInteger excess = new BigInteger((String) reply.get(i + 1));
            refusals.add(new Refusal(index, Gcra.drain(excess, draws.get(index).limit())));
        }
        return new Result.Limited(refusals);
    }

    @Override
    public void correct(String ticket, List<Draw> draws, Instant now) {
        Objects.requireNonNull(draws, "draws");
        Objects.requireNonNull(now, "now");
        List<String> keys = new ArrayList<>();
        List<String> args = new ArrayList<>();
        for (Draw d : draws) {
            if (d.units() == 0) {
                continue;
            }
            BigInteger delta = Gcra.increment(Math.abs(d.units()), d.limit());
            keys.add(key(d.bucket()));
            args.add(Gcra.scaledNow(now, d.limit()).toString());
            args.add(d.units() > 0 ? "+" : "-");
            args.add(delta.toString());
            args.add(Long.toString(expiryMillis(delta, d.limit())));
        }
        if (keys.isEmpty()) {
            return;
        }
        redis.run(correct, ScriptOutputType.INTEGER, keys.toArray(String[]::new), args.toArray(String[]::new));
    }

    @Override
    public long available(String bucket, RateLimit limit, Instant now) {
        String tat;
        try {
            tat = redis.sync().get(key(bucket));
        } catch (RedisException e) {
            throw redis.unavailable("read", e);
        }
        BigInteger scaledNow = Gcra.scaledNow(now, limit);
        return Gcra.available(tat == null ? scaledNow : new BigInteger(tat), scaledNow, limit);
    }

    /** How long a bucket filled by {@code scaled} takes to drain, in ms, with slack, at most {@link #MAX_EXPIRY}. */
    private static long expiryMillis(BigInteger scaled, RateLimit limit) {
        return Math.min(MAX_EXPIRY.toMillis(), Gcra.drainMillis(scaled, limit) + EXPIRY_SLACK_MS);
    }

    @Override
    public void close() {
        redis.close();
    }

    @Override
    public String toString() {
        return "RedisRateLimitStore[" + redis.where() + ", " + tag + "]";
    }
}
