package dev.tokenrt.tokens;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CalibratingEstimatorTest {

    /** A test stand-in for a base tokenizer: one token per whitespace-separated word. */
    record WordTokenizer() implements Tokenizer {
        @Override
        public String name() {
            return "words";
        }

        @Override
        public boolean exact() {
            return true;
        }

        @Override
        public int countTokens(String text) {
            return text.isBlank() ? 0 : text.trim().split("\\s+").length;
        }

        @Override
        public int[] encode(String text) {
            return new int[countTokens(text)];
        }
    }

    private static final String TEN_WORDS = "one two three four five six seven eight nine ten";

    @Test
    void usesThePriorBeforeAnyObservation() {
        CalibratingEstimator estimator = CalibratingEstimator.create("anthropic", new WordTokenizer(), 1.2);

        assertThat(estimator.countTokens(TEN_WORDS)).isEqualTo(12);
        assertThat(estimator.count(TEN_WORDS)).isEqualTo(TokenCount.estimated(12));
        assertThat(estimator.exact()).isFalse();
        assertThat(estimator.snapshot()).isEqualTo(new CalibratingEstimator.Snapshot(1.2, 0, 0, 0, 0.0));
        assertThat(estimator.snapshot().calibrated()).isFalse();
        assertThat(estimator.estimate(0)).isZero();
        assertThat(estimator.count("")).isEqualTo(TokenCount.estimated(0));
    }

    @Test
    void convergesOnAnInjectedSequence() {
        // Provider counts are 1.35 × the base with 4% multiplicative noise, prompts of 50 to 2,000 tokens; prior 1.0.
        Random random = new Random(20240724);
        CalibratingEstimator estimator = CalibratingEstimator.create("p", new WordTokenizer(), 1.0);
        List<CalibratingEstimator.Snapshot> history = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            long base = 50 + random.nextInt(1950);
            long provider = Math.round(base * 1.35 * (1 + 0.04 * random.nextGaussian()));
            assertThat(estimator.observe(base, provider)).isTrue();
            history.add(estimator.snapshot());
        }

        assertThat(history.get(0).ratio()).isCloseTo(1.35, within(0.15));
        assertThat(history.get(15).ratio()).isCloseTo(1.35, within(1.35 * 0.03));
        assertThat(history.get(63).ratio()).isCloseTo(1.35, within(1.35 * 0.015));
        assertThat(history.get(63).pairsUsed() + history.get(63).pairsDropped()).isEqualTo(64);
        assertThat(history.get(0).confidence()).isLessThan(history.get(15).confidence());
        assertThat(history.get(15).confidence()).isLessThan(history.get(63).confidence());
        assertThat(history.get(63).confidence()).isGreaterThan(0.9);
        assertThat(estimator.countTokens(TEN_WORDS.repeat(10).replace("ten", "ten "))).isEqualTo(
                (int) Math.round(100 * history.get(63).ratio()));
    }

    @Test
    void dropsOutliersFromTheWindow() {
        // 30 ordinary pairs near 1.10; 5 where the provider also counted something the base never saw (2.5×).
        CalibratingEstimator estimator = CalibratingEstimator.create("p", new WordTokenizer(), 1.0);
        Random random = new Random(7);
        double sum = 0;
        for (int i = 0; i < 35; i++) {
            long base = 200 + random.nextInt(800);
            double ratio = i % 7 == 3 ? 2.5 : 1.10 * (1 + 0.02 * random.nextGaussian());
            long provider = Math.round(base * ratio);
            sum += (double) provider / base;
            estimator.observe(base, provider);
        }
        CalibratingEstimator.Snapshot snapshot = estimator.snapshot();

        assertThat(snapshot.pairsDropped()).isEqualTo(5);
        assertThat(snapshot.pairsUsed()).isEqualTo(30);
        assertThat(snapshot.ratio()).isCloseTo(1.10, within(0.011));
        assertThat(sum / 35).as("a plain mean would be pulled up").isGreaterThan(1.3);
    }

    @Test
    void ignoresDegeneratePairs() {
        CalibratingEstimator estimator = CalibratingEstimator.create("p", new WordTokenizer(), 1.2);

        assertThat(estimator.observe(3, 5)).as("too small to say anything").isFalse();
        assertThat(estimator.observe(100, 1000)).as("ten times: not the same text").isFalse();
        assertThat(estimator.observe(100, 10)).as("a tenth: not the same text").isFalse();
        assertThat(estimator.observe(0, 0)).isFalse();
        assertThat(estimator.snapshot()).isEqualTo(new CalibratingEstimator.Snapshot(1.2, 0, 0, 4, 0.0));

        assertThat(estimator.observe(100, 130)).isTrue();
        assertThat(estimator.snapshot().ratio()).isEqualTo(1.3);
        assertThat(estimator.snapshot().pairsIgnored()).isEqualTo(4);
    }

    @Test
    void forgetsPairsOlderThanTheWindow() {
        CalibratingEstimator estimator = CalibratingEstimator.create("p", new WordTokenizer(), 1.0);
        for (int i = 0; i < 64; i++) {
            estimator.observe(100, 120);
        }
        assertThat(estimator.snapshot().ratio()).isEqualTo(1.2);

        for (int i = 0; i < 40; i++) {
            estimator.observe(100, 150);
        }
        // 40 new pairs at 1.5 and 24 old at 1.2 in the window: the median moved, the old ones are now outliers.
        assertThat(estimator.snapshot()).extracting(
                        CalibratingEstimator.Snapshot::ratio, CalibratingEstimator.Snapshot::pairsUsed,
                        CalibratingEstimator.Snapshot::pairsDropped)
                .containsExactly(1.5, 40, 24);

        for (int i = 0; i < 24; i++) {
            estimator.observe(100, 150);
        }
        assertThat(estimator.snapshot().pairsUsed()).isEqualTo(64);
        assertThat(estimator.snapshot().pairsDropped()).isZero();
    }

    @Test
    void smallWindowFromTheBuilder() {
        CalibratingEstimator estimator = CalibratingEstimator.builder("p", new WordTokenizer(), 1.0)
                .window(3).minBaseTokens(1).outlierMads(3).build();
        estimator.observe(2, 2);
        estimator.observe(10, 20);
        estimator.observe(10, 20);
        estimator.observe(10, 20);
        assertThat(estimator.snapshot().ratio()).isEqualTo(2.0);
        assertThat(estimator.snapshot().pairsUsed()).isEqualTo(3);
    }

    @Test
    void confidenceFollowsTheDocumentedFormula() {
        assertThat(CalibratingEstimator.erf(0)).isZero();
        assertThat(CalibratingEstimator.erf(1)).isCloseTo(0.8427007929, within(2e-7));
        assertThat(CalibratingEstimator.erf(-0.5)).isCloseTo(-0.5204998778, within(2e-7));

        assertThat(CalibratingEstimator.confidence(0, 0)).isZero();
        assertThat(CalibratingEstimator.confidence(1, 0)).isCloseTo(0.515, within(0.005));
        assertThat(CalibratingEstimator.confidence(64, 0.05)).isCloseTo(0.93, within(0.005));
        assertThat(CalibratingEstimator.confidence(64, 0.20)).isCloseTo(0.386, within(0.005));
        assertThat(CalibratingEstimator.confidence(10_000, 0.0)).isLessThanOrEqualTo(1.0).isGreaterThan(0.999);
    }

    @Test
    void hasNoTokenIds() {
        CalibratingEstimator estimator = CalibratingEstimator.create("google", new WordTokenizer(), 1.0);
        assertThatThrownBy(() -> estimator.encode("hi"))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("google");
    }

    @Test
    void rejectsNonsense() {
        WordTokenizer base = new WordTokenizer();
        assertThatThrownBy(() -> CalibratingEstimator.create("p", base, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CalibratingEstimator.create("p", base, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CalibratingEstimator.create(" ", base, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CalibratingEstimator.builder("p", base, 1).window(0))
                .isInstanceOf(IllegalArgumentException.class);
        CalibratingEstimator estimator = CalibratingEstimator.create("p", base, 1);
        assertThatThrownBy(() -> estimator.observe(-1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> estimator.estimate(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void observersAndCountersShareOneEstimator() throws Exception {
        // 4 threads observe 1,000 pairs at exactly 1.25 and 500 degenerate pairs each, while 4 threads count.
        // Whatever the interleaving, a count is either the prior's or the calibrated one, and the end state is fixed.
        CalibratingEstimator estimator = CalibratingEstimator.create("p", new WordTokenizer(), 1.0);
        String fortyWords = (TEN_WORDS + " ").repeat(4);
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean observing = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> observers = new ArrayList<>();
            List<Future<?>> counters = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                observers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 1500; i++) {
                        if (i % 3 == 2) {
                            estimator.observe(2, 2);
                        } else {
                            estimator.observe(80 + i % 7 * 40, (80 + i % 7 * 40) * 5 / 4);
                        }
                    }
                    return null;
                }));
                counters.add(pool.submit(() -> {
                    start.await();
                    do {
                        seen.add(estimator.countTokens(fortyWords));
                    } while (observing.get());
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : observers) {
                f.get(60, TimeUnit.SECONDS);
            }
            observing.set(false);
            for (Future<?> f : counters) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(estimator.snapshot()).isEqualTo(new CalibratingEstimator.Snapshot(
                1.25, 64, 0, 2000, CalibratingEstimator.confidence(64, 0.0)));
        assertThat(seen).isSubsetOf(40, 50).contains(50);
        assertThat(estimator.countTokens(fortyWords)).isEqualTo(50);
    }
}
