package dev.tokenrt.store.ledger;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Durability under {@code kill -9}: starts {@link LedgerKill9Child} in its own JVM, lets it append at a
 * steady rate for a few seconds, kills it with SIGKILL ({@link Process#destroyForcibly()} on Linux), then
 * reopens the SQLite file and counts the acknowledged rows that are missing and the time they span.
 *
 * <p>Arguments: {@code [runs=5] [rows-per-second=2000] [min-seconds=3] [max-seconds=6]}. Prints one Markdown
 * table row per run, then a summary. Run it with the test class path (see {@code bench/ledger-kill9.sh}).
 */
public final class LedgerKill9Harness {

    private record Ack(String id, long micros) {
    }

    private LedgerKill9Harness() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        int minSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int maxSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        Random random = new Random(20251123);
        System.out.println("| run | ran (ms) | acknowledged | stored | acknowledged but missing | missing span (ms) "
                + "| oldest missing ack age at kill (ms) |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        long worstMissing = 0;
        long worstAge = 0;
        for (int run = 1; run <= runs; run++) {
            long ms = TimeUnit.SECONDS.toMillis(minSeconds) + random.nextInt((maxSeconds - minSeconds) * 1_000 + 1);
            long[] r = runOnce(rate, ms);
            System.out.printf("| %d | %d | %d | %d | %d | %.1f | %.1f |%n", run, r[0], r[1], r[2], r[3], r[4] / 1e3,
                    r[5] / 1e3);
            worstMissing = Math.max(worstMissing, r[3]);
            worstAge = Math.max(worstAge, r[5]);
        }
        System.out.printf("%nWorst run: %d acknowledged rows missing; the oldest was acknowledged %.1f ms before "
                + "the kill.%n", worstMissing, worstAge / 1e3);
    }

    /** Returns {ran ms, acked, stored, missing, missing span µs, oldest missing age at kill µs}. */
    private static long[] runOnce(int rate, long runMillis) throws Exception {
        Path dir = Files.createTempDirectory("tokenrt-kill9-");
        Path db = dir.resolve("ledger.db");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                LedgerKill9Child.class.getName(), db.toString(), Integer.toString(rate))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<Ack> acks = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.equals("READY")) {
                        ready.countDown();
                    } else if (line.startsWith("A ")) {
                        String[] p = line.split(" ");
                        synchronized (acks) {
                            acks.add(new Ack(p[1], Long.parseLong(p[2])));
                        }
                    }
                }
            } catch (IOException e) {
                // the pipe breaks when the child dies
            }
        });
        if (!ready.await(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new IllegalStateException("child did not start");
        }
        long started = System.nanoTime();
        Thread.sleep(runMillis);
        long killMicros = nowMicros();
        child.destroyForcibly(); // SIGKILL: no shutdown hook, no close(), no flush
        child.waitFor();
        long ran = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        reader.join();

        // Reopening through the ledger runs recovery and migrations exactly as a restarted gateway would.
        JdbcUsageLedger.open("jdbc:sqlite:" + db, LedgerOptions.defaults()).close();
        Set<String> stored = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT request_id FROM requests")) {
            while (rs.next()) {
                stored.add(rs.getString(1));
            }
        }
        List<Ack> missing = acks.stream().filter(a -> !stored.contains(a.id())).toList();
        long span = 0;
        long age = 0;
        if (!missing.isEmpty()) {
            long lo = missing.stream().mapToLong(Ack::micros).min().orElseThrow();
            long hi = missing.stream().mapToLong(Ack::micros).max().orElseThrow();
            span = hi - lo;
            age = killMicros - lo;
        }
        deleteTree(dir);
        return new long[] {ran, acks.size(), stored.size(), missing.size(), span, age};
    }

    private static long nowMicros() {
        var now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
