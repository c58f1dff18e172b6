package dev.tokenrt.cache.semantic.lucene;

import static dev.tokenrt.cache.semantic.TestVectors.unit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.cache.semantic.VectorIndex;
import dev.tokenrt.cache.semantic.VectorIndex.Neighbour;
import dev.tokenrt.cache.semantic.VectorIndexContract;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Lucene index on a real directory: the contract, plus restarts, the write lock and concurrency. */
class LuceneVectorIndexTest extends VectorIndexContract {

    @TempDir
    Path dir;

    @Override
    protected VectorIndex newIndex() {
        return LuceneVectorIndex.open(dir);
    }

    @Test
    void survivesARestartAndRefusesASecondWriter() {
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
    void concurrentAddsAndSearchesSeeEveryEntry() throws Exception {
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
