package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.State;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded counters: the contract every store keeps, and what is particular to in-process counters persisted to
 * SQLite: they survive a reopen, one process owns a file at a time, and a killed owner leaves what it had persisted.
 */
class EmbeddedCounterStoreTest extends CounterStoreContract {

    @TempDir
    Path dir;

    String url() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }

    @Override
    void prepare() {
    }

    @Override
    CounterStore open(MutableClock c) {
        return EmbeddedCounterStore.open(url(), EmbeddedCounterStore.Options.defaults().withClock(c));
    }

    @Override
    long storedHolds() {
        return ((EmbeddedCounterStore) store).openHolds(); // holds live in memory only; none is persisted
    }

    long persistedUsed(String key) throws Exception {
        try (Connection c = DriverManager.getConnection(url()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT used, held FROM budget_counters WHERE counter_key = '" + key + "'")) {
            assertThat(rs.next()).as("a row for " + key).isTrue();
            assertThat(rs.getLong(2)).as("holds are not persisted").isZero();
            return rs.getLong(1);
        }
    }

    @Test
    void settledSpendIsPersistedAndSurvivesAReopen() throws Exception {
        reserve("h", hold("a", 1_000, 300));
        store.settle("h", Map.of("a", 120L));
        reserve("h2", hold("a", 1_000, 50)); // open when the store closes: not persisted
        assertThat(((EmbeddedCounterStore) store).flush()).isEqualTo(1);
        assertThat(persistedUsed("a")).isEqualTo(120);
        store.close();
        store = open(clock);
        assertThat(store.state("a")).isEqualTo(new State(120, 0));
        store.close();
        store = another();
    }

    @Test
    void aTotalBudgetsCounterWhoseWindowNeverEndsIsPersistedToo() throws Exception {
        java.time.Instant never = dev.tokenrt.budget.Period.TOTAL.window(T0, java.time.ZoneOffset.UTC).end();
        store.reserve("t", java.util.List.of(new CounterStore.Hold("b:x:total", MAX, 5, never)), TTL);
        store.settle("t", Map.of("b:x:total", 5L));
        assertThat(((EmbeddedCounterStore) store).flush()).isEqualTo(1);
        store.close();
        store = open(clock);
        assertThat(store.state("b:x:total")).isEqualTo(new State(5, 0));
        store.close();
        store = another();
    }

    @Test
    void gatewaysInOneJvmShareOneStore() {
        CounterStore second = another();
        assertThat(second).isSameAs(store);
        reserve("h", hold("a", 100, 60));
        assertThat(second.reserve("h2", java.util.List.of(hold("a", 100, 60)), TTL))
                .isInstanceOf(CounterStore.Reservation.Refused.class);
    }

    @Test
    void anotherProcessIsRefusedAndAKilledOwnerLeavesWhatItPersisted() throws Exception {
        store.close(); // this JVM lets go of the file
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                EmbeddedOwnerChild.class.getName(), url(), "777").redirectError(ProcessBuilder.Redirect.INHERIT);
        Process owner = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("settled");
            // While it runs, neither this JVM nor a third process may open the counters.
            assertThatThrownBy(() -> open(clock)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another running tokenrt process").hasMessageContaining("budgets.counters: database");
            Process third = pb.start();
            try (BufferedReader o3 = new BufferedReader(new InputStreamReader(third.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(o3.readLine()).startsWith("refused ");
            }
            assertThat(third.waitFor(30, TimeUnit.SECONDS)).isTrue();

            owner.destroyForcibly(); // SIGKILL: no final flush, the lock goes with the process
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            owner.destroyForcibly();
        }
        store = open(clock);
        assertThat(store.state("a")).as("what the killed owner had persisted; its open hold died with it")
                .isEqualTo(new State(777, 0));
    }
}
