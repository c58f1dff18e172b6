package dev.tokenrt.bench.exact;

import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.Invalidation;
import dev.tokenrt.cache.MemoryResponseCache;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.store.cache.JdbcResponseCache;
import dev.tokenrt.store.cache.RedisResponseCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Exact-cache lookups on each real layer holding {@code entries} entries (default 100,000) of real answers
 * ({@link Answers}): a hit on a random stored key, and a miss. Sample-time mode, so JMH reports p50/p90/p99 as
 * well as the mean. Redis is the server at {@code -Dtokenrt.redis} (default redis://127.0.0.1:6379/0) under a
 * prefix of its own, removed at the end; the database layer is SQLite on a temporary file.
 *
 * <pre>java -jar bench/target/benchmarks.jar ExactCacheBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class ExactCacheBenchmark {

    @Param({"memory", "redis", "database"})
    public String layer;

    @Param({"100000"})
    public int entries;

    private ResponseCache cache;
    private CacheKey[] keys;
    private Path dir;
    private final Instant now = Instant.now();

    @Setup
    public void setUp() throws Exception {
        List<Answers.Sample> samples = Answers.load();
        cache = switch (layer) {
            case "memory" -> new MemoryResponseCache(4L << 30, Clock.systemUTC());
            case "redis" -> RedisResponseCache.connect(System.getProperty("tokenrt.redis", "redis://127.0.0.1:6379/0"),
                    RedisResponseCache.Options.defaults().withKeyPrefix("bench:cache:" + UUID.randomUUID()));
            case "database" -> {
                dir = Files.createTempDirectory("tokenrt-cache-bench");
                yield JdbcResponseCache.open("jdbc:sqlite:" + dir.resolve("cache.db"), JdbcResponseCache.Options.defaults());
            }
            default -> throw new IllegalArgumentException(layer);
        };
        keys = new CacheKey[entries];
        for (int i = 0; i < entries; i++) {
            keys[i] = Answers.key(samples, i);
            cache.put(keys[i], Answers.entry(samples, i, now));
        }
        if (cache instanceof MemoryResponseCache m) {
            m.encoded(60_000); // hits measured on entries as the layer keeps them: encoded
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        cache.invalidate(Invalidation.ALL);
        cache.close();
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    public Optional<CachedResponse> hit() {
        return cache.get(keys[ThreadLocalRandom.current().nextInt(entries)], now);
    }

    @Benchmark
    public Optional<CachedResponse> miss() {
        return cache.get(new CacheKey("project:bench", "absent" + ThreadLocalRandom.current().nextInt(entries)), now);
    }
}
