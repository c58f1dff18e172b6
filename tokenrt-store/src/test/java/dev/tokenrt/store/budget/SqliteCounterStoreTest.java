package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.Reservation.Granted;
import dev.tokenrt.budget.CounterStore.State;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a real SQLite file in a temporary directory, plus what only a file shared by processes shows. */
class SqliteCounterStoreTest extends JdbcCounterStoreContract {

    @TempDir
    Path dir;

    @Override
    void prepare() {
    }

    @Override
    String url() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }

    @Test
    void aWriteLockHeldElsewhereMakesTheStoreUnavailableAndThenItCarriesOn() throws Exception {
        store.close();
        store = JdbcCounterStore.open(url(), options(clock).withBusyTimeout(Duration.ofMillis(100)));
        try (Connection other = DriverManager.getConnection(url()); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE"); // as another process's gateway would, mid-reservation
            assertThatThrownBy(() -> reserve("h", hold("a", 100, 10)))
                    .isInstanceOf(CounterStoreUnavailableException.class).hasMessageContaining("reserve");
            assertThat(store.state("a")).isEqualTo(new State(0, 0)); // WAL: reading does not wait
            st.execute("ROLLBACK");
        }
        assertThat(reserve("h", hold("a", 100, 10))).isInstanceOf(Granted.class);
        assertThat(store.state("a")).isEqualTo(new State(0, 10));
    }

    @Test
    void sharesTheDataDirectoryFileAndSchemaHistoryWithTheLedger() throws Exception {
        Path data = dir.resolve("data");
        try (JdbcUsageLedger ledger = JdbcUsageLedger.sqlite(data);
                JdbcCounterStore counters = JdbcCounterStore.sqlite(data, options(clock))) {
            assertThat(counters.reserve("h", List.of(hold("a", 100, 10)), TTL)).isInstanceOf(Granted.class);
            assertThat(ledger.flush(Duration.ofSeconds(5))).isTrue();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("tokenrt.db"));
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT version FROM flyway_schema_history WHERE success = 1 "
                        + "AND version IS NOT NULL ORDER BY installed_rank")) {
            List<String> versions = new ArrayList<>();
            while (rs.next()) {
                versions.add(rs.getString(1));
            }
            // The ledger (V1) and the counters (V2) share one history with the other stores (keys V3, budgets V4).
            assertThat(versions).startsWith("1", "2").doesNotHaveDuplicates();
        }
        try (CounterStore again = JdbcCounterStore.sqlite(data, options(clock))) {
            assertThat(again.state("a")).isEqualTo(new State(0, 10));
        }
    }

    @Test
    void twoProcessesRacingOnOneFileNeverPassTheLimit() throws Exception {
        long limit = 100_000;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                CounterRaceChild.class.getName(), url(), Long.toString(limit), "500")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
                PrintStream in = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertThat(out.readLine()).isEqualTo("ready");
            in.println("go");
            Race mine = race(List.of(store), 16, 500, limit, "parent-", 1_000);
            String line = out.readLine();
            assertThat(child.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(child.exitValue()).isZero();
            assertThat(line).startsWith("race ");
            String[] f = line.split(" ");
            Race theirs = new Race(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
            assertRaceKeptTheLimit(new Race(mine.granted() + theirs.granted(), mine.refused() + theirs.refused(),
                    mine.settled() + theirs.settled()), limit);
            assertThat(theirs.granted()).as("the other process got its share").isPositive();
        } finally {
            child.destroyForcibly();
        }
    }
}
