package dev.tokenrt.budget;

import static dev.tokenrt.budget.BudgetFixtures.CHARS;
import static dev.tokenrt.budget.BudgetFixtures.PRICES;
import static dev.tokenrt.budget.BudgetFixtures.attribution;
import static dev.tokenrt.budget.BudgetFixtures.exchange;
import static dev.tokenrt.budget.BudgetFixtures.response;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.BudgetFixtures.SpyStore;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.Pipeline;
import dev.tokenrt.usage.Usage;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A budget shared by priority (see BudgetStep's "Pools"), with an injected clock: a pool of 100 requests a day split
 * by the default weights between the priorities of the keys' tiers, one minute of silence making a priority idle.
 */
class PoolBudgetTest {

    static final Priority C = Priority.CRITICAL;
    static final Priority H = Priority.HIGH;
    static final Priority M = Priority.MEDIUM;
    static final Priority L = Priority.LOW;

    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");
    SpyStore store = new SpyStore(new InMemoryCounterStore(clock));
    InMemoryBudgetRegistry registry = new InMemoryBudgetRegistry();
    Budget pool = Budget.of("org-pool", Scope.GLOBAL, "", Period.DAY, Metric.REQUESTS, 100, Action.DENY)
            .sharedBy(PriorityPool.defaults());
    List<String> refusals = new ArrayList<>();

    /** Keys k-critical, k-high, k-medium, k-low are in tiers of those priorities; any other request is medium. */
    static Priority priorityOf(Attribution a) {
        for (Priority p : Priority.values()) {
            if (a.keyId().equals("k-" + p.wireName())) {
                return p;
            }
        }
        return Priority.MEDIUM;
    }

    BudgetStep step() {
        return BudgetStep.builder().budgets(registry).counters(store).prices(PRICES).counting(CHARS).clock(clock)
                .priorities(PoolBudgetTest::priorityOf).poolIdleAfter(Duration.ofMinutes(1)).build();
    }

    /** One request of priority p through its own step instance (replicas share only the store); true if served. */
    boolean request(Priority p) {
        Exchange ex = exchange("big", OptionalInt.of(10), attribution("k-" + p.wireName(), "u", "acme"), false);
        Outcome o = Pipeline.builder().add(step())
                .add(chain -> new Outcome.Complete(response("ok", Usage.of(11, 3)), chain.exchange(), true))
                .build().execute(ex);
        if (o instanceof Outcome.Failed f) {
            refusals.add(f.error().message());
            return false;
        }
        return true;
    }

    Map<Priority, Integer> drain(List<Priority> order) {
        Map<Priority, Integer> served = new EnumMap<>(Priority.class);
        for (int round = 0; round < 200; round++) {
            for (Priority p : order) {
                if (request(p)) {
                    served.merge(p, 1, Integer::sum);
                }
            }
        }
        return served;
    }

    long used() {
        return store.state(BudgetStep.counterKey(new BudgetSource.Applicable(pool, ""),
                pool.period().window(clock.instant(), ZoneOffset.UTC))).used();
    }

    @AfterEach
    void neverOvershootAndCloseEveryHold() {
        assertThat(used()).isLessThanOrEqualTo(100);
        assertThat(store.allClosedExactlyOnce()).isTrue();
    }

    @Test
    void underContentionEachPriorityIsHeldToItsWeightsShare() {
        registry.put(pool);
        Map<Priority, Integer> served = drain(List.of(L, M, H, C));
        assertThat(served).containsExactlyInAnyOrderEntriesOf(Map.of(C, 50, H, 30, M, 15, L, 5));
        assertThat(used()).isEqualTo(100);
        assertThat(refusals).anySatisfy(m -> assertThat(m).contains("org-pool").contains("shared by priority")
                .contains("at priority low"));
    }

    @Test
    void aPriorityAloneMayUseTheWholePool() {
        registry.put(pool);
        assertThat(drain(List.of(L))).containsExactlyInAnyOrderEntriesOf(Map.of(L, 100));
        assertThat(refusals.getLast()).contains("Budget 'org-pool'").contains("limit 100 requests");
    }

    @Test
    void idlePrioritiesShareFlowsToTheActiveOnesByWeight() {
        registry.put(pool);
        // High and medium never ask: 100 split 0.5 : 0.05 is 90.9 : 9.1, largest remainder to critical.
        assertThat(drain(List.of(C, L))).containsExactlyInAnyOrderEntriesOf(Map.of(C, 91, L, 9));
    }

    @Test
    void aPriorityThatFallsSilentLeavesItsShareAfterTheIdleTimeAndKeepsWhatItSpent() {
        registry.put(pool);
        for (int i = 0; i < 10; i++) {
            assertThat(request(C)).isTrue();
        }
        // Critical is active: low is held to its 9 of 100.
        int low = 0;
        while (request(L)) {
            low++;
        }
        assertThat(low).isEqualTo(9);
        // Within the idle time critical still counts as active (its stretch and the next).
        clock.advance(Duration.ofSeconds(61));
        assertThat(request(L)).isFalse();
        // Two quiet minutes later critical is idle: it keeps its 10, low may take the other 90.
        clock.advance(Duration.ofMinutes(2));
        while (request(L)) {
            low++;
        }
        assertThat(low).isEqualTo(90);
        assertThat(used()).isEqualTo(100);
        // Spend is not given back: critical waking now finds the pool empty.
        assertThat(request(C)).isFalse();
        // A new day is a new pool.
        clock.advance(Duration.ofDays(1));
        assertThat(request(C)).isTrue();
    }

    @Test
    void weightsAreConfigurableAndAZeroWeightNeverDrawsOnThePool() {
        registry.put(Budget.of("org-pool", Scope.GLOBAL, "", Period.DAY, Metric.REQUESTS, 100, Action.DENY)
                .sharedBy(PriorityPool.of(Map.of(C, BigDecimal.ONE, H, BigDecimal.ONE))));
        assertThat(drain(List.of(C, H, L))).containsExactlyInAnyOrderEntriesOf(Map.of(C, 50, H, 50));
    }

    @Test
    void aPoolOfCostClampsMaxTokensToThePrioritysShare() {
        // 1.1 mUSD shared; BIG costs 1,000 nano-USD an input token and 4,000 an output token.
        Budget money = Budget.of("money", Scope.GLOBAL, "", Period.DAY, Metric.COST_USD, 1_100_000, Action.DENY)
                .sharedBy(PriorityPool.defaults());
        registry.put(money);
        assertThat(request(C)).isTrue(); // settles at 11 in + 3 out = 23,000; critical is now active
        // Low's share is 1,100,000 × 0.05 / 0.55 = 100,000: max_tokens 1000 is clamped to (100,000 − 11,000) / 4,000.
        assertThat(clampedTo(1000)).isEqualTo(22);
        // Critical idle: it keeps its 23,000; low's share is the rest, less the 15,000 its first answer cost.
        clock.advance(Duration.ofMinutes(3));
        assertThat(clampedTo(1000)).isEqualTo((1_100_000 - 23_000 - 15_000 - 11_000) / 4000);
    }

    /** The max_tokens a low-priority request asking for {@code maxTokens} reached the provider with. */
    int clampedTo(int maxTokens) {
        Exchange ex = exchange("big", OptionalInt.of(maxTokens), attribution("k-low", "u", "acme"), false);
        List<Exchange> seen = new ArrayList<>();
        Outcome o = Pipeline.builder().add(step()).add(chain -> {
            seen.add(chain.exchange());
            return new Outcome.Complete(response("ok", Usage.of(11, 1)), chain.exchange(), true);
        }).build().execute(ex);
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        return seen.get(0).request().maxTokens().orElseThrow();
    }
}
