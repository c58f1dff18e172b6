package dev.tokenrt.tokens.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.tokenrt.tokens.CalibratingEstimator;
import dev.tokenrt.tokens.ProviderEstimators;
import dev.tokenrt.tokens.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How fast {@link CalibratingEstimator} converges, measured with a real tokenizer standing in for a provider's
 * hidden one: an open model's vocabulary (through {@link HuggingFaceTokenizer}) plays the provider that reports
 * input tokens, and a public JTokkit encoding is the base we count with locally, over real prompts (MT-bench in
 * English, BELLE in Chinese).
 *
 * <p>For each scenario and each of {@value #TRIALS} seeded shuffles, the prompts split into a calibration pool and
 * a held-out set; an estimator starting from the provider's default prior observes the first k pool prompts
 * (base count, hidden count) and is scored by its mean absolute percentage error (MAPE) on the held-out prompts.
 * The figures are means over trials; everything is seeded, so the numbers are the same on every run. The table
 * is written to {@code target/estimator-convergence.md}.
 */
class EstimatorConvergenceTest {

    static final int[] STEPS = {0, 1, 2, 4, 8, 16, 32, 64};
    static final int TRIALS = 50;
    /** Held-out prompts shorter than the estimator's minimum pair size are not scored: one token is 15% there. */
    static final long MIN_SCORED_BASE_TOKENS = CalibratingEstimator.DEFAULT_MIN_BASE_TOKENS;

    record Workload(String name, List<String> prompts, int holdOut) {}

    record Scenario(String hidden, EncodingType base, ProviderEstimators.Prior prior, Workload workload) {
        String label() {
            return hidden + " ÷ " + base.getName() + ", " + prior.provider() + " prior " + prior.ratio() + ", "
                    + workload.name();
        }
    }

    /**
     * MAPE per step, the oracle floor (the best single ratio for each held-out set), the ratio of summed counts
     * and the median per-prompt ratio over the whole workload (prompts of at least 8 base tokens).
     */
    record Curve(Scenario scenario, double[] mape, double oracleFloor, double trueRatio, double medianRatio,
            int scored) {
        double at(int step) {
            return mape[Arrays.binarySearch(STEPS, step)];
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EncodingRegistry ENCODINGS = Encodings.newDefaultEncodingRegistry();
    private static final Map<String, Curve> CURVES = new LinkedHashMap<>();

    private static Workload english;
    private static Workload chinese;
    private static Workload mixed;

    @BeforeAll
    static void loadWorkloads() throws IOException {
        List<String> en = new ArrayList<>();
        for (JsonNode question : jsonLines("/dev/tokenrt/tokens/workload/mt_bench_question.jsonl")) {
            for (JsonNode turn : question.get("turns")) {
                en.add(turn.asText()); // each turn is a real user prompt; second turns are short follow-ups
            }
        }
        List<String> zh = new ArrayList<>();
        for (JsonNode item : jsonLines("/dev/tokenrt/tokens/workload/belle_eval_set_first160.jsonl")) {
            zh.add(item.get("question").asText() + "\n\n" + item.get("std_answer").asText());
        }
        List<String> both = new ArrayList<>(en);
        both.addAll(zh);
        english = new Workload("English (MT-bench, " + en.size() + " prompts)", en, 60);
        chinese = new Workload("Chinese (BELLE, " + zh.size() + " prompts)", zh, 60);
        mixed = new Workload("mixed English and Chinese (" + both.size() + " prompts)", both, 120);
    }

    private static List<JsonNode> jsonLines(String resource) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        try (InputStream in = EstimatorConvergenceTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
        }
        return lines;
    }

    static Curve curve(String hidden, EncodingType base, ProviderEstimators.Prior prior, Workload workload) {
        Scenario scenario = new Scenario(hidden, base, prior, workload);
        return CURVES.computeIfAbsent(scenario.label(), key -> measure(scenario));
    }

    private static Curve measure(Scenario scenario) {
        HuggingFaceTokenizer hiddenTokenizer = Vocabularies.get(scenario.hidden());
        Encoding baseEncoding = ENCODINGS.getEncoding(scenario.base());
        List<long[]> pairs = new ArrayList<>(); // {base count, provider count}
        long baseSum = 0;
        long hiddenSum = 0;
        for (String prompt : scenario.workload().prompts()) {
            long b = baseEncoding.countTokensOrdinary(prompt);
            long h = hiddenTokenizer.countTokens(prompt);
            pairs.add(new long[] {b, h});
            baseSum += b;
            hiddenSum += h;
        }
        Tokenizer baseTokenizer = new JTokkitBase(baseEncoding);
        double[] ratios = pairs.stream().filter(p -> p[0] >= MIN_SCORED_BASE_TOKENS)
                .mapToDouble(p -> (double) p[1] / p[0]).sorted().toArray();
        double medianRatio = ratios.length % 2 == 1 ? ratios[ratios.length / 2]
                : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;

        double[] mape = new double[STEPS.length];
        double floor = 0;
        int scored = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            List<long[]> shuffled = new ArrayList<>(pairs);
            Collections.shuffle(shuffled, new Random(1_000 + trial));
            List<long[]> heldOut = shuffled.subList(0, scenario.workload().holdOut()).stream()
                    .filter(p -> p[0] >= MIN_SCORED_BASE_TOKENS).toList();
            List<long[]> pool = shuffled.subList(scenario.workload().holdOut(), shuffled.size());
            scored = heldOut.size();
            for (int s = 0; s < STEPS.length; s++) {
                CalibratingEstimator estimator =
                        CalibratingEstimator.create(scenario.prior().provider(), baseTokenizer, scenario.prior().ratio());
                for (int i = 0; i < STEPS[s]; i++) {
                    long[] pair = pool.get(i % pool.size());
                    estimator.observe(pair[0], pair[1]);
                }
                mape[s] += meanAbsolutePercentageError(heldOut, estimator.snapshot().ratio());
            }
            floor += bestSingleRatioError(heldOut);
        }
        for (int s = 0; s < STEPS.length; s++) {
            mape[s] /= TRIALS;
        }
        return new Curve(scenario, mape, floor / TRIALS, (double) hiddenSum / baseSum, medianRatio, scored);
    }

    private static double meanAbsolutePercentageError(List<long[]> pairs, double ratio) {
        double sum = 0;
        for (long[] pair : pairs) {
            sum += Math.abs(Math.round(pair[0] * ratio) - pair[1]) / (double) pair[1];
        }
        return sum / pairs.size();
    }

    /** The lowest MAPE any single ratio reaches on this set (searched on a 0.001 grid): the floor of the model. */
    private static double bestSingleRatioError(List<long[]> pairs) {
        double best = Double.MAX_VALUE;
        for (int milli = 250; milli <= 4000; milli++) {
            best = Math.min(best, meanAbsolutePercentageError(pairs, milli / 1000.0));
        }
        return best;
    }

    // --- assertions: bounds come from the oracle floor measured on the same data, plus a margin ---

    @Test
    void anthropicPriorOnEnglishConvergesWithQwen3AsTheHiddenTokenizer() {
        Curve curve = curve("qwen3", EncodingType.O200K_BASE, ProviderEstimators.ANTHROPIC, english);

        // The prior (1.20, Claude's measured excess) is wrong for this stand-in, whose true ratio is near 1.0:
        // calibration must beat it by far and come within one percentage point of the best single ratio.
        assertThat(curve.trueRatio()).isBetween(1.0, 1.1);
        assertThat(curve.at(0)).isGreaterThan(0.10);
        assertThat(curve.at(16)).isLessThan(curve.at(0) / 3).isLessThan(curve.oracleFloor() + 0.01);
        assertThat(curve.at(64)).isLessThanOrEqualTo(curve.at(16) + 0.002);
    }

    @Test
    void anthropicPriorOnChineseConvergesWithLlama3AsTheHiddenTokenizer() {
        Curve curve = curve("llama3", EncodingType.O200K_BASE, ProviderEstimators.ANTHROPIC, chinese);

        assertThat(curve.at(16)).isLessThan(curve.at(0)).isLessThan(curve.oracleFloor() + 0.01);
    }

    @Test
    void googlePriorOnChineseConvergesWithGemma3AsTheHiddenTokenizer() {
        // Gemma 3 shares Gemini 2.0's tokenizer; the google prior was measured on English, so Chinese is off.
        Curve curve = curve("gemma3", EncodingType.O200K_BASE, ProviderEstimators.GOOGLE, chinese);

        assertThat(curve.trueRatio()).isBetween(0.85, 0.97);
        assertThat(curve.at(16)).isLessThan(curve.at(0)).isLessThan(curve.oracleFloor() + 0.01);
    }

    @Test
    void googlePriorOnEnglishConvergesWithGemma3AsTheHiddenTokenizer() {
        // The prior is the ratio of summed counts; the ratio that minimises the percentage error per prompt is
        // lower (short prompts split alike in both vocabularies), so calibration still improves on it.
        Curve curve = curve("gemma3", EncodingType.O200K_BASE, ProviderEstimators.GOOGLE, english);

        assertThat(curve.at(16)).isLessThan(curve.at(0)).isLessThan(curve.oracleFloor() + 0.01);
    }

    @Test
    void aMixedWorkloadHasAFloorThatOneRatioCannotBeat() {
        // English and Chinese need different ratios; one ratio for both leaves an irreducible error. The estimator
        // still beats the prior and approaches that floor, and o200k_base as the base keeps the floor lower than
        // cl100k_base does (it splits Chinese closer to how the open vocabularies do).
        Curve o200k = curve("qwen3", EncodingType.O200K_BASE, ProviderEstimators.ANTHROPIC, mixed);
        Curve cl100k = curve("qwen3", EncodingType.CL100K_BASE, ProviderEstimators.ANTHROPIC, mixed);

        assertThat(o200k.at(16)).isLessThan(o200k.at(0)).isLessThan(o200k.oracleFloor() + 0.02);
        assertThat(o200k.oracleFloor()).isLessThan(cl100k.oracleFloor());
    }

    @AfterAll
    static void writeTable() throws IOException {
        // Also measure the rest of the grid for the report, then write it.
        curve("llama3", EncodingType.O200K_BASE, ProviderEstimators.ANTHROPIC, english);
        curve("qwen3", EncodingType.O200K_BASE, ProviderEstimators.ANTHROPIC, chinese);
        curve("gemma3", EncodingType.O200K_BASE, ProviderEstimators.GOOGLE, mixed);
        curve("deepseek_v3", EncodingType.O200K_BASE, ProviderEstimators.ANTHROPIC, mixed);
        curve("qwen3", EncodingType.CL100K_BASE, ProviderEstimators.ANTHROPIC, english);
        curve("qwen3", EncodingType.CL100K_BASE, ProviderEstimators.ANTHROPIC, chinese);

        StringBuilder table = new StringBuilder();
        table.append("| hidden ÷ base | prior | workload | ratio of sums | median ratio | scored |");
        for (int step : STEPS) {
            table.append(" k=").append(step).append(" |");
        }
        table.append(" floor |\n|---|---|---|---|---|---|");
        table.append("---|".repeat(STEPS.length)).append("---|\n");
        List<Curve> rows = new ArrayList<>(CURVES.values());
        rows.sort(java.util.Comparator.comparing((Curve c) -> c.scenario().base().getName())
                .thenComparing(c -> c.scenario().hidden())
                .thenComparing(c -> c.scenario().workload().prompts().size())
                .thenComparing(c -> c.scenario().workload().name()));
        for (Curve c : rows) {
            Scenario s = c.scenario();
            table.append("| ").append(s.hidden()).append(" ÷ ").append(s.base().getName())
                    .append(" | ").append(s.prior().provider()).append(' ').append(s.prior().ratio())
                    .append(" | ").append(s.workload().name())
                    .append(" | ").append(String.format(Locale.ROOT, "%.3f", c.trueRatio()))
                    .append(" | ").append(String.format(Locale.ROOT, "%.3f", c.medianRatio()))
                    .append(" | ").append(c.scored()).append(" |");
            for (double m : c.mape()) {
                table.append(String.format(Locale.ROOT, " %.1f%% |", 100 * m));
            }
            table.append(String.format(Locale.ROOT, " %.1f%% |%n", 100 * c.oracleFloor()));
        }
        Path out = Path.of("target", "estimator-convergence.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table.toString());
        System.out.println("Estimator convergence (MAPE on held-out prompts after k observations, mean of "
                + TRIALS + " trials):\n" + table);
    }

    /** A JTokkit encoding as the estimator's base (test-only; the tokens registry is built elsewhere). */
    private record JTokkitBase(Encoding encoding) implements Tokenizer {
        @Override
        public String name() {
            return encoding.getName();
        }

        @Override
        public boolean exact() {
            return true;
        }

        @Override
        public int countTokens(String text) {
            return encoding.countTokensOrdinary(text);
        }

        @Override
        public int[] encode(String text) {
            return encoding.encodeOrdinary(text).toArray();
        }
    }
}
