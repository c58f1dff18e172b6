package dev.tokenrt.bench.exact;

import dev.tokenrt.cache.CacheCodec;
import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.Invalidation;
import dev.tokenrt.cache.MemoryResponseCache;
import dev.tokenrt.store.cache.JdbcResponseCache;
import dev.tokenrt.store.cache.RedisResponseCache;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Memory per {@code N} entries (default 100,000) of real answers in each layer: the JVM heap the memory layer
 * holds (used heap after full GCs, before and after filling) and the direct memory its segments take, Redis's {@code used_memory} growth, and the size
 * of the SQLite file. Also the mean deflated size of one entry, which is what Redis and the database store.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.tokenrt.bench.exact.CacheFootprint [N]</pre>
 */
public final class CacheFootprint {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        List<Answers.Sample> samples = Answers.load();
        Instant now = Instant.now();

        // The memory layer: used heap after full GCs before and after filling it with entries made on the fly, so
        // the difference is the entries (keys, answers, usage, metadata) and the cache's own structure together.
        long before = usedHeapAfterGc();
        MemoryResponseCache memory = new MemoryResponseCache(8L << 30, Clock.systemUTC());
        for (int i = 0; i < n; i++) {
            memory.put(Answers.key(samples, i), Answers.entry(samples, i, now));
        }
        memory.encoded(60_000); // entries are kept as bytes once the background encoder has seen them
        long after = usedHeapAfterGc();
        System.out.printf("memory layer: %,d entries take %.1f MiB of heap (%.0f bytes each) and %.1f MiB of direct"
                + " memory in segments and index (%.0f bytes each)%n", memory.size(), (after - before) / 1048576.0,
                (double) (after - before) / n, memory.directBytes() / 1048576.0, (double) memory.directBytes() / n);
        memory.invalidate(Invalidation.ALL);

        CacheKey[] keys = new CacheKey[n];
        CachedResponse[] values = new CachedResponse[n];
        long plainChars = 0;
        long deflated = 0;
        for (int i = 0; i < n; i++) {
            keys[i] = Answers.key(samples, i);
            values[i] = Answers.entry(samples, i, now);
            plainChars += values[i].response().text().length();
            deflated += CacheCodec.encode(values[i]).length;
        }
        System.out.printf("entries: %,d; answer text %.0f chars on average; deflated entry %.0f bytes on average%n",
                n, (double) plainChars / n, (double) deflated / n);

        String url = System.getProperty("tokenrt.redis", "redis://127.0.0.1:6379/0");
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> info = client.connect()) {
            long r0 = usedMemory(info.sync().info("memory"));
            RedisResponseCache redis = RedisResponseCache.connect(url, RedisResponseCache.Options.defaults()
                    .withKeyPrefix("bench:footprint:" + UUID.randomUUID()));
            for (int i = 0; i < n; i++) {
                redis.put(keys[i], values[i]);
            }
            long r1 = usedMemory(info.sync().info("memory"));
            System.out.printf("redis layer: used_memory grew %.1f MiB for %,d entries (%.0f bytes each, indexes included)%n",
                    (r1 - r0) / 1048576.0, redis.size(), (double) (r1 - r0) / n);
            redis.invalidate(Invalidation.ALL);
            redis.close();
        } finally {
            client.shutdown();
        }

        Path dir = Files.createTempDirectory("tokenrt-footprint");
        Path db = dir.resolve("cache.db");
        try (JdbcResponseCache sql = JdbcResponseCache.open("jdbc:sqlite:" + db, JdbcResponseCache.Options.defaults())) {
            long f0 = Files.size(db);
            for (int i = 0; i < n; i++) {
                sql.put(keys[i], values[i]);
            }
            long wal = Files.exists(dir.resolve("cache.db-wal")) ? Files.size(dir.resolve("cache.db-wal")) : 0;
            System.out.printf("database layer (SQLite): file %.1f MiB (+ WAL %.1f MiB) for %,d entries%n",
                    (Files.size(db) - f0) / 1048576.0, wal / 1048576.0, sql.size());
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long usedMemory(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new IllegalStateException("no used_memory in INFO memory");
    }

    private CacheFootprint() {
    }
}
