package dev.tokenrt.cache.semantic.lucene;

import static dev.tokenrt.cache.semantic.TestVectors.near;
import static dev.tokenrt.cache.semantic.TestVectors.unit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tokenrt.cache.semantic.VectorIndex.Neighbour;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Lucene index on a real directory: filters, expiry, near-real-time reads, restarts, concurrency. */
class LuceneVectorIndexTest {

    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final Instant LATER = NOW.plusSeconds(3600);

    @Test
    void nearestWithinThePartitionOnlyWithCosineScores(@TempDir Path dir) {
        Random r = new Random(1);
        float[] q = unit(r, 384);
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            index.add("ns:a", "a-close", near(q, 0.9, r), LATER);
            index.add("ns:a", "a-far", near(q, 0.5, r), LATER);
            index.add("ns:b", "b-closest", near(q, 0.99, r), LATER); // closer, but another context
            List<Neighbour> found = index.search("ns:a", q, 2, NOW);
            assertThat(found).extracting(Neighbour::id).containsExactly("a-close", "a-far");
            assertThat((double) found.get(0).score()).isCloseTo(0.9, within(1e-4));
            assertThat((double) found.get(1).score()).isCloseTo(0.5, within(1e-4));
            assertThat(index.search("ns:c", q, 2, NOW)).isEmpty();
            assertThat(index.size()).isEqualTo(3);
        }
    }

    @Test
    void aSmallPartitionInALargeIndexGetsItsTrueNeighbours(@TempDir Path dir) {
        Random r = new Random(2);
        float[] q = unit(r, 64);
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            for (int i = 0; i < 3000; i++) {
                index.add("big", "big-" + i, near(q, 0.95, r), LATER);
            }
            index.add("small", "small-1", near(q, 0.3, r), LATER);
            index.add("small", "small-2", near(q, 0.6, r), LATER);
            assertThat(index.search("small", q, 5, NOW)).extracting(Neighbour::id).containsExactly("small-2", "small-1");
        }
    }

    @Test
    void expiredEntriesAreNeverReturnedAndSweepDropsThem(@TempDir Path dir) {
        Random r = new Random(3);
        float[] q = unit(r, 32);
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            index.add("p", "old", near(q, 0.99, r), NOW.plusSeconds(10));
            index.add("p", "new", near(q, 0.7, r), LATER);
            assertThat(index.search("p", q, 2, NOW)).extracting(Neighbour::id).containsExactly("old", "new");
            // At its expiry instant an entry is gone.
            assertThat(index.search("p", q, 2, NOW.plusSeconds(10))).extracting(Neighbour::id).containsExactly("new");
            assertThat(index.size()).isEqualTo(2);
            assertThat(index.sweep(NOW.plusSeconds(10))).isEqualTo(1);
            assertThat(index.size()).isEqualTo(1);
            assertThat(index.sweep(NOW.plusSeconds(10))).isZero();
        }
    }

    @Test
    void replaceRemoveAndRemoveByNamespace(@TempDir Path dir) {
        Random r = new Random(4);
        float[] q = unit(r, 32);
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            index.add("team1:ctx", "e1", near(q, 0.2, r), LATER);
            index.add("team1:ctx", "e1", near(q, 0.8, r), LATER); // same id: replaced
            index.add("team1:other", "e2", q, LATER);
            index.add("team2:ctx", "e3", q, LATER);
            assertThat(index.size()).isEqualTo(3);
            assertThat((double) index.search("team1:ctx", q, 5, NOW).get(0).score()).isCloseTo(0.8, within(1e-4));
            assertThat(index.remove("e1")).isTrue();
            assertThat(index.remove("e1")).isFalse();
            assertThat(index.search("team1:ctx", q, 5, NOW)).isEmpty();
            assertThat(index.removePartitions("team1:")).isEqualTo(1);
            assertThat(index.search("team1:other", q, 5, NOW)).isEmpty();
            assertThat(index.search("team2:ctx", q, 5, NOW)).extracting(Neighbour::id).containsExactly("e3");
        }
    }

    @Test
    void vectorsOfTwoDimensionsLiveSideBySide(@TempDir Path dir) {
        Random r = new Random(5);
        float[] small = unit(r, 384);
        float[] large = unit(r, 512);
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            index.add("p#minilm", "en", small, LATER);
            index.add("p#bge", "zh", large, LATER);
            assertThat(index.search("p#minilm", small, 3, NOW)).extracting(Neighbour::id).containsExactly("en");
            assertThat(index.search("p#bge", large, 3, NOW)).extracting(Neighbour::id).containsExactly("zh");
            assertThatThrownBy(() -> index.add("p", "bad", new float[] {3, 4}, LATER))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unit length");
        }
    }

    @Test
    void survivesARestartAndRefusesASecondWriter(@TempDir Path dir) {
        Random r = new Random(6);
        float[] q = unit(r, 32);
        LuceneVectorIndex index = LuceneVectorIndex.open(dir);
        index.add("p", "kept", q, LATER);
        assertThatThrownBy(() -> LuceneVectorIndex.open(dir)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot open the Lucene vector index");
        index.close();
        try (LuceneVectorIndex reopened = LuceneVectorIndex.open(dir)) {
            assertThat(reopened.size()).isEqualTo(1);
            assertThat(reopened.search("p", q, 1, NOW)).extracting(Neighbour::id).containsExactly("kept");
        }
    }

    @Test
    void concurrentAddsAndSearchesSeeEveryEntry(@TempDir Path dir) throws Exception {
        int threads = 4;
        int perThread = 250;
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> jobs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    jobs.add(pool.submit(() -> {
                        Random r = new Random(100 + thread);
                        int foundOwn = 0;
                        for (int i = 0; i < perThread; i++) {
                            float[] v = unit(r, 32);
                            String id = "t" + thread + "-" + i;
                            index.add("p" + thread, id, v, LATER);
                            // Read-your-writes: the entry just added is found by the next search (among the
                            // nearest 5: HNSW is approximate, and a top-1 search may, rarely, miss even a copy).
                            List<Neighbour> n = index.search("p" + thread, v, 5, NOW);
                            if (n.stream().anyMatch(x -> x.id().equals(id))) {
                                foundOwn++;
                            }
                        }
                        return foundOwn;
                    }));
                }
                for (Future<Integer> f : jobs) {
                    assertThat(f.get()).isEqualTo(perThread);
                }
            } finally {
                pool.shutdown();
            }
            assertThat(index.size()).isEqualTo((long) threads * perThread);
        }
    }
}
