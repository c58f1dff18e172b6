package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PriorityPoolTest {

    static final Priority C = Priority.CRITICAL;
    static final Priority H = Priority.HIGH;
    static final Priority M = Priority.MEDIUM;
    static final Priority L = Priority.LOW;

    PriorityPool pool = PriorityPool.defaults();

    static long sum(Map<Priority, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void theDefaultWeightsSplitAPoolInHalfThenThirtyFifteenFive() {
        assertThat(pool.split(100_000_000_000L)) // 100 USD in nano-USD
                .containsExactlyInAnyOrderEntriesOf(Map.of(C, 50_000_000_000L, H, 30_000_000_000L,
                        M, 15_000_000_000L, L, 5_000_000_000L));
    }

    @Test
    void roundingGivesTheLeftoverUnitsToTheLargestRemaindersSoSharesSumExactly() {
        // 7 × (0.5, 0.3, 0.15, 0.05) = 3.5, 2.1, 1.05, 0.35 → floors 3, 2, 1, 0 (6); the 7th unit goes to the
        // largest remainder, critical's 0.5.
        assertThat(pool.split(7)).containsExactlyInAnyOrderEntriesOf(Map.of(C, 4L, H, 2L, M, 1L, L, 0L));
        // 3 units: 1.5, 0.9, 0.45, 0.15 → floors 1, 0, 0, 0; remainders .9 (high) then .5 (critical).
        assertThat(pool.split(3)).containsExactlyInAnyOrderEntriesOf(Map.of(C, 2L, H, 1L, M, 0L, L, 0L));
        assertThat(pool.split(0)).containsExactlyInAnyOrderEntriesOf(Map.of(C, 0L, H, 0L, M, 0L, L, 0L));
    }

    @Test
    void unusedShareFlowsToTheOthersInProportionToTheirWeights() {
        // Critical needs only 100 of its 500: the other 900 are split 0.3 : 0.15 : 0.05 = 540, 270, 90.
        Map<Priority, Long> shares = pool.shares(1000, Map.of(C, 100L, H, 1000L, M, 1000L, L, 1000L));
        assertThat(shares).containsExactlyInAnyOrderEntriesOf(Map.of(C, 100L, H, 540L, M, 270L, L, 90L));
    }

    @Test
    void waterFillingRepeatsUntilNoOneElseIsSatisfied() {
        // Round 1 of 1000: 500, 300, 150, 50 → low (needs 20) is satisfied.
        // Round 2 of 980 over 0.5 : 0.3 : 0.15: 515.79, 309.47, 154.74 → floors 515, 309, 154 and the two
        // leftover units to the largest remainders (.79 critical, .74 medium). No one is satisfied: final.
        Map<Priority, Long> shares = pool.shares(1000, Map.of(C, 10_000L, H, 320L, M, 200L, L, 20L));
        assertThat(shares.get(L)).isEqualTo(20);
        assertThat(shares.get(H)).isEqualTo(309);
        assertThat(shares.get(M)).isEqualTo(155);
        assertThat(shares.get(C)).isEqualTo(516);
        assertThat(sum(shares)).isEqualTo(1000);

        // Now high needs only 300 of its 309: it leaves after round 2, and round 3 splits 680 as 0.5 : 0.15
        // (523.08, 156.92 → the leftover unit goes to medium's .92).
        Map<Priority, Long> again = pool.shares(1000, Map.of(C, 10_000L, H, 300L, M, 200L, L, 20L));
        assertThat(again).containsExactlyInAnyOrderEntriesOf(Map.of(C, 523L, H, 300L, M, 157L, L, 20L));
    }

    @Test
    void whenEveryoneIsSatisfiedTheLeftoverIsHeadroomByWeight() {
        Map<Priority, Long> shares = pool.shares(1000, Map.of(C, 100L, H, 100L));
        // 800 left over: 400, 240, 120, 40 on top of the demands.
        assertThat(shares).containsExactlyInAnyOrderEntriesOf(Map.of(C, 500L, H, 340L, M, 120L, L, 40L));
    }

    @Test
    void aLonePriorityMayUseTheWholePool() {
        assertThat(pool.shares(1000, Map.of(L, 5000L))).containsEntry(L, 1000L);
    }

    @Test
    void randomDemandsKeepTheInvariants() {
        Random rnd = new Random(42);
        for (int run = 0; run < 5000; run++) {
            long total = rnd.nextInt(3) == 0 ? rnd.nextLong(1, Long.MAX_VALUE / 2) : rnd.nextInt(10_000);
            Map<Priority, Long> demand = new EnumMap<>(Priority.class);
            for (Priority p : Priority.values()) {
                if (rnd.nextBoolean()) {
                    demand.put(p, total == 0 ? 0 : rnd.nextLong(0, total + 1));
                }
            }
            Map<Priority, Long> shares = pool.shares(total, demand);
            assertThat(sum(shares)).as("run %d", run).isEqualTo(total);
            long satisfiedDemand = 0;
            boolean anyUnsatisfied = false;
            for (Priority p : Priority.values()) {
                long d = demand.getOrDefault(p, 0L);
                assertThat(shares.get(p)).isNotNegative();
                if (shares.get(p) >= d) {
                    satisfiedDemand += d;
                } else {
                    anyUnsatisfied = true;
                }
            }
            BigInteger totalDemand = demand.values().stream().map(BigInteger::valueOf)
                    .reduce(BigInteger.ZERO, BigInteger::add);
            // Never short-changes anyone while the pool could cover every demand.
            if (totalDemand.compareTo(BigInteger.valueOf(total)) <= 0) {
                assertThat(anyUnsatisfied).as("run %d: %s of %d → %s", run, demand, total, shares).isFalse();
            }
            // Unsatisfied priorities are at most a unit away from their weighted proportion of one another.
            Priority first = null;
            for (Priority p : Priority.values()) {
                if (shares.get(p) < demand.getOrDefault(p, 0L)) {
                    if (first == null) {
                        first = p;
                    } else {
                        BigInteger lhs = BigInteger.valueOf(shares.get(p)).multiply(pool.weights().get(first));
                        BigInteger rhs = BigInteger.valueOf(shares.get(first)).multiply(pool.weights().get(p));
                        BigInteger slack = pool.weights().get(first).add(pool.weights().get(p));
                        assertThat(lhs.subtract(rhs).abs()).as("run %d", run).isLessThanOrEqualTo(slack);
                    }
                }
            }
            assertThat(satisfiedDemand).isLessThanOrEqualTo(total);
        }
    }

    @Test
    void customWeightsNeedNotSumToOne() {
        PriorityPool p = PriorityPool.of(Map.of(C, new BigDecimal("2"), L, new BigDecimal("1")));
        assertThat(p.split(300)).containsExactlyInAnyOrderEntriesOf(Map.of(C, 200L, H, 0L, M, 0L, L, 100L));
        // A weightless priority gets nothing, even with demand.
        assertThat(p.shares(300, Map.of(H, 50L, L, 500L))).containsEntry(H, 0L).containsEntry(L, 300L);
        assertThatThrownBy(() -> PriorityPool.of(Map.of(C, BigDecimal.ZERO))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PriorityPool.of(Map.of(C, new BigDecimal("-1"))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
