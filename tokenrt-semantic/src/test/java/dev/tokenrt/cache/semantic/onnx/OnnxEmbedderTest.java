package dev.tokenrt.cache.semantic.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real quantized models against reference vectors made by LangChain4j's own model classes
 * ({@code AllMiniLmL6V2QuantizedEmbeddingModel} 1.19.0-beta29 and {@code BgeSmallZhV15QuantizedEmbeddingModel}
 * 1.11.0-beta19, which run the same ONNX files with ONNX Runtime 1.20.0), run once in a scratch project outside
 * the repository on 2026-12-01: the first six components and the cosines below are what they printed.
 */
class OnnxEmbedderTest {

    static OnnxEmbedder minilm;
    static OnnxEmbedder bge;

    @BeforeAll
    static void load() {
        minilm = OnnxEmbedder.load(EmbeddingModel.ALL_MINILM_L6_V2_Q);
        bge = OnnxEmbedder.load(EmbeddingModel.BGE_SMALL_ZH_V15_Q);
    }

    @AfterAll
    static void close() {
        minilm.close();
        bge.close();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    static void assertPrefix(float[] v, double... expected) {
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) v[i]).as("component %d", i).isCloseTo(expected[i], within(2e-4));
        }
    }

    @Test
    void miniLmMatchesLangChain4jMeanPooling() {
        assertThat(minilm.dimension()).isEqualTo(384);
        assertThat(minilm.id()).isEqualTo("all-minilm-l6-v2-q");
        float[] food = minilm.embed("A man is eating food.");
        float[] bread = minilm.embed("A man is eating a piece of bread.");
        float[] movie = minilm.embed("The new movie is awesome");
        float[] reset = minilm.embed("How do I reset my password?");
        float[] change = minilm.embed("How can I change my password?");
        float[] delete = minilm.embed("How do I delete my account?");
        assertPrefix(food, 0.038444784, -8.709284E-4, -0.003220909, 0.03890087, -0.13329427, -0.036842182);
        assertPrefix(reset, 0.011720723, -0.056517746, -0.075440206, -0.04167837, -0.040290616, 0.06580056);
        assertThat(dot(food, food)).isCloseTo(1.0, within(1e-5));
        assertThat(dot(food, bread)).isCloseTo(0.7581321, within(1e-3));
        assertThat(dot(food, movie)).isCloseTo(-0.0348952, within(1e-3));
        assertThat(dot(reset, change)).isCloseTo(0.8567681, within(1e-3));
        assertThat(dot(reset, delete)).isCloseTo(0.5741688, within(1e-3));
    }

    @Test
    void bgeMatchesLangChain4jClsPooling() {
        assertThat(bge.dimension()).isEqualTo(512);
        float[] huabei1 = bge.embed("如何更换花呗绑定银行卡");
        float[] huabei2 = bge.embed("花呗更改绑定银行卡");
        float[] weather = bge.embed("今天天气怎么样");
        float[] cert1 = bge.embed("开初婚未育证明怎么弄？");
        float[] cert2 = bge.embed("初婚未育情况证明怎么开？");
        assertPrefix(huabei1, 0.031889956, 0.11784091, 0.056404684, -0.012128206, 0.018764706, -0.045854226);
        assertPrefix(cert2, -0.007642767, -0.002439411, 0.103237554, 0.011574495, 0.03167439, -0.04221194);
        assertThat(dot(weather, weather)).isCloseTo(1.0, within(1e-5));
        assertThat(dot(huabei1, huabei2)).isCloseTo(0.9368798, within(1e-3));
        assertThat(dot(huabei1, weather)).isCloseTo(0.1751303, within(1e-3));
        assertThat(dot(cert1, cert2)).isCloseTo(0.9573239, within(1e-3));
    }

    /**
     * Both models are dynamically quantized: each run scales its activations by the min and max of the whole input
     * tensor (DynamicQuantizeLinear), so a vector computed in a mixed batch differs slightly from the same text's
     * vector computed alone. A batch of one text repeated is exactly the single run; a mixed batch within 0.03 (0.024 seen, for the empty text).
     */
    @Test
    void batchesKeepOrderAndStayCloseToSingleRuns() {
        String food = "A man is eating food.";
        List<float[]> same = minilm.embedAll(List.of(food, food, food));
        float[] alone = minilm.embed(food);
        for (float[] v : same) {
            assertThat(dot(v, alone)).isCloseTo(1.0, within(1e-6));
        }
        List<String> texts = List.of(food, "Hi",
                "The quick brown fox jumps over the lazy dog while the farmer watches from the porch.", "",
                "How can I change my password?", "How do I reset my password?");
        List<float[]> batched = minilm.embedAll(texts);
        assertThat(batched).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            float[] one = minilm.embed(texts.get(i));
            assertThat(dot(batched.get(i), one)).as("text %d", i).isCloseTo(1.0, within(0.03));
            // Each vector is still nearest to its own text's single-run vector: the order is kept.
            for (int j = 0; j < texts.size(); j++) {
                if (j != i) {
                    assertThat(dot(batched.get(i), one)).isGreaterThan(dot(batched.get(j), one));
                }
            }
        }
        assertThat(minilm.embedAll(List.of())).isEmpty();
    }

    @Test
    void longTextsAreTruncatedAndSaySo() {
        String word = "token ";
        String longText = word.repeat(600);
        assertThat(minilm.covers("How do I reset my password?")).isTrue();
        assertThat(minilm.covers(longText)).isFalse();
        // Truncated at 256 word pieces: anything after them leaves the vector as it is.
        float[] a = minilm.embed(longText);
        float[] b = minilm.embed(longText + " but the last sentence says something entirely different.");
        assertThat(dot(a, b)).isCloseTo(1.0, within(1e-5));
        assertThat(bge.covers("样".repeat(100))).isTrue();
        assertThat(bge.covers("样".repeat(600))).isFalse();
    }

    @Test
    void concurrentCallsAgree() throws Exception {
        float[] expected = minilm.embed("How do I reset my password?");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit(() -> minilm.embed("How do I reset my password?")));
            }
            for (Future<float[]> f : futures) {
                assertThat(dot(f.get(), expected)).isCloseTo(1.0, within(1e-6));
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void namesAndLifecycle() {
        assertThat(EmbeddingModel.byName("MiniLM")).isEqualTo(EmbeddingModel.ALL_MINILM_L6_V2_Q);
        assertThat(EmbeddingModel.byName("bge-small-zh")).isEqualTo(EmbeddingModel.BGE_SMALL_ZH_V15_Q);
        assertThatThrownBy(() -> EmbeddingModel.byName("ada-002"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all-minilm-l6-v2-q");
        OnnxEmbedder e = OnnxEmbedder.load(EmbeddingModel.ALL_MINILM_L6_V2_Q, new OnnxEmbedder.Settings(2, 4));
        assertThat(e.embed("hello")).hasSize(384);
        e.close();
        e.close();
        assertThatThrownBy(() -> e.embed("hello")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> OnnxEmbedder.load(new EmbeddingModel("x", "/missing.onnx", "/missing.json",
                EmbeddingModel.Pooling.MEAN, 128))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/missing.onnx");
    }
}
