package dev.tokenrt.cache.semantic;

import static dev.tokenrt.cache.semantic.TestVectors.near;
import static dev.tokenrt.cache.semantic.TestVectors.unit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tokenrt.cache.semantic.VectorIndex.Neighbour;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What every {@link VectorIndex} must do, run against each real engine by a subclass: partitions that never see
 * each other, cosine scores, true neighbours for a small partition in a large index, expiry, replacement, removal
 * by id and by namespace prefix, vectors of two dimensions side by side.
 */
public abstract class VectorIndexContract {

    protected static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    protected static final Instant LATER = NOW.plusSeconds(3600);

    /** A new, empty index for one test; the subclass closes nothing, the test does. */
    protected abstract VectorIndex newIndex();

    @Test
    void nearestWithinThePartitionOnlyWithCosineScores() {
        Random r = new Random(1);
        float[] q = unit(r, 384);
        try (VectorIndex index = newIndex()) {
            assertThat(index.search("ns:a", q, 2, NOW)).isEmpty();
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
    void aSmallPartitionInALargeIndexGetsItsTrueNeighbours() {
        Random r = new Random(2);
        float[] q = unit(r, 64);
        try (VectorIndex index = newIndex()) {
            for (int i = 0; i < 2000; i++) {
                index.add("big", "big-" + i, near(q, 0.95, r), LATER);
            }
            index.add("small", "small-1", near(q, 0.3, r), LATER);
            index.add("small", "small-2", near(q, 0.6, r), LATER);
            assertThat(index.search("small", q, 5, NOW)).extracting(Neighbour::id).containsExactly("small-2", "small-1");
        }
    }

    @Test
    void expiredEntriesAreNeverReturnedAndSweepDropsThem() {
        Random r = new Random(3);
        float[] q = unit(r, 32);
        try (VectorIndex index = newIndex()) {
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
    void replaceRemoveAndRemoveByNamespace() {
        Random r = new Random(4);
        float[] q = unit(r, 32);
        try (VectorIndex index = newIndex()) {
            index.add("team_1:ctx", "e1", near(q, 0.2, r), LATER);
            index.add("team_1:ctx", "e1", near(q, 0.8, r), LATER); // same id: replaced
            index.add("team_1:other", "e2", q, LATER);
            index.add("teamX1:ctx", "e3", q, LATER);              // '_' in a prefix is no wildcard
            assertThat(index.size()).isEqualTo(3);
            assertThat((double) index.search("team_1:ctx", q, 5, NOW).get(0).score()).isCloseTo(0.8, within(1e-4));
            assertThat(index.remove("e1")).isTrue();
            assertThat(index.remove("e1")).isFalse();
            assertThat(index.search("team_1:ctx", q, 5, NOW)).isEmpty();
            assertThat(index.removePartitions("team_1:")).isEqualTo(1);
            assertThat(index.search("team_1:other", q, 5, NOW)).isEmpty();
            assertThat(index.search("teamX1:ctx", q, 5, NOW)).extracting(Neighbour::id).containsExactly("e3");
        }
    }

    @Test
    void vectorsOfTwoDimensionsLiveSideBySide() {
        Random r = new Random(5);
        float[] small = unit(r, 384);
        float[] large = unit(r, 512);
        try (VectorIndex index = newIndex()) {
            index.add("p#minilm", "en", small, LATER);
            index.add("p#bge", "zh", large, LATER);
            assertThat(index.search("p#minilm", small, 3, NOW)).extracting(Neighbour::id).containsExactly("en");
            assertThat(index.search("p#bge", large, 3, NOW)).extracting(Neighbour::id).containsExactly("zh");
            assertThat(index.size()).isEqualTo(2);
            assertThatThrownBy(() -> index.add("p", "bad", new float[] {3, 4}, LATER))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unit length");
            assertThatThrownBy(() -> index.search("p", small, 0, NOW)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
