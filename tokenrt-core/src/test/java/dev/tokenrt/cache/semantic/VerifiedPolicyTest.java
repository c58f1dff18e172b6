package dev.tokenrt.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.cache.semantic.SemanticPolicy.Candidate;
import dev.tokenrt.cache.semantic.SemanticPolicy.Decision;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The calibrated policy in simulated worlds whose chance of a wrong hit at each similarity is known, so the false-hit
 * rate it achieves can be checked against its bound. (The embedding models and the index are exercised for real in
 * tokenrt-semantic; here only the decision rule is under test.)
 */
class VerifiedPolicyTest {

    /** A world: candidates with similarity uniform in [0.4, 1], no margin bonus; P(wrong | s) given. */
    interface World {
        double wrongAt(double similarity);
    }

    record Outcome(long lookups, long served, long wrongServed, PolicyReport report) {
        double falseHitRate() {
            return (double) wrongServed / lookups;
        }
    }

    static Outcome run(VerifiedPolicy policy, World world, int lookups, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long served = 0;
        long wrongServed = 0;
        for (int i = 0; i < lookups; i++) {
            if (r.nextDouble() < 0.1) {
                policy.noCandidate();
                continue;
            }
            Candidate c = new Candidate((float) (0.4 + 0.6 * r.nextDouble()), 0f);
            boolean wrong = r.nextDouble() < world.wrongAt(c.similarity());
            Decision d = policy.decide(c);
            if (d == Decision.SERVE) {
                served++;
                if (wrong) {
                    wrongServed++;
                }
            } else if (d.wantsFeedback()) {
                policy.feedback(c, d, !wrong);
            }
        }
        return new Outcome(lookups, served, wrongServed, policy.report());
    }

    static VerifiedPolicy policy(double bound, long seed) {
        return new VerifiedPolicy(VerifiedPolicy.Settings.DEFAULT.withMaxFalseHitRate(bound), new SplittableRandom(seed));
    }

    @Test
    void withoutFeedbackItServesNothingAndVerifiesEveryCandidate() {
        VerifiedPolicy p = policy(0.01, 1);
        assertThat(p.decide(new Candidate(0.99f, Float.POSITIVE_INFINITY))).isEqualTo(Decision.VERIFY);
        assertThat(p.decide(new Candidate(0.6f, 0.01f))).isEqualTo(Decision.VERIFY);
        assertThat(p.decide(new Candidate(0.3f, 0.2f))).isEqualTo(Decision.MISS);
        p.noCandidate();
        PolicyReport r = p.report();
        assertThat(r.lookups()).isEqualTo(4);
        assertThat(r.served()).isZero();
        assertThat(r.verifications()).isEqualTo(2);
        assertThat(r.threshold()).isEmpty();
        assertThat(r.summary()).contains("no audited hit yet");
    }

    @Test
    void theScoreRewardsAClearLeadUpToTheCap() {
        VerifiedPolicy p = policy(0.01, 1);
        assertThat(p.score(new Candidate(0.9f, 0f))).isEqualTo(0.9f, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(p.score(new Candidate(0.9f, 0.03f))).isEqualTo(0.96, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(p.score(new Candidate(0.9f, Float.POSITIVE_INFINITY))).isEqualTo(1.1, org.assertj.core.api.Assertions.within(1e-6));
    }

    /** Wrong hits fall from 100% at 0.4 to none from 0.9 up: the policy finds a bar and keeps under the bound. */
    @Test
    void staysUnderItsBoundWhereAFixedBarWouldNot() {
        World world = s -> Math.min(1, Math.max(0, 0.9 - s) * 3);
        for (double bound : new double[] {0.01, 0.03}) {
            Outcome o = run(policy(bound, 7), world, 30_000, 11);
            assertThat(o.falseHitRate()).as("bound %s", bound).isLessThanOrEqualTo(bound);
            assertThat(o.served()).as("it does serve").isGreaterThan(2_500);
            assertThat(o.report().threshold()).isPresent();
            // The reported rate bounds what it achieved from above (audits are densest at the bar, where hits are
            // wrongest, so the estimate errs high), and stays under the configured bound.
            assertThat(o.report().falseHitRate().upper()).isGreaterThanOrEqualTo(o.falseHitRate())
                    .isLessThanOrEqualTo(bound);
            assertThat(o.report().wrongShareOfHits().n()).isPositive();
        }
        // The same world at the peers' fixed 0.8: 1.5% of all lookups get a wrong answer (15% of what it serves).
        SplittableRandom r = new SplittableRandom(11);
        long wrong = 0;
        int n = 30_000;
        for (int i = 0; i < n; i++) {
            double s = 0.4 + 0.6 * r.nextDouble();
            if (s >= 0.8 && r.nextDouble() < world.wrongAt(s)) {
                wrong++;
            }
        }
        assertThat((double) wrong / n).isGreaterThan(0.01);
    }

    @Test
    void neverServesWhereHalfTheCandidatesAreWrong() {
        Outcome o = run(policy(0.01, 3), s -> 0.5, 10_000, 5);
        assertThat(o.served()).isZero();
        assertThat(o.report().threshold()).isEmpty();
        assertThat(o.report().labels()).isGreaterThan(7_000);
    }

    @Test
    void wouldBeHitsAreAuditedUniformlyAndExploredMostNearTheBar() {
        VerifiedPolicy p = policy(0.01, 9);
        run(p, s -> s > 0.9 ? 0 : 0.5, 20_000, 13);
        double bar = p.threshold().orElseThrow();
        int trials = 10_000;
        int[] near = new int[Decision.values().length];
        int[] far = new int[Decision.values().length];
        for (int i = 0; i < trials; i++) {
            near[p.decide(new Candidate((float) Math.min(1, bar + 0.001), 0f)).ordinal()]++;
            far[p.decide(new Candidate((float) Math.min(1, bar), Float.POSITIVE_INFINITY)).ordinal()]++;
        }
        // Audits: 2% of would-be hits wherever they score, so they sample the served hits uniformly.
        assertThat(near[Decision.AUDIT.ordinal()]).isBetween(120, 300);
        assertThat(far[Decision.AUDIT.ordinal()]).isBetween(120, 300);
        // Exploration: about half of those just above the bar are verified, none of those well above it.
        assertThat(near[Decision.VERIFY.ordinal()]).isBetween(4_000, 6_000);
        assertThat(far[Decision.VERIFY.ordinal()]).isZero();
        assertThat(far[Decision.SERVE.ordinal()]).isGreaterThan(9_500);
    }

    @Test
    void feedbackIsForVerificationsOnly() {
        VerifiedPolicy p = policy(0.01, 1);
        Candidate c = new Candidate(0.9f, 0.1f);
        assertThatThrownBy(() -> p.feedback(c, Decision.SERVE, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Candidate(0.9f, -0.1f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VerifiedPolicy.Settings.DEFAULT.withMaxFalseHitRate(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFixedBaselineServesFromItsThresholdAndNeverVerifies() {
        FixedThresholdPolicy p = new FixedThresholdPolicy(FixedThresholdPolicy.PEERS_DEFAULT);
        assertThat(p.decide(new Candidate(0.8f, 0f))).isEqualTo(Decision.SERVE);
        assertThat(p.decide(new Candidate(0.79f, 1f))).isEqualTo(Decision.MISS);
        p.noCandidate();
        assertThat(p.report().lookups()).isEqualTo(3);
        assertThat(p.report().served()).isEqualTo(1);
        assertThat(p.name()).isEqualTo("fixed(0.80)");
    }

    /** What one instance learnt survives a restart: the restored policy serves from the same score at once. */
    @Test
    void aSnapshotRestoredIntoAFreshPolicyServesFromTheSameScore() {
        World world = s -> s >= 0.9 ? 0 : Math.max(0, (0.9 - s) * 2);
        VerifiedPolicy trained = policy(0.01, 3);
        run(trained, world, 8_000, 11);
        assertThat(trained.threshold()).isPresent();
        byte[] bytes = trained.snapshot().toBytes();

        VerifiedPolicy fresh = policy(0.01, 4);
        assertThat(fresh.threshold()).isEmpty();
        fresh.restore(VerifiedPolicy.State.fromBytes(bytes));
        assertThat(fresh.threshold()).isEqualTo(trained.threshold());
        assertThat(fresh.report().wrongShareOfHits().n()).isEqualTo(trained.report().wrongShareOfHits().n());
        // A candidate well above the bar is served at once (unless drawn for an audit or exploration).
        int served = 0;
        for (int i = 0; i < 100; i++) {
            if (fresh.decide(new Candidate(0.999f, 0f)) == Decision.SERVE) {
                served++;
            }
        }
        assertThat(served).isGreaterThan(80);

        VerifiedPolicy otherScores = new VerifiedPolicy(new VerifiedPolicy.Settings(0.01, 0.03, 0.95, 0.02, 0.5, 0.05,
                0.5, 0.0, 0.1, 30, 20_000), new SplittableRandom(1));
        assertThatThrownBy(() -> otherScores.restore(trained.snapshot())).hasMessageContaining("cannot be restored");
        assertThatThrownBy(() -> VerifiedPolicy.State.fromBytes(java.util.Arrays.copyOf(bytes, 20)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
