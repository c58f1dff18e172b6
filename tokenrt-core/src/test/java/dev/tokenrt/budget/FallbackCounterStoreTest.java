package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.budget.CounterStore.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FallbackCounterStoreTest {

    static final String KEY = "b:global:total";
    static final Instant END = Instant.parse("2027-01-01T00:00:00Z");

    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");
    InMemoryCounterStore primaryCounters = new InMemoryCounterStore(clock);
    InMemoryCounterStore local = new InMemoryCounterStore(clock);
    List<RuntimeException> reported = new ArrayList<>();

    @Test
    void aPrimaryThatTookTheHoldButAnsweredTooLateHasItReleasedAndTheHoldIsMadeLocally() {
        CounterStore late = new BudgetStepTest.LateStore(primaryCounters);
        FallbackCounterStore store = new FallbackCounterStore(late, local, reported::add);
        Reservation r = store.reserve("h1", List.of(new Hold(KEY, 1_000, 300, END)), Duration.ofMinutes(1));
        assertThat(r).isInstanceOf(Reservation.Granted.class);
        assertThat(reported).hasSize(1);
        assertThat(primaryCounters.state(KEY)).isEqualTo(new State(0, 0));
        assertThat(primaryCounters.openHolds()).isZero();
        assertThat(local.state(KEY)).isEqualTo(new State(0, 300));

        store.settle("h1", Map.of(KEY, 120L));
        assertThat(local.state(KEY)).isEqualTo(new State(120, 0));
        assertThat(primaryCounters.state(KEY)).isEqualTo(new State(0, 0));
    }

    @Test
    void whileThePrimaryIsReachableItHoldsAndSettlesEverything() {
        FallbackCounterStore store = new FallbackCounterStore(primaryCounters, local, reported::add);
        store.reserve("h1", List.of(new Hold(KEY, 1_000, 300, END)), Duration.ofMinutes(1));
        store.settle("h1", Map.of(KEY, 120L));
        assertThat(primaryCounters.state(KEY)).isEqualTo(new State(120, 0));
        assertThat(local.state(KEY)).isEqualTo(new State(0, 0));
        assertThat(reported).isEmpty();
    }
}
