package dev.tokenrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.pricing.Money;
import dev.tokenrt.store.budget.JdbcCounterStore;
import dev.tokenrt.store.budget.RedisCounterStore;
import dev.tokenrt.testkit.FakeUpstream;
import dev.tokenrt.testkit.Scenario;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The budget race, measured end to end on real processes: a fake upstream, one gateway (SQLite ledger and
 * counters) or three gateways sharing Redis counters and a PostgreSQL ledger, one global hard budget, and a
 * thousand chat requests all in flight together, spread round-robin over the gateways. It then reads what the
 * race left behind: the ledger's settled spend (which must not pass the limit), the fraction of the budget that
 * was used, and the budget counter itself (which must equal the ledger's spend with nothing still held).
 *
 * <p>Exists because "a hard budget is never overshot, on one process or across replicas" is the claim users
 * care most about and the easiest to get wrong; a unit test with an in-memory store cannot show it.
 *
 * <p>The answer size is fixed by the fake upstream's {@code synthetic} scenario (10 prompt tokens, one
 * completion token a chunk), which does not read {@code max_tokens}. The gateway may clamp {@code max_tokens}
 * down to 16 (its smallest useful answer) when a budget runs low; a real provider then answers at most that.
 * So that the fake upstream never answers more than the gateway paid for, the answer is kept at 16 chunks or
 * fewer (checked at start).
 *
 * <p>Usage (see {@code bench/budget-race.sh}, which builds the class path):
 * {@code java -cp <cp> dev.tokenrt.bench.BudgetRace --scenario single|multi [--runs 3] [--requests 1000]
 * [--model gpt-4o] [--max-tokens 16] [--chunks 16] [--latency-ms 30] [--limit 0.05] [--action deny|queue]
 * [--redis redis://127.0.0.1:6379/13] [--redis-timeout-ms N] [--pg jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres]}
 */
public final class BudgetRace {

    private static final String MASTER = "sk-bench-budget-race-master-0123456789";
    private static final String BUDGET_ID = "race";
    /** {@code BudgetStep.counterKey} of a global budget with period total. */
    private static final String COUNTER_KEY = "b:" + BUDGET_ID + ":total";
    /** RedisCounterStore's default key prefix: the gateway does not make it configurable. */
    private static final String REDIS_PREFIX = "{tokenrt:budget}:";
    private static final int MIN_CLAMP_TOKENS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEEDS = Pattern.compile("this request needs up to \\$?([0-9.]+)");

    private BudgetRace() {
    }

    /** What one run is asked to do. */
    record Settings(String scenario, int runs, int requests, String model, int maxTokens, int chunks, int latencyMs,
            String limitUsd, String action, String redisUrl, String redisTimeoutMs, String pgAdminUrl, Path workDir) {

        int gateways() {
            return scenario.equals("multi") ? 3 : 1;
        }
    }

    /** What one run measured. */
    record Result(int run, int gateways, int requests, int ok, int denied, Map<Integer, Integer> other,
            long peakInFlight, long lastSentMs, long firstDoneMs, long wallMs, long ledgerRows, long ledgerOk,
            long ledgerSpend, long clamped, String heldPerRequest, long counterUsed, long counterHeld, long limit,
            long errorLines) {

        double fractionUsed() {
            return (double) ledgerSpend / limit;
        }

        boolean passes() {
            return ledgerSpend <= limit && counterUsed == ledgerSpend && counterHeld == 0 && ledgerOk == ok;
        }
    }

    public static void main(String[] args) throws Exception {
        Settings s = parse(args);
        if (s.chunks() > MIN_CLAMP_TOKENS) {
            throw new IllegalArgumentException("--chunks must be at most " + MIN_CLAMP_TOKENS + " (see the class comment)");
        }
        Files.createDirectories(s.workDir());
        System.out.println("| run | gateways | requests | 200 | 429 | other | peak in flight | last sent (ms) "
                + "| first answer (ms) | all done (ms) | ledger rows | ledger 200 | clamped | held per request (USD) "
                + "| spend per 200 (USD) | settled spend (USD) | of budget | counter used (USD) | counter held "
                + "| ERROR lines | verdict |");
        System.out.println("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        List<Result> results = new ArrayList<>();
        for (int run = 1; run <= s.runs(); run++) {
            Result r = run(s, run);
            results.add(r);
            System.out.printf(Locale.ROOT, "| %d | %d | %d | %d | %d | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s "
                            + "| %s | %.1f%% | %s | %s | %d | %s |%n",
                    r.run(), r.gateways(), r.requests(), r.ok(), r.denied(), r.other().isEmpty() ? "0" : r.other(),
                    r.peakInFlight(), r.lastSentMs(), r.firstDoneMs(), r.wallMs(), r.ledgerRows(), r.ledgerOk(),
                    r.clamped(), r.heldPerRequest(), r.ledgerOk() == 0 ? "-" : Money.format(r.ledgerSpend() / r.ledgerOk()),
                    Money.format(r.ledgerSpend()), 100 * r.fractionUsed(), Money.format(r.counterUsed()),
                    Money.format(r.counterHeld()), r.errorLines(), r.passes() ? "ok" : "**FAIL**");
            System.out.flush();
        }
        boolean allPass = results.stream().allMatch(Result::passes);
        double minFraction = results.stream().mapToDouble(Result::fractionUsed).min().orElse(0);
        System.out.printf(Locale.ROOT, "%nAll runs: spend <= limit, counter == ledger, nothing held: %s; lowest fraction "
                + "of the budget used: %.1f%%%n", allPass ? "yes" : "NO", 100 * minFraction);
        if (!allPass) {
            System.exit(1);
        }
    }

    // ---------------------------------------------------------------- one run

    private static Result run(Settings s, int run) throws Exception {
        Path dir = Files.createTempDirectory(s.workDir(), s.scenario() + "-run" + run + "-");
        String suffix = HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong())).substring(0, 10);
        String pgDb = "tokenrt_bench_race_" + suffix;
        boolean multi = s.scenario().equals("multi");
        String databaseUrl = multi ? pgUrl(s.pgAdminUrl(), pgDb) : "jdbc:sqlite:" + dir.resolve("tokenrt.db");
        long limit = Money.parseUsd(s.limitUsd());
        FakeUpstream upstream = FakeUpstream.start(FakeUpstream.Options.defaults()
                .withDefaultScenario(Scenario.parse("synthetic"))
                .withSyntheticChunks(s.chunks())
                .withLatency(Duration.ofMillis(s.latencyMs())));
        List<Process> gateways = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        if (multi) {
            redisMustBeClean(s.redisUrl());
            pgAdmin(s.pgAdminUrl(), "CREATE DATABASE " + pgDb);
        }
        try {
            List<String> bases = new ArrayList<>();
            for (int g = 0; g < s.gateways(); g++) {
                int port = freePort();
                Path cfg = dir.resolve("gateway-" + g + ".yaml");
                Files.writeString(cfg, config(s, port, upstream.baseUrl(), databaseUrl, multi));
                Path log = dir.resolve("gateway-" + g + ".log");
                logs.add(log);
                gateways.add(startGateway(cfg, log));
                bases.add("http://127.0.0.1:" + port);
            }
            for (int g = 0; g < bases.size(); g++) {
                awaitHealthy(bases.get(g), gateways.get(g), logs.get(g));
            }
            Fired fired = fire(s, bases);
            // SIGTERM: each gateway drains, flushes its ledger and closes its stores before exiting.
            for (Process p : gateways) {
                stop(p);
            }
            Ledger ledger = ledger(databaseUrl);
            CounterStore.State state = counter(multi ? s.redisUrl() : databaseUrl, multi);
            long errors = 0;
            for (Path log : logs) {
                try (Stream<String> lines = Files.lines(log)) {
                    errors += lines.filter(l -> l.contains(" ERROR ")).count();
                }
            }
            return new Result(run, s.gateways(), s.requests(), fired.ok, fired.denied, fired.other, fired.peakInFlight,
                    fired.lastSentMs, fired.firstDoneMs, fired.wallMs, ledger.rows, ledger.ok, ledger.spend,
                    ledger.clamped, fired.heldPerRequest, state.used(), state.held(), limit, errors);
        } finally {
            for (Process p : gateways) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
            upstream.close();
            if (multi) {
                int deleted = redisDeleteOurKeys(s.redisUrl());
                pgAdmin(s.pgAdminUrl(), "DROP DATABASE IF EXISTS " + pgDb + " WITH (FORCE)");
                System.err.printf("run %d: dropped database %s, deleted %d Redis keys%n", run, pgDb, deleted);
            }
        }
    }

    private static String config(Settings s, int port, String upstream, String databaseUrl, boolean multi) {
        return """
                server:
                  host: 127.0.0.1
                  port: %d
                master_key: %s
                database_url: "%s"
                providers:
                  - name: openai
                    kind: openai
                    base_url: %s/v1
                    api_key: sk-upstream-bench
                    retries: {max: 0}
                    timeouts: {connect_ms: 5000, first_byte_ms: 60000, idle_ms: 60000}
                budgets:
                %s  on_store_failure: fail_closed
                  definitions:
                    - {id: %s, scope: global, period: total, metric: cost_usd, limit: "%s", action: %s}
                """.formatted(port, MASTER, databaseUrl, upstream,
                (multi ? "  redis_url: \"" + s.redisUrl() + "\"\n" : "")
                        + (multi && !s.redisTimeoutMs().isEmpty() ? "  redis_timeout_ms: " + s.redisTimeoutMs() + "\n" : ""),
                BUDGET_ID, s.limitUsd(), s.action());
    }

    private static Process startGateway(Path cfg, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.tokenrt.cli.TokenRt", "serve", "--config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        // The file decides; the environment would override the ledger and the counter store.
        pb.environment().remove("TOKENRT_DATABASE_URL");
        pb.environment().remove("TOKENRT_REDIS_URL");
        pb.environment().remove("TOKENRT_MASTER_KEY");
        return pb.start();
    }

    private static void awaitHealthy(String base, Process p, Path log) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("gateway exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("gateway " + base + " did not become healthy:\n" + Files.readString(log));
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("gateway " + p.pid() + " did not stop within 60 s of SIGTERM");
        }
    }

    // ---------------------------------------------------------------- the race

    private static final class Fired {
        int ok;
        int denied;
        final Map<Integer, Integer> other = new TreeMap<>();
        long peakInFlight;
        long lastSentMs;
        long firstDoneMs;
        long wallMs;
        /** The worst case one request holds, as a 429's message states it ("needs up to $x"). */
        String heldPerRequest = "-";
    }

    /**
     * Sends every request at once (each on its own connection, so that none waits behind another) and waits for
     * all the answers. "Peak in flight" counts requests sent and not yet answered at the busiest instant.
     */
    private static Fired fire(Settings s, List<String> bases) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).build();
        String body = """
                {"model":"%s","max_tokens":%d,"messages":[{"role":"user","content":"Name three primes."}]}"""
                .formatted(s.model(), s.maxTokens());
        List<HttpRequest> requests = new ArrayList<>(s.requests());
        for (int i = 0; i < s.requests(); i++) {
            requests.add(HttpRequest.newBuilder(URI.create(bases.get(i % bases.size()) + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(120)).header("content-type", "application/json")
                    .header("authorization", "Bearer " + MASTER).POST(HttpRequest.BodyPublishers.ofString(body)).build());
        }
        String[] bodies = new String[s.requests()];
        long[] sent = new long[s.requests()];
        long[] done = new long[s.requests()];
        int[] status = new int[s.requests()];
        List<CompletableFuture<Void>> all = new ArrayList<>(s.requests());
        long t0 = System.nanoTime();
        for (int i = 0; i < s.requests(); i++) {
            int n = i;
            sent[n] = System.nanoTime();
            all.add(http.sendAsync(requests.get(n), HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
                done[n] = System.nanoTime();
                status[n] = e != null ? -1 : r.statusCode();
                bodies[n] = e != null ? e.toString() : r.body();
                if (e == null && r.statusCode() == 429 && !errorCode(r.body()).equals("budget_exceeded")) {
                    status[n] = 4290; // a 429 that is not the budget's
                }
                return null;
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        long t1 = System.nanoTime();
        Fired f = new Fired();
        for (int i = 0; i < status.length; i++) {
            switch (status[i]) {
                case 200 -> f.ok++;
                case 429 -> {
                    f.denied++;
                    Matcher m = NEEDS.matcher(bodies[i]);
                    if (f.heldPerRequest.equals("-") && m.find()) {
                        f.heldPerRequest = m.group(1);
                    }
                }
                default -> {
                    if (!f.other.containsKey(status[i])) {
                        System.err.println("first answer with status " + status[i] + ": " + bodies[i]);
                    }
                    f.other.merge(status[i], 1, Integer::sum);
                }
            }
        }
        f.peakInFlight = peak(sent, done);
        f.lastSentMs = TimeUnit.NANOSECONDS.toMillis(Arrays.stream(sent).max().orElse(t0) - t0);
        f.firstDoneMs = TimeUnit.NANOSECONDS.toMillis(Arrays.stream(done).min().orElse(t0) - t0);
        f.wallMs = TimeUnit.NANOSECONDS.toMillis(t1 - t0);
        return f;
    }

    private static String errorCode(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n.path("error").path("code").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    /** The most intervals [sent, done] that overlap at one instant. */
    static long peak(long[] sent, long[] done) {
        record Edge(long t, int d) {
        }
        List<Edge> edges = new ArrayList<>(sent.length * 2);
        for (int i = 0; i < sent.length; i++) {
            edges.add(new Edge(sent[i], 1));
            edges.add(new Edge(done[i], -1));
        }
        // At equal times, count the arrival first: an answer at the instant of a send still overlapped it.
        edges.sort((a, b) -> a.t() != b.t() ? Long.compare(a.t(), b.t()) : Integer.compare(b.d(), a.d()));
        long now = 0;
        long max = 0;
        for (Edge e : edges) {
            now += e.d();
            max = Math.max(max, now);
        }
        return max;
    }

    // ---------------------------------------------------------------- what the race left

    private record Ledger(long rows, long ok, long spend, long clamped) {
    }

    private static Ledger ledger(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*), COALESCE(SUM(cost_nanos), 0), "
                        + "COALESCE(SUM(CASE WHEN status = 200 THEN 1 ELSE 0 END), 0), "
                        + "COALESCE(SUM(CASE WHEN route LIKE '%clamp:max_tokens%' THEN 1 ELSE 0 END), 0) FROM requests")) {
            rs.next();
            return new Ledger(rs.getLong(1), rs.getLong(3), rs.getLong(2), rs.getLong(4));
        }
    }

    private static CounterStore.State counter(String url, boolean redis) {
        try (CounterStore store = redis ? RedisCounterStore.connect(url, RedisCounterStore.Options.defaults())
                : JdbcCounterStore.open(url, JdbcCounterStore.Options.defaults())) {
            return store.state(COUNTER_KEY);
        }
    }

    // ---------------------------------------------------------------- shared servers

    private static String pgUrl(String adminUrl, String db) {
        URI u = URI.create(adminUrl.substring("jdbc:".length()));
        return "jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + "/" + db + (u.getQuery() == null ? "" : "?" + u.getQuery());
    }

    private static void pgAdmin(String adminUrl, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** The Redis database must hold none of the counter store's keys: the run creates them, and deletes them after. */
    private static void redisMustBeClean(String url) {
        List<String> keys = redisKeys(url);
        if (!keys.isEmpty()) {
            throw new IllegalStateException(url + " already holds " + keys.size() + " keys under " + REDIS_PREFIX
                    + " (another user?): pick another database with --redis");
        }
    }

    private static int redisDeleteOurKeys(String url) {
        List<String> keys = redisKeys(url);
        if (keys.isEmpty()) {
            return 0;
        }
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return (int) (long) c.sync().del(keys.toArray(String[]::new));
        } finally {
            client.shutdown();
        }
    }

    private static List<String> redisKeys(String url) {
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisCommands<String, String> r = c.sync();
            List<String> keys = new ArrayList<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            // The prefix holds a brace, which MATCH reads as a pattern: escape it.
            ScanArgs match = ScanArgs.Builder.matches("\\" + REDIS_PREFIX.replace("}", "\\}") + "*").limit(500);
            do {
                KeyScanCursor<String> page = r.scan(cursor, match);
                keys.addAll(page.getKeys());
                cursor = page;
            } while (!cursor.isFinished());
            return keys;
        } finally {
            client.shutdown();
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    private static Settings parse(String[] args) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("--scenario", "single");
        a.put("--runs", "3");
        a.put("--requests", "1000");
        a.put("--model", "gpt-4o");
        a.put("--max-tokens", "16");
        a.put("--chunks", "16");
        a.put("--latency-ms", "30");
        a.put("--limit", "0.05");
        a.put("--action", "deny");
        a.put("--redis", "redis://127.0.0.1:6379/13");
        a.put("--redis-timeout-ms", "");
        a.put("--pg", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
        a.put("--work-dir", Path.of(System.getProperty("java.io.tmpdir"), "tokenrt-budget-race").toString());
        for (int i = 0; i < args.length; i += 2) {
            if (!a.containsKey(args[i]) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown option or missing value: " + args[i] + "; options: " + a.keySet());
            }
            a.put(args[i], args[i + 1]);
        }
        String scenario = a.get("--scenario");
        if (!scenario.equals("single") && !scenario.equals("multi")) {
            throw new IllegalArgumentException("--scenario single|multi");
        }
        String action = a.get("--action");
        if (!action.equals("deny") && !action.equals("queue")) {
            throw new IllegalArgumentException("--action deny|queue");
        }
        return new Settings(scenario, Integer.parseInt(a.get("--runs")), Integer.parseInt(a.get("--requests")),
                a.get("--model"), Integer.parseInt(a.get("--max-tokens")), Integer.parseInt(a.get("--chunks")),
                Integer.parseInt(a.get("--latency-ms")), a.get("--limit"), action, a.get("--redis"), a.get("--redis-timeout-ms"), a.get("--pg"),
                Path.of(a.get("--work-dir")));
    }
}
