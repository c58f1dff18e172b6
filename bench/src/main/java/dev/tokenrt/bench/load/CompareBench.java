package dev.tokenrt.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.testkit.FakeUpstream;
import dev.tokenrt.testkit.Scenario;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Token Runtime against a real peer under the same open-loop load: a fake OpenAI upstream (in this JVM, beside
 * the generator) is called directly, through {@code tokenrt serve} with its whole pipeline, through the same
 * gateway reduced to a proxy ({@code pipeline: {bare: true}}), and through Portkey's open-source gateway, at
 * fixed rates from 500 requests/s up to where each path saturates, for non-streamed and streamed chat with small
 * and large prompts. What each gateway adds is its latency minus the direct path's, percentile by percentile, at
 * the same rate in the same repeat. Optionally a soak of the full pipeline follows. Results go to
 * {@code bench/results/gateway-compare-<date>.md}, {@code .csv} and {@code .png}.
 *
 * <p>Run it with {@code bench/compare.sh}, which installs the peer, builds, and runs all of it inside a network
 * namespace that has only loopback; {@code --help} lists the options.
 */
public final class CompareBench {

    /** A way to the upstream. */
    enum Path3 {
        DIRECT("direct"), FULL("tokenrt-full"), BARE("tokenrt-bare"), PORTKEY("portkey");

        final String label;

        Path3(String label) {
            this.label = label;
        }

        static Path3 parse(String s) {
            for (Path3 p : values()) {
                if (p.label.equals(s) || p.name().equalsIgnoreCase(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown path '" + s + "' (direct, tokenrt-full, tokenrt-bare, portkey)");
        }
    }

    /** A kind of request. */
    enum Kind {
        CHAT("chat", false, false), STREAM("stream", true, false), CHAT_LARGE("chat-large", false, true),
        STREAM_LARGE("stream-large", true, true);

        final String label;
        final boolean stream;
        final boolean large;

        Kind(String label, boolean stream, boolean large) {
            this.label = label;
            this.stream = stream;
            this.large = large;
        }

        static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.label.equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown scenario '" + s + "' (chat, stream, chat-large, stream-large)");
        }
    }

    static final String DEFAULT_RATES = "chat=500,1000,2000,3000,4000,5000,6000;stream=500,1000,2000,3000;"
            + "chat-large=100,250,500,1000;stream-large=250,500";

    record Options(List<Path3> paths, Map<Kind, List<Double>> rates, int repeats, Duration warmup, Duration duration,
            Duration jitWarmup, int upstreamLatencyMs, int chunks, int streamChunkIntervalMs, int pool, int smallTokens,
            int largeTokens, double quietPercent, Duration quietWait, int attempts, String model, Path cliJar, Path portkeyDir, String node,
            boolean cache, Duration soak, double soakRate, Duration soakLiveEvery, List<String> fullJavaOptions,
            Path outDir, String tag, String command) {

        static Options parse(String[] args) {
            Map<String, String> m = Args.parse(args);
            Map<Kind, List<Double>> rates = new LinkedHashMap<>();
            String rateSpec = Args.take(m, "rates", DEFAULT_RATES);
            if (!rateSpec.isBlank()) {
                for (String part : rateSpec.split(";")) {
                    String[] kv = part.split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--rates: expected scenario=r1,r2;... got '" + part + "'");
                    }
                    rates.put(Kind.parse(kv[0].trim()), Arrays.stream(kv[1].split(",")).map(String::trim)
                            .map(Double::parseDouble).sorted().toList());
                }
            }
            Options o = new Options(
                    Arrays.stream(Args.take(m, "paths", "direct,tokenrt-full,tokenrt-bare,portkey").split(","))
                            .map(String::trim).map(Path3::parse).toList(),
                    rates,
                    Integer.parseInt(Args.take(m, "repeats", "3")),
                    Duration.ofSeconds(Long.parseLong(Args.take(m, "warmup-s", "3"))),
                    Duration.ofSeconds(Long.parseLong(Args.take(m, "duration-s", "10"))),
                    Duration.ofSeconds(Long.parseLong(Args.take(m, "jit-warmup-s", "15"))),
                    Integer.parseInt(Args.take(m, "upstream-latency-ms", "20")),
                    Integer.parseInt(Args.take(m, "chunks", "20")),
                    Integer.parseInt(Args.take(m, "stream-chunk-interval-ms", "5")),
                    Integer.parseInt(Args.take(m, "pool", "512")),
                    Integer.parseInt(Args.take(m, "small-tokens", "100")),
                    Integer.parseInt(Args.take(m, "large-tokens", "20000")),
                    Double.parseDouble(Args.take(m, "quiet-percent", "25")),
                    Duration.ofSeconds(Long.parseLong(Args.take(m, "quiet-wait-s", "120"))),
                    Integer.parseInt(Args.take(m, "attempts", "3")),
                    Args.take(m, "model", "gpt-4o-mini"),
                    Path.of(Args.take(m, "cli-jar", "tokenrt-cli/target/tokenrt-cli.jar")),
                    Path.of(Args.take(m, "portkey-dir", System.getProperty("user.home") + "/.cache/tokenrt/portkey")),
                    Args.take(m, "node", "node"),
                    Boolean.parseBoolean(Args.take(m, "cache", "true")),
                    Duration.ofSeconds(Long.parseLong(Args.take(m, "soak-s", "0"))),
                    Double.parseDouble(Args.take(m, "soak-rate", "2000")),
                    Duration.ofSeconds(Long.parseLong(Args.take(m, "soak-live-every-s", "0"))),
                    Args.words(Args.take(m, "full-java-opts", "")),
                    Path.of(Args.take(m, "out-dir", "bench/results")),
                    Args.take(m, "tag", ""),
                    Args.take(m, "command", "java dev.tokenrt.bench.load.CompareBench " + String.join(" ", args)));
            Args.requireEmpty(m);
            return o;
        }
    }

    static final String USAGE = """
            usage: CompareBench [--paths direct,tokenrt-full,tokenrt-bare,portkey]
                                [--rates "%s"]
                                [--repeats 3] [--warmup-s 3] [--duration-s 10] [--jit-warmup-s 15]
                                [--upstream-latency-ms 20] [--chunks 20] [--stream-chunk-interval-ms 5] [--pool 512]
                                [--small-tokens 100] [--large-tokens 20000] [--quiet-percent 25] [--quiet-wait-s 120] [--attempts 3]
                                [--model gpt-4o-mini] [--cli-jar tokenrt-cli/target/tokenrt-cli.jar]
                                [--portkey-dir ~/.cache/tokenrt/portkey] [--node node] [--cache true]
                                [--soak-s 0] [--soak-rate 2000] [--soak-live-every-s 0] [--full-java-opts "..."]
                                [--out-dir bench/results] [--tag NAME] [--command "how it was run"]
              --rates "" runs no comparison (a soak alone). Each scenario's rates go up in order; a gateway that
              saturated at one rate (throughput under 95%% of the offered rate, more than 1%% errors, or a median
              latency above twice the direct path's) is not run at the higher rates of that repeat. The machine may
              be shared: each run waits (up to --quiet-wait-s) until other processes use less than --quiet-percent of one
              core, and a run during which they used more is run again, up to --attempts times.
              --soak-live-every-s N forces a full collection in the gateway (jcmd GC.run) between soak windows about
              every N seconds and reports the live heap each left: whether memory grows, without waiting for G1 to
              mark on its own. The pauses fall between windows, so no measured request waits for them.""".formatted(DEFAULT_RATES);

    /** One measured run. */
    record Row(Kind kind, Path3 path, int repeat, int promptTokens, LoadResult result, OptionalDouble cpuPercent,
            Optional<Long> rssKb, OptionalDouble benchCpuPercent, OptionalDouble otherCpuPercent, int attempt,
            boolean saturated, Optional<GcLog.Stats> gc, OptionalLong switches, OptionalLong coreWaitNanos) {

        /** The server's context switches a request answered, all its threads. */
        OptionalDouble switchesPerRequest() {
            return perRequest(switches, 1);
        }

        /**
         * Microseconds the server's threads spent waiting for a core a request answered, summed over its threads: on
         * a busy machine, what each hand-off between threads costs in latency on top of CPU time.
         */
        OptionalDouble coreWaitMicrosPerRequest() {
            return perRequest(coreWaitNanos, 1e3);
        }

        private OptionalDouble perRequest(OptionalLong total, double unit) {
            return total.isPresent() && result.ok() > 0 ? OptionalDouble.of(total.getAsLong() / unit / result.ok())
                    : OptionalDouble.empty();
        }

        /** KiB the server allocated a request answered, from its GC log. */
        OptionalDouble allocKibPerRequest() {
            return gc.flatMap(g -> g.allocatedMib().isPresent() && result.ok() > 0
                    ? Optional.of(OptionalDouble.of(g.allocatedMib().getAsDouble() * 1024 / result.ok()))
                    : Optional.empty()).orElse(OptionalDouble.empty());
        }

        /** Ms the server spent in GC pauses (all but full collections) a second of the window. */
        OptionalDouble gcPauseMsPerSecond() {
            double seconds = result.seconds();
            return gc.isPresent() && seconds > 0 ? OptionalDouble.of(gc.get().pauseMs() / seconds) : OptionalDouble.empty();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String MASTER_KEY = "sk-bench-master-0123456789abcdef";
    static final String UPSTREAM_KEY = "sk-bench-upstream";

    private final Options options;
    private final FakeUpstream upstream;
    private final Map<Path3, ServerProcess> servers;
    private final Map<Path3, Map<String, String>> headers = new LinkedHashMap<>();
    private final AtomicLong requestNumbers = new AtomicLong();
    private final List<String> disturbed = new ArrayList<>();
    private final Map<Kind, Integer> promptTokens = new LinkedHashMap<>();

    private final Path work;

    private CompareBench(Options options, FakeUpstream upstream, Map<Path3, ServerProcess> servers,
            Optional<String> virtualKey, Path work) {
        this.options = options;
        this.upstream = upstream;
        this.servers = servers;
        this.work = work;
        headers.put(Path3.DIRECT, Map.of("authorization", "Bearer " + UPSTREAM_KEY));
        virtualKey.ifPresent(k -> headers.put(Path3.FULL, Map.of("authorization", "Bearer " + k)));
        // --insecure-dev: any key that is not a virtual key's shape is admitted without a lookup.
        headers.put(Path3.BARE, Map.of("authorization", "Bearer sk-bench-client"));
        headers.put(Path3.PORTKEY, PortkeyProcess.routeHeaders(upstream.baseUrl(), UPSTREAM_KEY));
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception | Error e) {
            // Vert.x's threads would keep the JVM alive: exit, and let the shutdown hook stop what was started.
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!"help".equals(e.getMessage())) {
                System.err.println("CompareBench: " + e.getMessage());
            }
            System.err.println(USAGE);
            System.exit("help".equals(e.getMessage()) ? 0 : 2);
            return;
        }
        LoadReport.Machine machine = LoadReport.Machine.here();
        String before = Machine.otherProcesses();
        Path work = Files.createTempDirectory("tokenrt-compare-");
        FakeUpstream upstream = FakeUpstream.start(FakeUpstream.Options.defaults()
                .withLatency(Duration.ofMillis(o.upstreamLatencyMs())).withSyntheticChunks(o.chunks())
                .withStreamChunkInterval(Duration.ofMillis(o.streamChunkIntervalMs()))
                .withDefaultScenario(Scenario.parse("synthetic")));
        log("fake upstream on " + upstream.baseUrl());
        Map<Path3, ServerProcess> servers = new LinkedHashMap<>();
        Thread cleanup = new Thread(() -> {
            servers.values().forEach(ServerProcess::close);
            upstream.close();
        }, "compare-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);

        Set<Path3> wanted = new HashSet<>(o.paths());
        if (!o.soak().isZero()) {
            wanted.add(Path3.FULL);
        }
        Optional<String> virtualKey = Optional.empty();
        for (Path3 p : List.of(Path3.FULL, Path3.BARE, Path3.PORTKEY)) {
            if (wanted.contains(p)) {
                ServerProcess s = start(p, o, upstream, work);
                servers.put(p, s);
                if (p == Path3.FULL) {
                    virtualKey = Optional.of(createKey((GatewayProcess) s));
                }
                log(p.label + " pid " + s.pid() + " on " + s.baseUrl() + ": " + String.join(" ", s.command()));
            }
        }

        CompareBench bench = new CompareBench(o, upstream, servers, virtualKey, work);
        bench.checkEachPathAnswers();
        bench.jitWarmup();
        String date = LocalDate.now(ZoneOffset.UTC).toString();
        String base = "gateway-compare-" + date + o.tag();
        Files.createDirectories(o.outDir());
        // After each scenario the report so far is written, so that a run cut short still leaves its figures.
        List<Row> rows = bench.compare(done -> {
            try {
                CompareReport partial = new CompareReport(machine, o, done, Optional.empty(), Checks.NONE,
                        bench.disturbed, bench.promptTokens, before, "(the run is not finished)",
                        Machine.nodeVersion(o.node()), base + ".png");
                Files.writeString(o.outDir().resolve(base + ".md"), partial.markdown(date));
                Files.writeString(o.outDir().resolve(base + ".csv"), partial.csv());
            } catch (IOException e) {
                log("could not write the partial report: " + e);
            }
        });
        Optional<Soak.Result> soak = o.soak().isZero() ? Optional.empty()
                : Optional.of(new Soak(o, (GatewayProcess) servers.get(Path3.FULL), work.resolve("gc-full.log"),
                        bench.url(Path3.FULL), bench.headers.get(Path3.FULL),
                        ChatBodies.numbered(o.model(), o.smallTokens(), false, bench.requestNumbers)).run());

        Checks checks = bench.checks(work);
        String after = Machine.otherProcesses();
        Runtime.getRuntime().removeShutdownHook(cleanup);
        cleanup.run();

        CompareReport report = new CompareReport(machine, o, rows, soak, checks, bench.disturbed, bench.promptTokens,
                before, after, Machine.nodeVersion(o.node()), base + ".png");
        Files.writeString(o.outDir().resolve(base + ".md"), report.markdown(date));
        Files.writeString(o.outDir().resolve(base + ".csv"), report.csv());
        if (!rows.isEmpty() || soak.isPresent()) {
            LatencyPlot.write(report, o.outDir().resolve(base + ".png"));
        }
        System.out.println(report.markdown(date));
        log("wrote " + o.outDir().resolve(base + ".md") + " (.csv, .png); work directory " + work);
        System.exit(0);
    }

    // ------------------------------------------------------------------ the servers

    private static ServerProcess start(Path3 p, Options o, FakeUpstream upstream, Path work)
            throws IOException, InterruptedException {
        return switch (p) {
            case FULL -> startFull(o, upstream, work);
            case BARE -> startBare(o, upstream, work);
            case PORTKEY -> PortkeyProcess.start(o.node(), o.portkeyDir(), work.resolve("portkey.log"));
            case DIRECT -> throw new IllegalArgumentException("the direct path has no server");
        };
    }

    /**
     * A server that is gone (on a shared machine someone else's clean-up may stop it) is started again, with a
     * new virtual key for the full pipeline and a short warm-up, and the report says so.
     */
    private void ensureAlive(Path3 p) throws InterruptedException {
        ServerProcess s = servers.get(p);
        if (s == null || s.alive()) {
            return;
        }
        String note = p.label + " (pid " + s.pid() + ") was stopped from outside at " + now() + "; started again";
        log("  " + note);
        disturbed.add(note);
        try {
            ServerProcess fresh = start(p, options, upstream, work);
            servers.put(p, fresh);
            if (p == Path3.FULL) {
                headers.put(Path3.FULL, Map.of("authorization", "Bearer " + createKey((GatewayProcess) fresh)));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        LoadGenerator.run(spec(p, Kind.CHAT, 500, Duration.ZERO, Duration.ofSeconds(10)), LoadGenerator.Phases.NONE);
    }

    /** The GC log of a gateway this bench started (Portkey and the direct path have none). */
    private Optional<Path> gcLog(Path3 p) {
        return switch (p) {
            case FULL -> Optional.of(work.resolve("gc-full.log"));
            case BARE -> Optional.of(work.resolve("gc-bare.log"));
            default -> Optional.empty();
        };
    }

    /**
     * The full pipeline: the master key on, a virtual key per request (in SQLite, served from the gateway's key
     * cache of 1 s as shipped), a large hard budget per project and day (reserve and settle on every request), the
     * exact cache when asked for, the SQLite ledger and metrics. A GC log, so that a soak can read the heap after
     * each collection.
     */
    private static GatewayProcess startFull(Options o, FakeUpstream upstream, Path work)
            throws IOException, InterruptedException {
        Path dir = work.resolve("full");
        Files.createDirectories(dir);
        String yaml = """
                master_key: %s
                providers:
                  - {name: openai, kind: openai, base_url: "%s/v1", api_key: %s}
                %s""".formatted(MASTER_KEY, upstream.baseUrl(), UPSTREAM_KEY,
                o.cache() ? "cache: {enabled: true}\n" : "");
        Path config = Files.writeString(dir.resolve("tokenrt.yaml"), yaml);
        List<String> jvm = new ArrayList<>(List.of("-Xlog:gc:file=" + work.resolve("gc-full.log") + ":uptime"));
        jvm.addAll(o.fullJavaOptions());
        return GatewayProcess.start(o.cliJar(), jvm, List.of("--config", config.toString()), Map.of(), dir,
                work.resolve("full.log"));
    }

    /** The same gateway with the pipeline reduced to the proxy, auth off. */
    private static GatewayProcess startBare(Options o, FakeUpstream upstream, Path work)
            throws IOException, InterruptedException {
        Path dir = work.resolve("bare");
        Files.createDirectories(dir);
        Path config = Files.writeString(dir.resolve("tokenrt.yaml"), """
                providers:
                  - {name: openai, kind: openai, base_url: "%s/v1", api_key: %s}
                pipeline: {bare: true}
                """.formatted(upstream.baseUrl(), UPSTREAM_KEY));
        return GatewayProcess.start(o.cliJar(), List.of("-Xlog:gc:file=" + work.resolve("gc-bare.log") + ":uptime"),
                List.of("--config", config.toString(), "--insecure-dev"), Map.of(), dir, work.resolve("bare.log"));
    }

    /**
     * A virtual key for project {@code bench} and a hard budget on that project, through the admin API as an
     * operator makes them; the budget registry is reloaded every second, so this waits for two.
     */
    private static String createKey(GatewayProcess full) throws IOException, InterruptedException {
        Map<String, String> master = Map.of("authorization", "Bearer " + MASTER_KEY);
        full.post("/admin/v1/budgets", master, "{\"id\":\"bench-project-day\",\"scope\":\"project\","
                + "\"scope_id\":\"bench\",\"period\":\"day\",\"metric\":\"cost_usd\",\"limit\":\"1000000\","
                + "\"action\":\"deny\"}");
        String body = full.post("/admin/v1/keys", master,
                "{\"name\":\"bench\",\"project\":\"bench\",\"user\":\"bench-user\"}");
        Thread.sleep(2000);
        String key = JSON.readTree(body).path("key").asText();
        if (!key.startsWith("sk-tr-")) {
            throw new IllegalStateException("no virtual key in the admin API's answer: " + body);
        }
        return key;
    }

    URI url(Path3 p) {
        String base = p == Path3.DIRECT ? upstream.baseUrl() : servers.get(p).baseUrl();
        return URI.create(base + "/v1/chat/completions");
    }

    private LoadGenerator.Bodies bodies(Kind k) {
        int tokens = k.large ? options.largeTokens() : options.smallTokens();
        promptTokens.computeIfAbsent(k, x -> ChatBodies.chat(options.model(), tokens, k.stream).promptTokens());
        return ChatBodies.numbered(options.model(), tokens, k.stream, requestNumbers);
    }

    private List<Path3> gateways() {
        return options.paths().stream().filter(p -> p != Path3.DIRECT).toList();
    }

    /** One request on each path and scenario before anything is measured: a path that fails is a setup error. */
    private void checkEachPathAnswers() {
        Set<Kind> kinds = new HashSet<>(options.rates().keySet());
        kinds.add(Kind.CHAT);
        for (Path3 p : options.paths()) {
            for (Kind k : kinds) {
                LoadResult r = LoadGenerator.run(spec(p, k, 5, Duration.ZERO, Duration.ofSeconds(1)),
                        LoadGenerator.Phases.NONE);
                if (r.ok() != r.sent() || r.sent() == 0) {
                    throw new IllegalStateException(p.label + " " + k.label + ": " + r.ok() + " of " + r.sent()
                            + " answered, errors " + r.errors() + " (see the logs in the work directory)");
                }
            }
        }
        if (options.cache() && servers.containsKey(Path3.FULL)) {
            String outcome = cacheOutcome();
            if (!outcome.equals("MISS")) {
                throw new IllegalStateException("tokenrt-full answered x-tokenrt-cache: " + outcome
                        + "; every request should be looked up and miss");
            }
        }
        log("every path answers every scenario" + (options.cache() ? "; tokenrt-full's cache: MISS" : ""));
    }

    /** The x-tokenrt-cache header of one request through the full pipeline. */
    private String cacheOutcome() {
        try {
            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(url(Path3.FULL))
                    .header("content-type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bodies(Kind.CHAT).next().getBytes()));
            headers.get(Path3.FULL).forEach(b::header);
            try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
                return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).headers()
                        .firstValue("x-tokenrt-cache").orElse("(none)");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private LoadGenerator.Spec spec(Path3 p, Kind k, double rate, Duration warmup, Duration duration) {
        return new LoadGenerator.Spec(url(p), headers.get(p), bodies(k), k.stream, rate, warmup, duration,
                options.pool(), Duration.ofSeconds(30), Duration.ofSeconds(15));
    }

    private void jitWarmup() {
        if (options.jitWarmup().isZero()) {
            return;
        }
        for (Path3 p : servers.keySet()) {
            log("warm-up of " + p.label + " (JIT; not recorded)");
            LoadGenerator.run(spec(p, Kind.CHAT, 500, Duration.ZERO, options.jitWarmup()), LoadGenerator.Phases.NONE);
            LoadGenerator.run(spec(p, Kind.STREAM, 200, Duration.ZERO, Duration.ofSeconds(5)), LoadGenerator.Phases.NONE);
            LoadGenerator.run(spec(p, Kind.CHAT_LARGE, 20, Duration.ZERO, Duration.ofSeconds(5)), LoadGenerator.Phases.NONE);
        }
    }

    // ------------------------------------------------------------------ the comparison

    private List<Row> compare(java.util.function.Consumer<List<Row>> checkpoint) throws InterruptedException {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Kind, List<Double>> e : options.rates().entrySet()) {
            Kind k = e.getKey();
            for (int rep = 1; rep <= options.repeats(); rep++) {
                Set<Path3> saturated = new HashSet<>();
                // The gateways' order turns with each repeat, so that none always runs right after another.
                List<Path3> order = new ArrayList<>(gateways());
                if (!order.isEmpty()) {
                    java.util.Collections.rotate(order, -(rep - 1) % order.size());
                }
                for (double rate : e.getValue()) {
                    Optional<Row> direct = Optional.empty();
                    if (options.paths().contains(Path3.DIRECT)) {
                        Row d = measure(k, Path3.DIRECT, rep, rate, Optional.empty());
                        rows.add(d);
                        direct = Optional.of(d);
                    }
                    for (Path3 p : order) {
                        if (saturated.contains(p)) {
                            continue;
                        }
                        Row r = measure(k, p, rep, rate, direct);
                        rows.add(r);
                        if (r.saturated()) {
                            saturated.add(p);
                            log("  " + p.label + " saturated at " + rate + "/s: not run at higher rates in this repeat");
                            Thread.sleep(3000); // let a backlog clear before the next run
                        }
                    }
                    if (saturated.containsAll(order) && !order.isEmpty()) {
                        break;
                    }
                }
            }
            checkpoint.accept(List.copyOf(rows));
        }
        return rows;
    }

    /** Saturated: throughput stopped following the offered rate, errors, or queueing (median twice the direct one). */
    static boolean saturated(LoadResult r, Optional<LoadResult> direct) {
        boolean behind = r.okPerSecond() < 0.95 * r.ratePerSecond();
        boolean errors = r.errorCount() > 0.01 * Math.max(1, r.sent());
        boolean queueing = direct.isPresent() && direct.get().latency().count() > 0
                && r.latency().p50() > 2 * direct.get().latency().p50();
        return behind || errors || queueing;
    }

    private int restarts;

    private Row measure(Kind k, Path3 p, int rep, double rate, Optional<Row> direct) throws InterruptedException {
        Row last = null;
        for (int attempt = 1; attempt <= options.attempts(); attempt++) {
            ensureAlive(p);
            Machine.awaitQuiet(options.quietPercent(), options.quietWait(), pids());
            last = run(k, p, rep, rate, direct, attempt);
            if (servers.containsKey(p) && !servers.get(p).alive() && restarts++ < 5) {
                attempt--; // it was stopped during the run: not a measurement of it
                continue;
            }
            double other = last.otherCpuPercent().orElse(0);
            if (other <= options.quietPercent()) {
                return last;
            }
            String note = String.format(Locale.ROOT, "%s %s @%.0f #%d attempt %d: other processes used %.0f%%",
                    k.label, p.label, rate, rep, attempt, other);
            disturbed.add(note + (attempt < options.attempts() ? ", run again" : ", kept (no quiet attempt left)"));
            log("  disturbed: " + note);
        }
        return last;
    }

    private List<Long> pids() {
        List<Long> out = new ArrayList<>();
        out.add(ProcessHandle.current().pid());
        servers.values().forEach(s -> out.add(s.pid()));
        return out;
    }

    private Row run(Kind k, Path3 p, int rep, double rate, Optional<Row> direct, int attempt) throws InterruptedException {
        Optional<ServerProcess> server = Optional.ofNullable(servers.get(p));
        Machine.Window window = new Machine.Window(server, gcLog(p), pids());
        log(String.format(Locale.ROOT, "%s %s at %.0f/s (#%d): %d s warm-up + %d s", k.label, p.label, rate, rep,
                options.warmup().toSeconds(), options.duration().toSeconds()));
        LoadResult r = LoadGenerator.run(spec(p, k, rate, options.warmup(), options.duration()), window);
        boolean sat = p != Path3.DIRECT && saturated(r, direct.map(Row::result));
        Row row = new Row(k, p, rep, promptTokens.get(k), r, window.serverCpuPercent(), window.serverRssKb(),
                window.benchCpuPercent(), window.otherCpuPercent(), attempt, sat, window.serverGc(), window.serverSwitches(),
                window.serverCoreWaitNanos());
        String perRequest = window.serverCpuNanos().isPresent() && r.ok() > 0
                ? String.format(Locale.ROOT, " (%.0f µs a request%s%s)", window.serverCpuNanos().getAsLong() / 1e3 / r.ok(),
                        row.switchesPerRequest().isPresent() ? String.format(Locale.ROOT, ", %.1f context switches",
                                row.switchesPerRequest().getAsDouble()) : "",
                        row.coreWaitMicrosPerRequest().isPresent() ? String.format(Locale.ROOT,
                                ", %.0f µs of its threads' waiting for a core", row.coreWaitMicrosPerRequest().getAsDouble()) : "")
                : "";
        String gc = row.gc().map(g -> String.format(Locale.ROOT, "; %d GC pauses, %.1f ms in all (longest %.1f)%s",
                g.pauses(), g.pauseMs(), g.maxPauseMs(), row.allocKibPerRequest().isPresent()
                        ? String.format(Locale.ROOT, ", %.1f KiB allocated a request", row.allocKibPerRequest().getAsDouble())
                        : "")).orElse("");
        log(String.format(Locale.ROOT, "  %d sent, %d ok (%.0f/s), errors %s; p50 %.3f p99 %.3f p99.9 %.3f ms%s%s%s%s%s%s",
                r.sent(), r.ok(), r.okPerSecond(), r.errors(), r.latency().p50() / 1000.0, r.latency().p99() / 1000.0,
                r.latency().p999() / 1000.0,
                k.stream ? String.format(Locale.ROOT, "; first chunk p50 %.3f p99 %.3f", r.firstChunk().p50() / 1000.0,
                        r.firstChunk().p99() / 1000.0) : "",
                row.cpuPercent().isPresent() ? String.format(Locale.ROOT, "; server CPU %.0f%%",
                        row.cpuPercent().getAsDouble()) : "",
                perRequest, gc,
                row.otherCpuPercent().isPresent() ? String.format(Locale.ROOT, "; other %.0f%%",
                        row.otherCpuPercent().getAsDouble()) : "",
                sat ? "; SATURATED" : ""));
        Thread.sleep(1000);
        return row;
    }

    // ------------------------------------------------------------------ what the full pipeline did

    /** Evidence that the full pipeline really ran its steps under load, read from the gateway after the runs. */
    record Checks(long fullRequestsCounted, String fullBudgetStatus, long fullLedgerBytes, Map<Path3, Long> peakRssKb,
            Map<Path3, Long> logWarnings, List<String> fullCommand, List<String> bareCommand, List<String> portkeyCommand) {
        static final Checks NONE = new Checks(0, "(not read yet)", 0, Map.of(), Map.of(), List.of(), List.of(), List.of());
    }

    private Checks checks(Path work) throws IOException {
        long counted = 0;
        String status = "";
        long ledger = 0;
        if (servers.get(Path3.FULL) instanceof GatewayProcess full) {
            counted = GatewayLoadBench.sumMetric(full.metrics().orElse(""), "tokenrt_requests_total");
            status = full.get("/admin/v1/budgets/bench-project-day/status",
                    Map.of("authorization", "Bearer " + MASTER_KEY)).orElse("(no status)");
        }
        Map<Path3, Long> peak = new LinkedHashMap<>();
        servers.forEach((p, s) -> s.peakRssKb().ifPresent(kb -> peak.put(p, kb)));
        List<List<String>> commands = new ArrayList<>();
        for (Path3 p : List.of(Path3.FULL, Path3.BARE, Path3.PORTKEY)) {
            commands.add(servers.containsKey(p) ? servers.get(p).command() : List.of());
        }
        servers.values().forEach(ServerProcess::close);
        if (servers.get(Path3.FULL) instanceof GatewayProcess full) {
            ledger = full.ledgerBytes();
        }
        Map<Path3, Long> warnings = new LinkedHashMap<>();
        for (Map.Entry<Path3, String> e : Map.of(Path3.FULL, "full.log", Path3.BARE, "bare.log", Path3.PORTKEY,
                "portkey.log").entrySet()) {
            Path log = work.resolve(e.getValue());
            if (Files.exists(log)) {
                // Netty finds no hardware address in a namespace with only loopback: expected, not counted.
                warnings.put(e.getKey(), Files.readAllLines(log).stream().filter(l -> (l.contains(" WARN ")
                        || l.contains(" ERROR ") || l.contains("Unhandled") || l.contains("Error:"))
                        && !l.contains("MacAddressUtil")).count());
            }
        }
        return new Checks(counted, status, ledger, peak, warnings, commands.get(0), commands.get(1), commands.get(2));
    }

    static void log(String s) {
        System.err.println("[compare] " + s);
    }

    static Instant now() {
        return Instant.now();
    }
}
