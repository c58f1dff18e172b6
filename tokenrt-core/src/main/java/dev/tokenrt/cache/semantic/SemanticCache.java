package dev.tokenrt.cache.semantic;

import dev.tokenrt.cache.semantic.SemanticPolicy.Candidate;
import dev.tokenrt.cache.semantic.SemanticPolicy.Decision;
import java.text.Normalizer;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The semantic cache: finds an earlier entry whose compared text (the last user turn) means the same as a new one,
 * within one partition (a namespace plus a hash of everything else in the request), and lets a
 * {@link SemanticPolicy} decide whether its answer may be served. It stores vectors and entry ids only: the answers
 * live with the caller (the exact cache's store), under the entry id.
 *
 * <p>How the pipeline uses it:
 * <pre>{@code
 * Optional<Match> m = cache.lookup(partition, lastUserTurn);
 * if (m.isPresent() && !m.get().mustVerify()) { serve the answer stored under m.get().entryId() }
 * else {
 *     call upstream; store the answer under a new entry id; cache.add(partition, id, lastUserTurn, expiresAt);
 *     if (m.isPresent()) cache.feedback(m.get(), cache.sameAnswer(cachedAnswerOf(m.get()), freshAnswer));
 * }
 * }</pre>
 *
 * <p>Each entry is filed under the partition and the id of the model that embedded it ({@link Embedder#modelFor}),
 * so an embedder that picks a model by language never compares two models' vectors. A text the model reads only in
 * part ({@link Embedder#covers}) is never looked up nor added: two long prompts that differ after the model's last
 * token would look the same. Safe for concurrent use when the embedder, index and policy are (the built-in ones are).
 */
public final class SemanticCache {

    /** The cosine at which two answers are taken to say the same, by default. */
    public static final double DEFAULT_ANSWER_AGREEMENT = 0.95;

    private final Embedder embedder;
    private final VectorIndex index;
    private final SemanticPolicy policy;
    private final Clock clock;
    private final double answerAgreement;

    private SemanticCache(Builder b) {
        this.embedder = b.embedder;
        this.index = b.index;
        this.policy = b.policy;
        this.clock = b.clock;
        this.answerAgreement = b.answerAgreement;
    }

    /** A cache over an embedder and an index; the policy defaults to {@link VerifiedPolicy}, the clock to UTC. */
    public static Builder builder(Embedder embedder, VectorIndex index) {
        return new Builder(embedder, index);
    }

    /**
     * A candidate the policy accepted for serving or for a verification.
     *
     * @param entryId    the id the entry was added under
     * @param similarity its cosine with the looked-up text
     * @param mustVerify true: do not serve it; call upstream and report {@link #feedback} with the comparison
     * @param candidate  what the policy judged (similarity and margin), for the feedback
     * @param decision   the policy's decision ({@code SERVE}, {@code VERIFY} or {@code AUDIT})
     */
    public record Match(String entryId, float similarity, boolean mustVerify, Candidate candidate, Decision decision) {
        public Match {
            Objects.requireNonNull(entryId, "entryId");
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(decision, "decision");
            if (decision == Decision.MISS || mustVerify != decision.wantsFeedback()) {
                throw new IllegalArgumentException("a match is served or verified, got " + decision);
            }
        }
    }

    /** {@link #lookup(String, String, Instant)} at the cache's clock's now. */
    public Optional<Match> lookup(String partition, String text) {
        return lookup(partition, text, clock.instant());
    }

    /**
     * The nearest live entry of {@code partition} for {@code text}, if the policy serves it or wants it verified.
     * Empty for a plain miss.
     */
    public Optional<Match> lookup(String partition, String text, Instant now) {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(now, "now");
        Embedder model = embedder.modelFor(text);
        if (!model.covers(text)) {
            policy.noCandidate();
            return Optional.empty();
        }
        List<VectorIndex.Neighbour> near = index.search(indexPartition(partition, model), model.embed(text), 2, now);
        if (near.isEmpty()) {
            policy.noCandidate();
            return Optional.empty();
        }
        VectorIndex.Neighbour best = near.get(0);
        float margin = near.size() > 1 ? Math.max(0, best.score() - near.get(1).score()) : Float.POSITIVE_INFINITY;
        Candidate candidate = new Candidate(best.score(), margin);
        Decision decision = policy.decide(candidate);
        if (decision == Decision.MISS) {
            return Optional.empty();
        }
        return Optional.of(new Match(best.id(), best.score(), decision.wantsFeedback(), candidate, decision));
    }

    /**
     * Adds an entry (or replaces the one of that id). A text the embedder cannot read whole is not added; the
     * return value says whether it was.
     */
    public boolean add(String partition, String entryId, String text, Instant expiresAt) {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(entryId, "entryId");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Embedder model = embedder.modelFor(text);
        if (!model.covers(text)) {
            return false;
        }
        index.add(indexPartition(partition, model), entryId, model.embed(text), expiresAt);
        return true;
    }

    /** The outcome of a verification the match asked for; ignored for a served match. */
    public void feedback(Match match, boolean sameAnswer) {
        Objects.requireNonNull(match, "match");
        if (match.mustVerify()) {
            policy.feedback(match.candidate(), match.decision(), sameAnswer);
        }
    }

    /**
     * Whether a fresh answer says what the cached one says: equal once normalised (Unicode NFKC, case, white space,
     * trailing punctuation), or embeddings with a cosine of at least the configured agreement (0.95 by default).
     * Answers of two models, or longer than the model reads, are compared on their text only.
     */
    public boolean sameAnswer(String cachedAnswer, String freshAnswer) {
        Objects.requireNonNull(cachedAnswer, "cachedAnswer");
        Objects.requireNonNull(freshAnswer, "freshAnswer");
        if (normalise(cachedAnswer).equals(normalise(freshAnswer))) {
            return true;
        }
        Embedder a = embedder.modelFor(cachedAnswer);
        Embedder b = embedder.modelFor(freshAnswer);
        if (!a.id().equals(b.id()) || !a.covers(cachedAnswer) || !b.covers(freshAnswer)) {
            return false;
        }
        return dot(a.embed(cachedAnswer), b.embed(freshAnswer)) >= answerAgreement;
    }

    static String normalise(String text) {
        String n = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).strip()
                .replaceAll("\\s+", " ");
        return n.replaceAll("[\\p{Punct}\\p{IsPunctuation}\\s]+$", "");
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** What the policy has seen and the false-hit rate it achieves. */
    public PolicyReport report() {
        return policy.report();
    }

    public SemanticPolicy policy() {
        return policy;
    }

    /**
     * The index partition an entry of {@code partition} embedded by {@code model} is filed under: the caller's
     * partition, then the model's id, so models never mix. It starts with the caller's partition, so
     * {@link VectorIndex#removePartitions(String)} with a namespace prefix still finds it.
     */
    public static String indexPartition(String partition, Embedder model) {
        return partition + "#" + model.id();
    }

    /** Builds a {@link SemanticCache}. */
    public static final class Builder {
        private final Embedder embedder;
        private final VectorIndex index;
        private SemanticPolicy policy;
        private Clock clock = Clock.systemUTC();
        private double answerAgreement = DEFAULT_ANSWER_AGREEMENT;

        private Builder(Embedder embedder, VectorIndex index) {
            this.embedder = Objects.requireNonNull(embedder, "embedder");
            this.index = Objects.requireNonNull(index, "index");
        }

        /** The decision policy (default: a new {@link VerifiedPolicy} with its default settings). */
        public Builder policy(SemanticPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The clock for lookups without an explicit time (default: the system clock, UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The answer cosine from which {@link #sameAnswer} calls two answers the same (default 0.95). */
        public Builder answerAgreement(double cosine) {
            if (!(cosine > 0 && cosine <= 1)) {
                throw new IllegalArgumentException("answer agreement must be a cosine in (0, 1], got " + cosine);
            }
            this.answerAgreement = cosine;
            return this;
        }

        public SemanticCache build() {
            if (policy == null) {
                policy = new VerifiedPolicy();
            }
            return new SemanticCache(this);
        }
    }
}
