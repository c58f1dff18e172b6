package dev.tokenrt.store.budget;

import dev.tokenrt.budget.CounterStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The other process of {@link EmbeddedCounterStoreTest}: opens the embedded counters of a SQLite file and says
 * {@code refused <message>} if another process owns them; otherwise settles {@code amount} on counter {@code a},
 * waits for the store to persist it, says {@code settled}, and then waits to be killed. Arguments: JDBC URL, amount.
 */
public final class EmbeddedOwnerChild {

    private EmbeddedOwnerChild() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedCounterStore store;
        try {
            store = EmbeddedCounterStore.open(args[0], EmbeddedCounterStore.Options.defaults());
        } catch (IllegalStateException e) {
            System.out.println("refused " + e.getMessage());
            return;
        }
        long amount = Long.parseLong(args[1]);
        CounterStore.Hold h = new CounterStore.Hold("a", Long.MAX_VALUE, amount, Instant.parse("2100-01-01T00:00:00Z"));
        store.reserve("child-1", List.of(h), Duration.ofMinutes(5));
        store.settle("child-1", Map.of("a", amount));
        store.reserve("child-2", List.of(h), Duration.ofMinutes(5)); // left open when the process is killed
        Thread.sleep(300); // more than the flush interval
        System.out.println("settled");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
}
