package dev.tokenrt.bench;

import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.budget.InMemoryCounterStore;
import dev.tokenrt.store.budget.JdbcCounterStore;
import dev.tokenrt.store.budget.RedisCounterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a budget check costs a request on the real stores: one {@code reserve} of the worst case followed by one
 * {@code settle} to the actual amount, as the gateway does around every upstream call.
 * <ul>
 * <li>{@code engine=redis}: {@link RedisCounterStore} on the Redis at {@code -Dtokenrt.redis} (default
 *     redis://127.0.0.1:6379/0), under a key prefix of its own; two EVALSHA round trips per operation.</li>
 * <li>{@code engine=memory}: {@link InMemoryCounterStore}, in process (one gateway without a shared store, or the
 *     local counters of {@code fail_open}).</li>
 * <li>{@code engine=sqlite}: {@link JdbcCounterStore} on a SQLite file in a temporary directory (WAL,
 *     synchronous=NORMAL, as the embedded default); two {@code BEGIN IMMEDIATE} transactions per operation.</li>
 * </ul>
 * {@code oneCounter} holds on one budget; {@code threeCounters} on three at once (key, user, team), the usual
 * shape when several budgets apply. Limits are never reached, so every reserve is granted and all the work is
 * the check-and-hold itself. Counters end their window ten minutes after setup and are kept no longer, so Redis
 * forgets them by itself; settled holds leave nothing behind.
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class BudgetStoreBenchmark {

    @Param({"memory", "redis", "sqlite"})
    public String engine;

    private static final Duration TTL = Duration.ofMinutes(5);
    private static final Map<String, Long> ONE_ACTUAL = Map.of("bench:key", 1_234L);

    private CounterStore store;
    private Path dir;
    private final AtomicLong ids = new AtomicLong();
    private List<Hold> one;
    private List<Hold> three;
    private Map<String, Long> threeActual;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Instant windowEnd = Instant.now().plus(Duration.ofMinutes(10));
        one = List.of(new Hold("bench:key", Long.MAX_VALUE, 5_000, windowEnd));
        three = List.of(new Hold("bench:key", Long.MAX_VALUE, 5_000, windowEnd),
                new Hold("bench:user", Long.MAX_VALUE, 5_000, windowEnd),
                new Hold("bench:team", Long.MAX_VALUE, 5_000, windowEnd));
        threeActual = Map.of("bench:key", 1_234L, "bench:user", 1_234L, "bench:team", 1_234L);
        switch (engine) {
            case "redis" -> store = RedisCounterStore.connect(System.getProperty("tokenrt.redis",
                    "redis://127.0.0.1:6379/0"), RedisCounterStore.Options.defaults()
                    .withKeyPrefix("tokenrt-bench:" + UUID.randomUUID())
                    .withCounterGrace(Duration.ZERO)
                    .withCommandTimeout(Duration.ofSeconds(5)));
            case "memory" -> store = new InMemoryCounterStore(java.time.Clock.systemUTC());
            case "sqlite" -> {
                dir = Files.createTempDirectory("tokenrt-budget-bench");
                store = JdbcCounterStore.sqlite(dir);
            }
            default -> throw new IllegalArgumentException("engine " + engine);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        store.close();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Benchmark
    public Reservation oneCounter() {
        String id = "h" + ids.incrementAndGet();
        Reservation r = store.reserve(id, one, TTL);
        store.settle(id, ONE_ACTUAL);
        return r;
    }

    @Benchmark
    public Reservation threeCounters() {
        String id = "h" + ids.incrementAndGet();
        Reservation r = store.reserve(id, three, TTL);
        store.settle(id, threeActual);
        return r;
    }
}
