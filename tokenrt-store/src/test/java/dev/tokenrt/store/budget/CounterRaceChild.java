package dev.tokenrt.store.budget;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The other process of {@link SqliteCounterStoreTest#twoProcessesRacingOnOneFileNeverPassTheLimit}: opens the
 * same SQLite file, says {@code ready}, waits for {@code go}, runs its share of the race and prints
 * {@code race <granted> <refused> <settled>}. Arguments: JDBC URL, limit, operations.
 */
public final class CounterRaceChild {

    private CounterRaceChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        long limit = Long.parseLong(args[1]);
        int ops = Integer.parseInt(args[2]);
        try (JdbcCounterStore store = JdbcCounterStore.open(url,
                JdbcCounterStore.Options.defaults().withClock(new MutableClock(Instant.parse("2026-11-23T12:00:00Z"))))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("ready");
            System.out.flush();
            if (!"go".equals(in.readLine())) {
                throw new IllegalStateException("expected go");
            }
            CounterStoreContract.Race r = CounterStoreContract.race(List.of(store), 16, ops, limit, "child-", 5_000);
            System.out.println("race " + r.granted() + " " + r.refused() + " " + r.settled());
            System.out.flush();
        }
    }
}
