package dev.tokenrt.cache.semantic;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Serves a semantic hit only where its feedback shows the false-hit rate (wrong hits per lookup) stays under a
 * bound, in the spirit of verified semantic caching (vCache, 2025): learn how often a candidate of a given score
 * is right from verifications, serve only where the upper confidence bound of the error is under the bound, and
 * explore where it is uncertain.
 *
 * <p><b>The score.</b> A candidate's score is {@code similarity + 2 * min(margin, 0.1)}: the cosine with the nearest
 * entry plus a bonus for how clearly it beats the runner-up. When two cached questions are about equally close,
 * the cache cannot tell which one was asked; on GPTCache's paraphrase set, most wrong hits at a high cosine are
 * exactly that (the weight and cap were chosen there, and are settings).
 *
 * <p><b>The model.</b> Assume only that the chance of a wrong hit does not grow with the score. For a threshold
 * {@code t}, let {@code F(t)} be the share of recent lookups whose candidate scores at least {@code t} (known
 * exactly: every lookup is seen) and {@code q(t)} the share of them that are wrong (learnt from feedback). The
 * false-hit rate of serving from {@code t} is {@code F(t) q(t)}. Its upper bound is {@code F(t)} times the
 * one-sided Wilson upper bound of the wrong share among the labelled candidates scoring at least {@code t}. The
 * labels come from two kinds of verification: every candidate below the threshold (down to a floor) is a miss
 * anyway, so comparing the fresh answer with its cached one costs no upstream call ({@link Decision#VERIFY}); just
 * above the threshold, where the decision is least certain, some would-be hits are verified too (exploration); and
 * a uniform random sample of all would-be hits is sent upstream instead of served ({@link Decision#AUDIT}). Labels
 * are denser at and below the threshold than above it, which, under the monotone assumption, can only overstate
 * {@code q(t)}.
 * A second bound keeps rare hits honest: the upper bound of the wrong share itself must stay under
 * {@code maxWrongShareOfHits} (default 3%), or a policy bounded per lookup alone could serve a thin top slice of
 * candidates that are wrong half the time. Scanning labelled scores from the top (each with at least
 * {@code minLabels} labels above it), the threshold is the last score of the first unbroken run where both bounds
 * hold; until one exists, nothing is served and every candidate is verified.
 *
 * <p><b>Exploration.</b> Besides the audits, a would-be hit is verified with a probability that falls linearly from
 * {@code boundaryVerifyRate} at the threshold to nothing {@code boundaryWidth} above it: labels there move the bar
 * most.
 *
 * <p><b>The achieved bound.</b> Every would-be hit is audited with the same probability {@code auditRate}, before
 * any other draw, so the audits are a uniform random sample of the hits the policy would serve: their wrong share,
 * with its Wilson interval, times the share of lookups served is the false-hit rate the policy reports
 * ({@link #report()}), measured rather than modelled.
 *
 * <p>Memory is bounded: the last {@code window} labels and lookups are kept, so the policy also follows a drift.
 * Safe for concurrent use (one lock; a recomputation sorts at most {@code window} scores, every
 * {@value #RECOMPUTE_EVERY} labels).
 */
public final class VerifiedPolicy implements SemanticPolicy {

    static final int RECOMPUTE_EVERY = 10;

    /**
     * The policy's knobs.
     *
     * @param maxFalseHitRate   the bound on wrong hits per lookup (default 0.01)
     * @param maxWrongShareOfHits the bound on the share of served hits that are wrong (default 0.03)
     * @param confidence        the one-sided confidence of the bound and the report's interval (default 0.95)
     * @param auditRate         the share of would-be hits audited, whatever their score (default 0.02)
     * @param boundaryVerifyRate the share of would-be hits at the threshold itself verified to explore (default 0.5)
     * @param boundaryWidth     the score range above the threshold over which exploration falls to none (default 0.05)
     * @param candidateFloor    the cosine below which a neighbour is a plain miss, not worth a comparison (default 0.5)
     * @param marginWeight      the weight of the margin over the runner-up in the score (default 2)
     * @param marginCap         the margin beyond which a clearer lead adds nothing (default 0.1)
     * @param minLabels         labels needed above a threshold before it can be trusted (default 30)
     * @param window            labels and lookups remembered (default 20,000)
     */
    public record Settings(double maxFalseHitRate, double maxWrongShareOfHits, double confidence, double auditRate, double boundaryVerifyRate,
                           double boundaryWidth, double candidateFloor, double marginWeight, double marginCap,
                           int minLabels, int window) {

        public static final Settings DEFAULT = new Settings(0.01, 0.03, 0.95, 0.02, 0.5, 0.05, 0.5, 2.0, 0.1, 30, 20_000);

        public Settings {
            check(maxFalseHitRate > 0 && maxFalseHitRate < 1, "maxFalseHitRate must be in (0, 1)", maxFalseHitRate);
            check(maxWrongShareOfHits > 0 && maxWrongShareOfHits <= 1, "maxWrongShareOfHits must be in (0, 1]",
                    maxWrongShareOfHits);
            check(confidence >= 0.5 && confidence < 1, "confidence must be in [0.5, 1)", confidence);
            check(auditRate > 0 && auditRate <= 1, "auditRate must be in (0, 1]", auditRate);
            check(boundaryVerifyRate >= 0 && boundaryVerifyRate <= 1, "boundaryVerifyRate must be in [0, 1]",
                    boundaryVerifyRate);
            check(boundaryWidth > 0, "boundaryWidth must be positive", boundaryWidth);
            check(candidateFloor >= -1 && candidateFloor <= 1, "candidateFloor must be a cosine", candidateFloor);
            check(marginWeight >= 0, "marginWeight must be >= 0", marginWeight);
            check(marginCap >= 0, "marginCap must be >= 0", marginCap);
            check(minLabels >= 1, "minLabels must be >= 1", minLabels);
            check(window >= minLabels, "window must be >= minLabels", window);
        }

        private static void check(boolean ok, String what, double value) {
            if (!ok) {
                throw new IllegalArgumentException(what + ", got " + value);
            }
        }

        public Settings withMaxWrongShareOfHits(double share) {
            return new Settings(maxFalseHitRate, share, confidence, auditRate, boundaryVerifyRate, boundaryWidth,
                    candidateFloor, marginWeight, marginCap, minLabels, window);
        }

        public Settings withMaxFalseHitRate(double bound) {
            return new Settings(bound, maxWrongShareOfHits, confidence, auditRate, boundaryVerifyRate, boundaryWidth, candidateFloor,
                    marginWeight, marginCap, minLabels, window);
        }
    }

    private final Settings settings;
    private final RandomGenerator random;

    // All below guarded by this.
    private final float[] labelScores;
    private final boolean[] labelWrong;
    private int labelCount;
    private int labelNext;
    private final float[] lookupScores;
    private int lookupCount;
    private int lookupNext;
    private long lookups;
    private long served;
    private long verifications;
    private long labels;
    private long audits;
    private long auditsWrong;
    private int labelsSinceRecompute;
    private double threshold = Double.NaN;
    private double thresholdBound = Double.NaN;

    /** The default settings, random audits. */
    public VerifiedPolicy() {
        this(Settings.DEFAULT, new SplittableRandom());
    }

    /**
     * @param settings the knobs
     * @param random   draws the audits (a seeded one makes an evaluation repeatable)
     */
    public VerifiedPolicy(Settings settings, RandomGenerator random) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = Objects.requireNonNull(random, "random");
        this.labelScores = new float[settings.window()];
        this.labelWrong = new boolean[settings.window()];
        this.lookupScores = new float[settings.window()];
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "verified(max_false_hit_rate=%s, max_wrong_share_of_hits=%s)",
                settings.maxFalseHitRate(), settings.maxWrongShareOfHits());
    }

    /** The score a candidate is judged by: its similarity plus the weighted, capped margin over the runner-up. */
    public double score(Candidate c) {
        return c.similarity() + settings.marginWeight() * Math.min(c.margin(), settings.marginCap());
    }

    @Override
    public synchronized Decision decide(Candidate candidate) {
        double z = score(candidate);
        remember(candidate.similarity() < settings.candidateFloor() ? Float.NEGATIVE_INFINITY : (float) z);
        if (candidate.similarity() < settings.candidateFloor()) {
            return Decision.MISS;
        }
        if (Double.isNaN(threshold) || z < threshold) {
            verifications++;
            return Decision.VERIFY;
        }
        if (random.nextDouble() < settings.auditRate()) {
            verifications++;
            return Decision.AUDIT; // drawn first and at one rate for all: a uniform sample of would-be hits
        }
        double nearness = Math.max(0, 1 - (z - threshold) / settings.boundaryWidth());
        if (random.nextDouble() < settings.boundaryVerifyRate() * nearness) {
            verifications++;
            return Decision.VERIFY;
        }
        served++;
        return Decision.SERVE;
    }

    @Override
    public synchronized void noCandidate() {
        remember(Float.NEGATIVE_INFINITY);
    }

    private void remember(float score) {
        lookups++;
        lookupScores[lookupNext] = score;
        lookupNext = (lookupNext + 1) % lookupScores.length;
        lookupCount = Math.min(lookupCount + 1, lookupScores.length);
    }

    @Override
    public synchronized void feedback(Candidate candidate, Decision decision, boolean correct) {
        Objects.requireNonNull(candidate, "candidate");
        if (!Objects.requireNonNull(decision, "decision").wantsFeedback()) {
            throw new IllegalArgumentException("feedback is for VERIFY and AUDIT decisions, not " + decision);
        }
        labels++;
        if (decision == Decision.AUDIT) {
            audits++;
            if (!correct) {
                auditsWrong++;
            }
        }
        labelScores[labelNext] = (float) score(candidate);
        labelWrong[labelNext] = !correct;
        labelNext = (labelNext + 1) % labelScores.length;
        labelCount = Math.min(labelCount + 1, labelScores.length);
        if (Double.isNaN(threshold) || ++labelsSinceRecompute >= RECOMPUTE_EVERY) {
            labelsSinceRecompute = 0;
            recompute();
        }
    }

    /** The threshold: the lowest labelled score from which the bound holds there and at every labelled score above. */
    private void recompute() {
        int n = labelCount;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            // Sort by score, descending, keeping each label's outcome: the score's sortable bits, then the flag.
            packed[i] = (sortable(labelScores[i]) << 1) | (labelWrong[i] ? 1 : 0);
        }
        Arrays.sort(packed);
        float[] looked = Arrays.copyOf(lookupScores, lookupCount);
        Arrays.sort(looked);
        double best = Double.NaN;
        double bestBound = Double.NaN;
        long wrong = 0;
        for (int i = n - 1; i >= 0; i--) {
            wrong += packed[i] & 1;
            float z = unsortable(packed[i] >> 1);
            if (i > 0 && unsortable(packed[i - 1] >> 1) == z) {
                continue; // judge a score once all labels tied at it are in
            }
            long count = n - i;
            if (count < settings.minLabels()) {
                continue;
            }
            double share = (double) (looked.length - lowerBound(looked, z)) / Math.max(1, looked.length);
            double wrongShare = Proportion.upperBound(wrong, count, settings.confidence());
            double bound = share * wrongShare;
            if (bound <= settings.maxFalseHitRate() && wrongShare <= settings.maxWrongShareOfHits()) {
                best = z;
                bestBound = bound;
            } else if (!Double.isNaN(best)) {
                break; // the region served is contiguous from the top
            }
        }
        threshold = best;
        thresholdBound = bestBound;
    }

    /** Maps a float to a long whose natural order is the float's order. */
    private static long sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : bits ^ 0x7fffffff;
    }

    private static float unsortable(long key) {
        int bits = (int) key;
        return Float.intBitsToFloat(bits >= 0 ? bits : bits ^ 0x7fffffff);
    }

    /** The first index of a sorted array whose value is at least {@code z}. */
    private static int lowerBound(float[] sorted, float z) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < z) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * What the policy has learnt, oldest first: the labelled scores with their outcomes and the recent lookups'
     * scores, plus the audit counts behind its report. Kept outside the process ({@link #snapshot} and
     * {@link #restore}), it spares a restarted replica the hundreds of verifications a cold start costs.
     *
     * @param key identifies what the scores mean (the margin weight and cap shape them): a state is only restored
     *            into a policy whose {@link #stateKey()} is the same
     */
    public record State(String key, float[] labelScores, boolean[] labelWrong, float[] lookupScores, long audits,
            long auditsWrong) {

        public State {
            Objects.requireNonNull(key, "key");
            if (labelScores.length != labelWrong.length) {
                throw new IllegalArgumentException("one outcome per labelled score");
            }
        }

        private static final int FORMAT = 1;

        /** A compact binary form: format, key, the arrays, the counts. */
        public byte[] toBytes() {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(16 + 5 * labelScores.length
                    + 4 * lookupScores.length);
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                out.writeInt(FORMAT);
                out.writeUTF(key);
                out.writeInt(labelScores.length);
                for (int i = 0; i < labelScores.length; i++) {
                    out.writeFloat(labelScores[i]);
                    out.writeBoolean(labelWrong[i]);
                }
                out.writeInt(lookupScores.length);
                for (float f : lookupScores) {
                    out.writeFloat(f);
                }
                out.writeLong(audits);
                out.writeLong(auditsWrong);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        /** @throws IllegalArgumentException if the bytes are not a state this version wrote */
        public static State fromBytes(byte[] b) {
            try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(b))) {
                if (in.readInt() != FORMAT) {
                    throw new IllegalArgumentException("a policy state of an unknown format");
                }
                String key = in.readUTF();
                int n = in.readInt();
                if (n < 0 || n > b.length) {
                    throw new IllegalArgumentException("a corrupt policy state");
                }
                float[] scores = new float[n];
                boolean[] wrong = new boolean[n];
                for (int i = 0; i < n; i++) {
                    scores[i] = in.readFloat();
                    wrong[i] = in.readBoolean();
                }
                int m = in.readInt();
                if (m < 0 || m > b.length) {
                    throw new IllegalArgumentException("a corrupt policy state");
                }
                float[] looked = new float[m];
                for (int i = 0; i < m; i++) {
                    looked[i] = in.readFloat();
                }
                return new State(key, scores, wrong, looked, in.readLong(), in.readLong());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("a truncated policy state", e);
            }
        }
    }

    /** What this policy's scores mean: states are exchanged only between policies with the same key. */
    public String stateKey() {
        return String.format(Locale.ROOT, "verified:margin=%s,cap=%s", settings.marginWeight(), settings.marginCap());
    }

    /** What the policy has learnt so far, oldest first. */
    public synchronized State snapshot() {
        float[] scores = new float[labelCount];
        boolean[] wrong = new boolean[labelCount];
        int start = labelCount < labelScores.length ? 0 : labelNext;
        for (int i = 0; i < labelCount; i++) {
            scores[i] = labelScores[(start + i) % labelScores.length];
            wrong[i] = labelWrong[(start + i) % labelScores.length];
        }
        float[] looked = new float[lookupCount];
        int lstart = lookupCount < lookupScores.length ? 0 : lookupNext;
        for (int i = 0; i < lookupCount; i++) {
            looked[i] = lookupScores[(lstart + i) % lookupScores.length];
        }
        return new State(stateKey(), scores, wrong, looked, audits, auditsWrong);
    }

    /**
     * Takes over what another instance learnt (this replica before a restart, or another replica), as if its
     * labels and lookups had been seen here, before anything this instance has seen; the window keeps the newest.
     *
     * @throws IllegalArgumentException if the state's scores were computed another way ({@link #stateKey()})
     */
    public synchronized void restore(State state) {
        if (!state.key().equals(stateKey())) {
            throw new IllegalArgumentException("a policy state for " + state.key() + " cannot be restored into "
                    + stateKey());
        }
        State mine = snapshot();
        labelCount = 0;
        labelNext = 0;
        lookupCount = 0;
        lookupNext = 0;
        for (State s : new State[] {state, mine}) {
            for (int i = 0; i < s.labelScores().length; i++) {
                labelScores[labelNext] = s.labelScores()[i];
                labelWrong[labelNext] = s.labelWrong()[i];
                labelNext = (labelNext + 1) % labelScores.length;
                labelCount = Math.min(labelCount + 1, labelScores.length);
            }
            for (float f : s.lookupScores()) {
                lookupScores[lookupNext] = f;
                lookupNext = (lookupNext + 1) % lookupScores.length;
                lookupCount = Math.min(lookupCount + 1, lookupScores.length);
            }
        }
        audits += state.audits();
        auditsWrong += state.auditsWrong();
        labels += state.labelScores().length;
        if (labelCount > 0) {
            recompute();
        }
    }

    /** The score from which candidates are served now; empty while the feedback supports none. */
    public synchronized OptionalDouble threshold() {
        return Double.isNaN(threshold) ? OptionalDouble.empty() : OptionalDouble.of(threshold);
    }

    @Override
    public synchronized PolicyReport report() {
        Proportion share = Proportion.wilson(auditsWrong, audits, settings.confidence());
        double servedShare = lookups == 0 ? 0 : (double) served / lookups;
        return new PolicyReport(name(), OptionalDouble.of(settings.maxFalseHitRate()), lookups, served,
                verifications, labels, threshold(), share, share.times(servedShare),
                Double.isNaN(thresholdBound) ? OptionalDouble.empty() : OptionalDouble.of(thresholdBound));
    }
}
