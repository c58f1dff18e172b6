package dev.tokenrt.tokens;

import java.util.Arrays;
import java.util.Objects;

/**
 * Estimates token counts for a provider whose tokenizer is not public (Anthropic's Claude, Google's Gemini)
 * as {@code round(base count × ratio)}, where the base is a public tokenizer (o200k_base, say) and the ratio is
 * learnt from the provider's own usage reports. Every response tells us how many input tokens the provider
 * counted for a prompt we can count locally, so each request is a free calibration pair; until the first one
 * arrives, a per-provider prior ratio stands in. Counts are always flagged estimated ({@link #exact()} is false).
 *
 * <p><b>Calibration.</b> {@link #observe(long, long)} keeps the most recent pairs in a ring buffer (64 by default).
 * The ratio is the median of their per-pair ratios {@code provider / base} after dropping outliers: pairs whose
 * ratio lies more than 3 scaled MADs from the median (MAD = median absolute deviation; scaled by 1.4826 it
 * estimates a standard deviation; it is floored at 1% of the median so that a window of near-identical ratios
 * does not reject a pair for a difference of a rounding). Degenerate pairs are ignored outright and never enter
 * the window: a base count below the minimum (8 tokens by default, where one token of framing moves the ratio by
 * more than 10%), or a ratio outside [1/4, 4] (a report that cannot be about the same text: images, tools or
 * cached context the base never saw).
 *
 * <p><b>Confidence.</b> {@link Snapshot#confidence()} is the chance that one estimate lands within ±10% of the
 * provider's count, if relative errors were normal with standard deviation
 * {@code e = sqrt(s² + se²)}:
 * <ul>
 *   <li>{@code s} is the pair-to-pair spread: the scaled MAD of the kept ratios over their median, shrunk
 *       towards an assumed 10% for small windows, {@code s² = (n·s_obs² + 4·0.10²) / (n + 4)};</li>
 *   <li>{@code se = 1.2533·s/√n} is the standard error of a median of {@code n} pairs;</li>
 *   <li>{@code confidence = erf(0.10 / (e·√2))}, and 0 before any pair (the prior alone is a guess).</li>
 * </ul>
 * One pair gives about 0.5; 64 pairs with 5% spread about 0.93; 64 pairs with 20% spread (a mixed-language
 * workload against a base that splits the languages differently) about 0.38.
 *
 * <p><b>Threads.</b> Counting is on every request path and takes no lock: it reads one volatile, immutable
 * snapshot. {@link #observe(long, long)} updates the window and recomputes the snapshot (a sort of at most
 * {@code window} doubles) under a short lock, then publishes it.
 */
public final class CalibratingEstimator implements Tokenizer {

    public static final int DEFAULT_WINDOW = 64;
    public static final long DEFAULT_MIN_BASE_TOKENS = 8;
    public static final double DEFAULT_OUTLIER_MADS = 3.0;

    /** Ratios outside [1/4, 4] cannot describe the same text; see the class comment. */
    static final double MAX_PLAUSIBLE_RATIO = 4.0;

    private static final double MAD_TO_SIGMA = 1.4826;
    private static final double MAD_FLOOR = 0.01;
    private static final double PRIOR_SPREAD = 0.10;
    private static final double PRIOR_SPREAD_WEIGHT = 4.0;
    private static final double MEDIAN_EFFICIENCY = 1.2533; // sqrt(pi / 2): standard error of a median ÷ of a mean
    private static final double CONFIDENCE_TOLERANCE = 0.10;

    private final String name;
    private final Tokenizer base;
    private final double priorRatio;
    private final long minBaseTokens;
    private final double outlierMads;

    private final Object lock = new Object();
    // Ring buffer of the most recent pairs, guarded by lock.
    private final long[] baseCounts;
    private final long[] providerCounts;
    private int next;
    private int size;
    private long ignored;

    private volatile Snapshot snapshot;

    /**
     * The calibration at one moment: the ratio in use, how many pairs of the window it rests on and how many
     * the window dropped as outliers, how many degenerate pairs were ignored since creation, and a confidence
     * in [0, 1] (see the class comment).
     */
    public record Snapshot(double ratio, int pairsUsed, int pairsDropped, long pairsIgnored, double confidence) {

        public Snapshot {
            if (!(ratio > 0) || Double.isInfinite(ratio)) {
                throw new IllegalArgumentException("ratio must be positive and finite: " + ratio);
            }
            if (pairsUsed < 0 || pairsDropped < 0 || pairsIgnored < 0) {
                throw new IllegalArgumentException("pair counts cannot be negative");
            }
            if (!(confidence >= 0 && confidence <= 1)) {
                throw new IllegalArgumentException("confidence must be in [0, 1]: " + confidence);
            }
        }

        /** True once at least one observed pair, rather than the prior, sets the ratio. */
        public boolean calibrated() {
            return pairsUsed > 0;
        }
    }

    private CalibratingEstimator(Builder builder) {
        this.name = builder.name;
        this.base = builder.base;
        this.priorRatio = builder.priorRatio;
        this.minBaseTokens = builder.minBaseTokens;
        this.outlierMads = builder.outlierMads;
        this.baseCounts = new long[builder.window];
        this.providerCounts = new long[builder.window];
        this.snapshot = new Snapshot(priorRatio, 0, 0, 0, 0.0);
    }

    /**
     * Starts an estimator named {@code name} (for example {@code anthropic}) that scales counts of {@code base}
     * by {@code priorRatio} until calibration pairs arrive.
     */
    public static Builder builder(String name, Tokenizer base, double priorRatio) {
        return new Builder(name, base, priorRatio);
    }

    /** An estimator with the default window, minimum and outlier threshold. */
    public static CalibratingEstimator create(String name, Tokenizer base, double priorRatio) {
        return builder(name, base, priorRatio).build();
    }

    /** Options of an estimator; every one has a default. */
    public static final class Builder {
        private final String name;
        private final Tokenizer base;
        private final double priorRatio;
        private int window = DEFAULT_WINDOW;
        private long minBaseTokens = DEFAULT_MIN_BASE_TOKENS;
        private double outlierMads = DEFAULT_OUTLIER_MADS;

        private Builder(String name, Tokenizer base, double priorRatio) {
            this.name = Objects.requireNonNull(name, "name");
            this.base = Objects.requireNonNull(base, "base");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            if (!(priorRatio >= 1 / MAX_PLAUSIBLE_RATIO && priorRatio <= MAX_PLAUSIBLE_RATIO)) {
                throw new IllegalArgumentException("prior ratio must be in [0.25, 4]: " + priorRatio);
            }
            this.priorRatio = priorRatio;
        }

        /** How many recent pairs the ratio rests on (at least 1; default 64). */
        public Builder window(int pairs) {
            if (pairs < 1) {
                throw new IllegalArgumentException("window must hold at least one pair: " + pairs);
            }
            this.window = pairs;
            return this;
        }

        /** Pairs whose base count is below this are ignored (at least 1; default 8). */
        public Builder minBaseTokens(long tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("minimum base tokens must be at least 1: " + tokens);
            }
            this.minBaseTokens = tokens;
            return this;
        }

        /** Pairs further than this many scaled MADs from the median are dropped (above 0; default 3). */
        public Builder outlierMads(double mads) {
            if (!(mads > 0) || Double.isInfinite(mads)) {
                throw new IllegalArgumentException("outlier threshold must be positive and finite: " + mads);
            }
            this.outlierMads = mads;
            return this;
        }

        public CalibratingEstimator build() {
            return new CalibratingEstimator(this);
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** Always false: these are estimates. */
    @Override
    public boolean exact() {
        return false;
    }

    /** The public tokenizer whose counts are scaled, and with which calibration pairs must be counted. */
    public Tokenizer base() {
        return base;
    }

    public double priorRatio() {
        return priorRatio;
    }

    /** The estimated count of {@code text}: its base count scaled by the current ratio. */
    @Override
    public int countTokens(String text) {
        return Math.toIntExact(Math.min(Integer.MAX_VALUE, estimate(base.countTokens(text))));
    }

    @Override
    public TokenCount count(String text) {
        return TokenCount.estimated(estimate(base.countTokens(text)));
    }

    /** Scales a base count by the current ratio, for callers that already counted with {@link #base()}. */
    public long estimate(long baseCount) {
        if (baseCount < 0) {
            throw new IllegalArgumentException("base count cannot be negative: " + baseCount);
        }
        return Math.round(baseCount * snapshot.ratio());
    }

    /**
     * Not supported: the provider's token ids are unknown, and the base tokenizer's ids would be another
     * vocabulary's. Use {@link #count(String)}.
     */
    @Override
    public int[] encode(String text) {
        throw new UnsupportedOperationException(
                name + " is an estimator for a tokenizer that is not public: it has counts, not token ids");
    }

    /**
     * Feeds one calibration pair: the base tokenizer's count of a prompt and the input tokens the provider
     * reported for that same prompt. Returns false when the pair was ignored as degenerate (see the class
     * comment), true when it entered the window.
     */
    public boolean observe(long localBaseCount, long providerReportedTokens) {
        if (localBaseCount < 0 || providerReportedTokens < 0) {
            throw new IllegalArgumentException(
                    "counts cannot be negative: base " + localBaseCount + ", provider " + providerReportedTokens);
        }
        boolean degenerate = localBaseCount < minBaseTokens
                || providerReportedTokens * MAX_PLAUSIBLE_RATIO < localBaseCount
                || providerReportedTokens > localBaseCount * MAX_PLAUSIBLE_RATIO;
        synchronized (lock) {
            if (degenerate) {
                ignored++;
                Snapshot current = snapshot;
                snapshot = new Snapshot(current.ratio(), current.pairsUsed(), current.pairsDropped(), ignored,
                        current.confidence());
                return false;
            }
            baseCounts[next] = localBaseCount;
            providerCounts[next] = providerReportedTokens;
            next = (next + 1) % baseCounts.length;
            size = Math.min(size + 1, baseCounts.length);
            snapshot = calibrate();
            return true;
        }
    }

    /** The current calibration; immutable. */
    public Snapshot snapshot() {
        return snapshot;
    }

    /** Recomputes the snapshot from the window; called under lock. */
    private Snapshot calibrate() {
        double[] ratios = new double[size];
        for (int i = 0; i < size; i++) {
            ratios[i] = (double) providerCounts[i] / baseCounts[i];
        }
        Arrays.sort(ratios);
        double median = median(ratios, ratios.length);
        double sigma = Math.max(MAD_TO_SIGMA * mad(ratios, ratios.length, median), MAD_FLOOR * median);
        double tolerance = outlierMads * sigma;

        double[] kept = new double[size];
        int used = 0;
        for (double ratio : ratios) {
            if (Math.abs(ratio - median) <= tolerance) {
                kept[used++] = ratio; // stays sorted
            }
        }
        double ratio = median(kept, used);
        double spread = MAD_TO_SIGMA * mad(kept, used, ratio) / ratio;
        return new Snapshot(ratio, used, size - used, ignored, confidence(used, spread));
    }

    /** See the class comment for the formula. */
    static double confidence(int pairs, double observedSpread) {
        if (pairs == 0) {
            return 0.0;
        }
        double spreadSquared = (pairs * observedSpread * observedSpread + PRIOR_SPREAD_WEIGHT * PRIOR_SPREAD * PRIOR_SPREAD)
                / (pairs + PRIOR_SPREAD_WEIGHT);
        double standardError = MEDIAN_EFFICIENCY * Math.sqrt(spreadSquared / pairs);
        double error = Math.sqrt(spreadSquared + standardError * standardError);
        return Math.min(1.0, Math.max(0.0, erf(CONFIDENCE_TOLERANCE / (error * Math.sqrt(2)))));
    }

    /** Median of the first {@code n} values of a sorted array. */
    private static double median(double[] sorted, int n) {
        int mid = n / 2;
        return n % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Median absolute deviation of the first {@code n} values from {@code center}. */
    private static double mad(double[] values, int n, double center) {
        double[] deviations = new double[n];
        for (int i = 0; i < n; i++) {
            deviations[i] = Math.abs(values[i] - center);
        }
        Arrays.sort(deviations);
        return median(deviations, n);
    }

    /**
     * The error function, written here because the JDK has none and none of core's libraries offers one:
     * Abramowitz and Stegun formula 7.1.26, absolute error below 1.5e-7, ample for a confidence figure.
     */
    static double erf(double x) {
        double sign = Math.signum(x);
        double a = Math.abs(x);
        double t = 1.0 / (1.0 + 0.3275911 * a);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return sign * (1.0 - poly * Math.exp(-a * a));
    }

    @Override
    public String toString() {
        Snapshot s = snapshot;
        return "CalibratingEstimator[" + name + " = " + base.name() + " × " + s.ratio() + ", pairs " + s.pairsUsed()
                + ", confidence " + s.confidence() + "]";
    }
}
