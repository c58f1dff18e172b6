package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation.Granted;
import dev.tokenrt.budget.CounterStore.State;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract plus what the SQL store adds: durability across restarts and forgetting ended windows. */
abstract class JdbcCounterStoreContract extends CounterStoreContract {

    /** The JDBC URL of this test's database. */
    abstract String url();

    JdbcCounterStore.Options options(MutableClock c) {
        return JdbcCounterStore.Options.defaults().withClock(c);
    }

    @Override
    CounterStore open(MutableClock c) {
        return JdbcCounterStore.open(url(), options(c));
    }

    @Override
    long storedHolds() throws Exception {
        try (Connection c = DriverManager.getConnection(url()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(DISTINCT hold_id) FROM budget_holds")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aRestartKeepsWhatWasSpentAndWhatIsHeld() {
        assertThat(reserve("spent", hold("a", 1_000, 300))).isInstanceOf(Granted.class);
        store.settle("spent", Map.of("a", 250L));
        assertThat(reserve("open", hold("a", 1_000, 100))).isInstanceOf(Granted.class);
        store.close();

        store = another();
        assertThat(store.state("a")).isEqualTo(new State(250, 100));
        store.settle("open", Map.of("a", 90L));
        assertThat(store.state("a")).isEqualTo(new State(340, 0));
        assertThat(reserve("more", hold("a", 1_000, 661))).isEqualTo(
                new dev.tokenrt.budget.CounterStore.Reservation.Refused("a", 340, 0, 1_000));
    }

    @Test
    void sweepForgetsCountersAGraceAfterTheirWindowUnlessTheyStillHold() {
        Instant windowEnd = T0.plus(Duration.ofHours(1));
        Instant forgettable = windowEnd.plus(Duration.ofDays(1)); // the default grace
        assertThat(store.reserve("h", List.of(new Hold("old", 100, 10, windowEnd)), TTL)).isInstanceOf(Granted.class);
        store.settle("h", Map.of("old", 5L));
        assertThat(store.reserve("long", List.of(new Hold("busy", 100, 10, windowEnd)), Duration.ofDays(3)))
                .isInstanceOf(Granted.class);

        assertThat(store.sweep(forgettable.minusMillis(1))).isZero();
        assertThat(store.state("old")).isEqualTo(new State(5, 0));
        assertThat(store.sweep(forgettable.plusMillis(1))).isZero();
        assertThat(store.state("old")).isEqualTo(new State(0, 0));
        assertThat(store.state("busy")).isEqualTo(new State(0, 10)); // a live hold keeps its counter

        assertThat(store.sweep(T0.plus(Duration.ofDays(3)))).isEqualTo(1);
        assertThat(store.state("busy")).isEqualTo(new State(0, 0));
    }
}
