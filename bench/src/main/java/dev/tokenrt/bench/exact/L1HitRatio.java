package dev.tokenrt.bench.exact;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.tokenrt.cache.CacheCodec;
import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.MemoryResponseCache;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The memory layer's hit ratio when it is too small for what is asked of it: the off-heap log (oldest segment
 * first, a second chance for entries read since stored) against what it replaced, Caffeine bounded by the same
 * bytes (W-TinyLFU), on the same stream of requests. Keys are drawn from a Zipf distribution over {@code keys}
 * distinct requests, each answered by a real answer ({@link Answers}); a miss stores the answer, as the gateway
 * does. Caffeine holds each entry's deflated bytes, as the layer did once its encoder had run, weighed as it was
 * (160 bytes of overhead an entry).
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.tokenrt.bench.exact.L1HitRatio [keys] [requests] [zipf-s] [MiB,...]</pre>
 */
public final class L1HitRatio {

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 2_000_000;
        double s = args.length > 2 ? Double.parseDouble(args[2]) : 0.9;
        int[] sizesMiB = Arrays.stream((args.length > 3 ? args[3] : "16,64,128").split(","))
                .mapToInt(Integer::parseInt).toArray();
        List<Answers.Sample> samples = Answers.load();
        Instant now = Instant.now();

        // The cumulative Zipf weights of ranks 1..keys; a request is the first rank whose weight passes a uniform draw.
        double[] cdf = new double[keys];
        double sum = 0;
        for (int i = 0; i < keys; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        int[] stream = new int[requests];
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < requests; i++) {
            int at = Arrays.binarySearch(cdf, r.nextDouble() * sum);
            stream[i] = at >= 0 ? at : Math.min(keys - 1, -at - 1);
        }
        long deflated = 0;
        for (int i = 0; i < 1_000; i++) {
            deflated += CacheCodec.encode(Answers.entry(samples, i, now)).length;
        }
        System.out.printf("%,d requests over %,d keys, Zipf s=%.2f; an entry deflates to %,d bytes on average%n",
                requests, keys, s, deflated / 1_000);
        System.out.println("| layer size | entries it could hold | off-heap log | Caffeine (W-TinyLFU) |");
        System.out.println("|---:|---:|---:|---:|");
        for (int mib : sizesMiB) {
            long bytes = (long) mib << 20;
            System.out.printf("| %d MiB | ~%,d | %.1f %% | %.1f %% |%n", mib, bytes / (deflated / 1_000 + 160),
                    100.0 * offHeap(bytes, stream, samples, now) / requests,
                    100.0 * caffeine(bytes, stream, samples, now) / requests);
        }
    }

    private static long offHeap(long bytes, int[] stream, List<Answers.Sample> samples, Instant now) {
        MemoryResponseCache cache = new MemoryResponseCache(bytes, Clock.systemUTC());
        try {
            long hits = 0;
            for (int i = 0; i < stream.length; i++) {
                CacheKey k = Answers.key(samples, stream[i]);
                if (cache.get(k, now).isPresent()) {
                    hits++;
                } else {
                    cache.put(k, Answers.entry(samples, stream[i], now));
                }
                if (i % 1_000 == 999) {
                    cache.encoded(60_000); // as in the gateway, where each round of the encoder is 20 ms
                }
            }
            return hits;
        } finally {
            cache.close();
        }
    }

    private static long caffeine(long bytes, int[] stream, List<Answers.Sample> samples, Instant now) {
        Cache<CacheKey, byte[]> cache = Caffeine.newBuilder().maximumWeight(bytes)
                .weigher((CacheKey k, byte[] v) -> 160 + 2 * (k.namespace().length() + k.hash().length()) + v.length)
                .executor(Runnable::run).build();
        long hits = 0;
        for (int key : stream) {
            CacheKey k = Answers.key(samples, key);
            if (cache.getIfPresent(k) != null) {
                hits++;
            } else {
                CachedResponse e = Answers.entry(samples, key, now);
                cache.put(k, CacheCodec.encode(e));
            }
        }
        return hits;
    }
}
