package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStore.State;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InMemoryCounterStoreTest extends CounterStoreContract {

    @Override
    protected CounterStore newStore(TestClock clock) {
        return new InMemoryCounterStore(clock, Duration.ofHours(1));
    }

    @Test
    void countsOpenHolds() {
        InMemoryCounterStore s = (InMemoryCounterStore) store;
        s.reserve("h1", List.of(hold("a", 100, 1)), TTL);
        s.reserve("h2", List.of(hold("a", 100, 1)), TTL);
        assertThat(s.openHolds()).isEqualTo(2);
        s.settle("h1", Map.of());
        s.release("h2");
        assertThat(s.openHolds()).isZero();
    }

    @Test
    void forgetsCountersAnHourAfterTheirWindowClosed() {
        InMemoryCounterStore s = (InMemoryCounterStore) store;
        s.reserve("h1", List.of(hold("a", 100, 10)), TTL);
        s.settle("h1", Map.of("a", 10L));
        assertThat(s.sweep(DAY_END.plus(Duration.ofMinutes(59)))).isZero();
        assertThat(s.counters()).isEqualTo(1);
        s.sweep(DAY_END.plus(Duration.ofMinutes(61)));
        assertThat(s.counters()).isZero();
    }

    /** Not part of the SPI's contract: this store refuses to reopen an id rather than overwrite it. */
    @Test
    void anOpenHoldIdCannotBeReused() {
        store.reserve("h1", List.of(hold("a", 100, 1)), TTL);
        assertThatThrownBy(() -> store.reserve("h1", List.of(hold("a", 100, 1)), TTL))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void negativeActualsAreRejected() {
        store.reserve("h1", List.of(hold("a", 100, 10)), TTL);
        assertThatThrownBy(() -> store.settle("h1", Map.of("a", -1L))).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 10));
    }
}
