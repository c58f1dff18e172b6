package dev.tokenrt.bench.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.cache.semantic.SemanticCache;
import dev.tokenrt.cache.semantic.lucene.LuceneVectorIndex;
import dev.tokenrt.cache.semantic.onnx.EmbeddingModel;
import dev.tokenrt.cache.semantic.onnx.OnnxEmbedder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Semantic lookup latency (embedding plus search) and memory at 100,000 entries, with the product's parts: the
 * all-MiniLM-L6-v2 ONNX embedder (one intra-op thread) and the Lucene HNSW index on disk, through
 * {@link SemanticCache#lookup}.
 *
 * <p>Entries: the real embeddings of every distinct English sentence of STS-B (train, dev, test) and GPTCache's mock
 * set, then, up to the entry count, vectors at a cosine of 0.70-0.95 from a random one of them (so the index holds
 * clusters of near-paraphrases, as a cache does, rather than uniform noise). Queries: the second sentences of
 * STS-B dev and test, embedded at lookup time. The same queries are then timed for embedding alone and for search
 * alone. Lookups run one at a time on one thread; the numbers are latencies, not throughput.
 *
 * <p>Memory: the index's size on disk (Lucene reads its vectors and graph through the page cache), and the JVM heap
 * and process resident set before and after building, each after a full GC.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.tokenrt.bench.cache.SemanticLookupBench --data ../shared/data/paraphrase [--entries 100000]
 * [--partitions 1] [--queries 2000] [--warmup 300] [--dir DIR]}
 */
public final class SemanticLookupBench {

    private SemanticLookupBench() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of("../shared/data/paraphrase");
        int entries = 100_000;
        int partitions = 1;
        int queries = 2000;
        int warmup = 300;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--entries" -> entries = Integer.parseInt(args[++i]);
                case "--partitions" -> partitions = Integer.parseInt(args[++i]);
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (dir == null) {
            dir = Files.createTempDirectory("tokenrt-semantic-bench");
        }
        List<String> corpus = new ArrayList<>(firstSentences(data));
        List<String> asked = secondSentences(data);
        System.out.printf(Locale.ROOT, "corpus %d distinct sentences, %d query sentences%n", corpus.size(), asked.size());

        try (OnnxEmbedder embedder = OnnxEmbedder.load(EmbeddingModel.ALL_MINILM_L6_V2_Q)) {
            long t0 = System.nanoTime();
            List<float[]> real = embedder.embedAll(corpus);
            System.out.printf(Locale.ROOT, "embedded the corpus in %.1f s (batched)%n", (System.nanoTime() - t0) / 1e9);

            Memory before = Memory.now();
            Instant now = Instant.parse("2026-12-01T00:00:00Z");
            Instant expires = now.plusSeconds(86_400);
            Random r = new Random(42);
            String[] parts = new String[partitions];
            for (int p = 0; p < partitions; p++) {
                parts[p] = SemanticCache.indexPartition("bench:ctx" + p, embedder);
            }
            long build = System.nanoTime();
            try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
                for (int i = 0; i < entries; i++) {
                    float[] v = i < real.size() ? real.get(i) : near(real.get(r.nextInt(real.size())),
                            0.70 + 0.25 * r.nextDouble(), r);
                    index.add(parts[i % partitions], "e" + i, v, expires);
                }
                index.commit();
                double buildSeconds = (System.nanoTime() - build) / 1e9;
                index.size(); // opens the reader, as the first lookup would
                Memory after = Memory.now();
                long disk = diskBytes(dir);
                System.out.printf(Locale.ROOT, "built %d entries in %d partition(s) in %.1f s%n", entries, partitions,
                        buildSeconds);
                System.out.printf(Locale.ROOT, "disk %.1f MB (%.0f bytes/entry); heap %+.1f MB; RSS %+.1f MB%n",
                        disk / 1e6, (double) disk / entries, (after.heap - before.heap) / 1e6,
                        (after.rss - before.rss) / 1e6);

                SemanticCache cache = SemanticCache.builder(embedder, index).build();
                List<String> timed = new ArrayList<>();
                for (int i = 0; timed.size() < queries + warmup; i++) {
                    timed.add(asked.get(i % asked.size()));
                }
                Histogram lookup = new Histogram(3);
                Histogram embedOnly = new Histogram(3);
                Histogram searchOnly = new Histogram(3);
                for (int i = 0; i < timed.size(); i++) {
                    String partition = "bench:ctx" + (i % partitions);
                    long s = System.nanoTime();
                    cache.lookup(partition, timed.get(i), now);
                    long e = System.nanoTime();
                    if (i >= warmup) {
                        lookup.recordValue((e - s) / 1000);
                    }
                }
                for (int i = 0; i < timed.size(); i++) {
                    long s = System.nanoTime();
                    float[] v = embedder.embed(timed.get(i));
                    long m = System.nanoTime();
                    index.search(parts[i % partitions], v, 2, now);
                    long e = System.nanoTime();
                    if (i >= warmup) {
                        embedOnly.recordValue((m - s) / 1000);
                        searchOnly.recordValue((e - m) / 1000);
                    }
                }
                System.out.println("| what | p50 ms | p90 ms | p99 ms | max ms | n |");
                System.out.println("|---|---:|---:|---:|---:|---:|");
                row("lookup (embed + search + policy)", lookup);
                row("embedding only", embedOnly);
                row("search only (k=2)", searchOnly);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void row(String what, Histogram h) {
        System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %d |%n", what,
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, h.getTotalCount());
    }

    private record Memory(long heap, long rss) {
        static Memory now() throws IOException {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return new Memory(heap, rss);
        }
    }

    private static long diskBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static LinkedHashSet<String> firstSentences(Path data) throws IOException {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String split : List.of("sts-train.csv", "sts-dev.csv", "sts-test.csv")) {
            for (String line : Files.readAllLines(data.resolve("stsb").resolve(split), StandardCharsets.UTF_8)) {
                String[] f = line.split("\t");
                if (f.length >= 7) {
                    out.add(f[5]);
                    if (split.equals("sts-train.csv")) {
                        out.add(f[6]);
                    }
                }
            }
        }
        for (JsonNode pair : new ObjectMapper().readTree(data.resolve("gptcache").resolve("mock_data.json").toFile())) {
            out.add(pair.path("origin").asText());
            out.add(pair.path("similar").asText());
        }
        return out;
    }

    private static List<String> secondSentences(Path data) throws IOException {
        List<String> out = new ArrayList<>();
        for (String split : List.of("sts-dev.csv", "sts-test.csv")) {
            for (String line : Files.readAllLines(data.resolve("stsb").resolve(split), StandardCharsets.UTF_8)) {
                String[] f = line.split("\t");
                if (f.length >= 7) {
                    out.add(f[6]);
                }
            }
        }
        return out;
    }

    /** A unit vector at cosine {@code cos} from the unit vector {@code base}. */
    private static float[] near(float[] base, double cos, Random r) {
        float[] out = new float[base.length];
        double d = 0;
        double s = 0;
        float[] noise = new float[base.length];
        for (int i = 0; i < base.length; i++) {
            noise[i] = (float) r.nextGaussian();
            d += noise[i] * base[i];
        }
        for (int i = 0; i < base.length; i++) {
            noise[i] -= (float) (d * base[i]);
            s += noise[i] * noise[i];
        }
        double sin = Math.sqrt(1 - cos * cos) / Math.sqrt(s);
        double norm = 0;
        for (int i = 0; i < base.length; i++) {
            out[i] = (float) (cos * base[i] + sin * noise[i]);
            norm += out[i] * out[i];
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < base.length; i++) {
            out[i] *= inv;
        }
        return out;
    }
}
