package dev.tokenrt.bench.load;

import dev.tokenrt.testkit.FakeUpstream;
import dev.tokenrt.testkit.Scenario;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's load benchmark: what {@code tokenrt serve} adds to a request's latency at a given request rate.
 * A fake OpenAI upstream (the synthetic scenario, with a fixed wait before its answer, as a real provider has)
 * runs in this JVM beside the open-loop generator; the gateway runs in its own JVM, pointed at the upstream,
 * with its SQLite ledger and metrics on. At each rate the same load goes first straight to the upstream, then
 * through the gateway; the difference of the two latency distributions, percentile by percentile, is what the
 * gateway adds. Results go to {@code bench/results/gateway-load-<date>.md} and {@code .csv}.
 *
 * <p>Run it with {@code bench/load.sh}, which builds what it needs; {@code --help} lists the options.
 */
public final class GatewayLoadBench {

    /** Options, with the defaults of the recorded runs. */
    record Options(List<Double> rates, Duration warmup, Duration duration, Duration jitWarmup, int upstreamLatencyMs,
            int chunks, int streamChunkIntervalMs, int pool, int smallTokens, double streamRate, double largeRate,
            int largeTokens, int repeats, double quietPercent, int attempts, String model, Path cliJar, List<String> gatewayJavaOptions, Path outDir, String tag,
            boolean keepWork, String command) {

        static Options parse(String[] args) {
            Map<String, String> m = Args.parse(args);
            Options o = new Options(
                    Arrays.stream(take(m, "rates", "500,1000,2000").split(",")).map(String::trim).map(Double::parseDouble).toList(),
                    Duration.ofSeconds(Long.parseLong(take(m, "warmup-s", "5"))),
                    Duration.ofSeconds(Long.parseLong(take(m, "duration-s", "20"))),
                    Duration.ofSeconds(Long.parseLong(take(m, "jit-warmup-s", "15"))),
                    Integer.parseInt(take(m, "upstream-latency-ms", "20")),
                    Integer.parseInt(take(m, "chunks", "20")),
                    Integer.parseInt(take(m, "stream-chunk-interval-ms", "5")),
                    Integer.parseInt(take(m, "pool", "256")),
                    Integer.parseInt(take(m, "small-tokens", "100")),
                    Double.parseDouble(take(m, "stream-rate", "500")),
                    Double.parseDouble(take(m, "large-rate", "20")),
                    Integer.parseInt(take(m, "large-tokens", "20000")),
                    Integer.parseInt(take(m, "repeats", "1")),
                    Double.parseDouble(take(m, "quiet-percent", "25")),
                    Integer.parseInt(take(m, "attempts", "3")),
                    take(m, "model", "gpt-4o-mini"),
                    Path.of(take(m, "cli-jar", "tokenrt-cli/target/tokenrt-cli.jar")),
                    Args.words(take(m, "gateway-java-opts", "")),
                    Path.of(take(m, "out-dir", "bench/results")),
                    take(m, "tag", ""),
                    Boolean.parseBoolean(take(m, "keep-work", "false")),
                    take(m, "command", "java dev.tokenrt.bench.load.GatewayLoadBench " + String.join(" ", args)));
            Args.requireEmpty(m);
            return o;
        }

        private static String take(Map<String, String> m, String key, String def) {
            return Args.take(m, key, def);
        }
    }

    static final String USAGE = """
            usage: GatewayLoadBench [--rates 500,1000,2000] [--warmup-s 5] [--duration-s 20] [--jit-warmup-s 15]
                                    [--upstream-latency-ms 20] [--chunks 20] [--stream-chunk-interval-ms 5]
                                    [--pool 256] [--small-tokens 100] [--stream-rate 500] [--large-rate 20]
                                    [--large-tokens 20000] [--repeats 1] [--quiet-percent 25] [--attempts 3]
                                    [--model gpt-4o-mini]
                                    [--cli-jar tokenrt-cli/target/tokenrt-cli.jar] [--gateway-java-opts "..."]
                                    [--out-dir bench/results] [--tag NAME] [--keep-work true]
                                    [--command "how it was run"]
              A rate of 0 skips the streamed or the large-prompt scenario. --repeats runs each non-streamed
              small-prompt pair (direct, then gateway) that many times; the report gives the median.
              The machine may be shared: before each pair the bench waits (up to 2 min) until other processes
              use less than --quiet-percent of one core, and a pair during which they used more is run again,
              up to --attempts times (the last attempt is kept, marked, if none was quiet).""";

    /** One measured run and what the processes cost during its window. */
    record Row(String scenario, String path, int repeat, int promptTokens, LoadResult result, OptionalDouble gatewayCpuPercent,
            Optional<Long> gatewayRssKb, OptionalDouble benchCpuPercent, OptionalDouble otherCpuPercent,
            OptionalDouble gatewayOverheadMeanMicros) {
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().equals("help")) {
                System.err.println("GatewayLoadBench: " + e.getMessage());
            }
            System.err.println(USAGE);
            System.exit(e.getMessage().equals("help") ? 0 : 2);
            return;
        }
        LoadReport.Machine machine = LoadReport.Machine.here();
        Path work = Files.createTempDirectory("tokenrt-load-");
        FakeUpstream upstream = FakeUpstream.start(FakeUpstream.Options.defaults()
                .withLatency(Duration.ofMillis(o.upstreamLatencyMs())).withSyntheticChunks(o.chunks())
                .withStreamChunkInterval(Duration.ofMillis(o.streamChunkIntervalMs()))
                .withDefaultScenario(Scenario.parse("synthetic")));
        log("fake upstream on " + upstream.baseUrl() + " (synthetic, " + o.upstreamLatencyMs() + " ms before the answer)");
        Path gatewayLog = work.resolve("gateway.log");
        GatewayProcess gateway = GatewayProcess.start(o.cliJar(), o.gatewayJavaOptions(), upstream.baseUrl(),
                work.resolve("data"), gatewayLog);
        log("gateway pid " + gateway.pid() + " on " + gateway.baseUrl() + ": " + String.join(" ", gateway.command()));
        Thread cleanup = new Thread(() -> {
            gateway.close();
            upstream.close();
            if (!o.keepWork()) {
                try {
                    deleteTree(work);
                } catch (IOException e) {
                    // best effort on the way out
                }
            }
        }, "load-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);

        List<Row> rows = new ArrayList<>();
        GatewayLoadBench bench = new GatewayLoadBench(o, upstream, gateway);
        ChatBodies.Body small = ChatBodies.chat(o.model(), o.smallTokens(), false);
        if (!o.jitWarmup().isZero()) {
            log("JIT warm-up: " + o.jitWarmup().toSeconds() + " s at 500/s through the gateway (not recorded)");
            bench.warmup(small, false, 500, o.jitWarmup());
            if (o.streamRate() > 0) {
                bench.warmup(ChatBodies.chat(o.model(), o.smallTokens(), true), true, 200, Duration.ofSeconds(5));
            }
        }
        for (int rep = 1; rep <= o.repeats(); rep++) {
            for (double rate : o.rates()) {
                rows.addAll(bench.pair("chat", rep, small, false, rate));
            }
        }
        if (o.streamRate() > 0) {
            ChatBodies.Body streamed = ChatBodies.chat(o.model(), o.smallTokens(), true);
            rows.addAll(bench.pair("stream", 1, streamed, true, o.streamRate()));
        }
        if (o.largeRate() > 0) {
            ChatBodies.Body large = ChatBodies.chat(o.model(), o.largeTokens(), false);
            rows.addAll(bench.pair("chat-large", 1, large, false, o.largeRate()));
        }
        String finalMetrics = gateway.metrics().orElse("");
        long gatewayRequests = sumMetric(finalMetrics, "tokenrt_requests_total");
        Optional<Long> peakRss = gateway.peakRssKb();
        gateway.close();
        long ledgerBytes = gateway.ledgerBytes();
        upstream.close();
        Runtime.getRuntime().removeShutdownHook(cleanup);

        LoadReport report = new LoadReport(machine, o, rows, gateway.command(), gatewayRequests, bench.sentThroughGateway,
                ledgerBytes, peakRss, Files.readString(gatewayLog), bench.discarded());
        String date = LocalDate.now(ZoneOffset.UTC).toString();
        Files.createDirectories(o.outDir());
        Path md = o.outDir().resolve("gateway-load-" + date + o.tag() + ".md");
        Path csv = o.outDir().resolve("gateway-load-" + date + o.tag() + ".csv");
        Files.writeString(md, report.markdown(date));
        Files.writeString(csv, report.csv());
        System.out.println(report.markdown(date));
        boolean warnings = report.gatewayWarnings() > 0;
        if (o.keepWork() || warnings) {
            log("kept " + work + (warnings ? " (the gateway logged warnings: " + gatewayLog + ")" : ""));
        } else {
            deleteTree(work);
        }
        log("wrote " + md + " and " + csv);
        System.exit(0);
    }

    private final Options options;
    private final FakeUpstream upstream;
    private final GatewayProcess gateway;
    private long sentThroughGateway;

    private GatewayLoadBench(Options options, FakeUpstream upstream, GatewayProcess gateway) {
        this.options = options;
        this.upstream = upstream;
        this.gateway = gateway;
    }

    private URI url(String path) {
        return URI.create((path.equals("direct") ? upstream.baseUrl() : gateway.baseUrl()) + "/v1/chat/completions");
    }

    private static Map<String, String> headers(String path) {
        // The upstream checks for a key; the gateway (--insecure-dev) admits any caller and uses its own key upstream.
        return Map.of("authorization", "Bearer " + (path.equals("direct") ? "sk-bench-upstream" : "sk-bench-client"));
    }

    private void warmup(ChatBodies.Body body, boolean stream, double rate, Duration length) {
        LoadResult r = LoadGenerator.run(new LoadGenerator.Spec(url("gateway"), headers("gateway"), body.json(), stream,
                rate, Duration.ZERO, length, options.pool(), Duration.ofSeconds(30), Duration.ofSeconds(10)),
                LoadGenerator.Phases.NONE);
        sentThroughGateway += r.sent();
        log(String.format("  warm-up done: %d sent, %d ok, p99 %.2f ms, errors %s", r.sent(), r.ok(),
                r.latency().p99() / 1000.0, r.errors()));
    }

    /** Pairs run again because other processes were busy, for the report. */
    private final List<String> discarded = new ArrayList<>();

    /** A direct run and a gateway run at the same rate, while the rest of the machine is quiet, retried if it was not. */
    private List<Row> pair(String scenario, int repeat, ChatBodies.Body body, boolean stream, double rate)
            throws InterruptedException {
        List<Row> last = List.of();
        for (int attempt = 1; attempt <= options.attempts(); attempt++) {
            awaitQuiet();
            Row direct = run(scenario, "direct", repeat, body, stream, rate);
            Row viaGateway = run(scenario, "gateway", repeat, body, stream, rate);
            last = List.of(direct, viaGateway);
            double other = Math.max(direct.otherCpuPercent().orElse(0), viaGateway.otherCpuPercent().orElse(0));
            if (other <= options.quietPercent()) {
                return last;
            }
            String note = String.format(java.util.Locale.ROOT, "%s @%s #%d attempt %d: other processes used %.0f%%",
                    scenario, rate, repeat, attempt, other);
            discarded.add(note + (attempt < options.attempts() ? ", run again" : ", kept (no quiet attempt left)"));
            log("  disturbed: " + note);
        }
        return last;
    }

    /** Waits until processes other than the bench and the gateway use less than the quiet threshold (2 min at most). */
    private void awaitQuiet() throws InterruptedException {
        Machine.awaitQuiet(options.quietPercent(), Duration.ofMinutes(2),
                List.of(ProcessHandle.current().pid(), gateway.pid()));
    }

    List<String> discarded() {
        return discarded;
    }

    private Row run(String scenario, String path, int repeat, ChatBodies.Body body, boolean stream, double rate) throws InterruptedException {
        boolean viaGateway = path.equals("gateway");
        // The bench and the gateway are ours; everything else on the machine is "other".
        Machine.Window window = new Machine.Window(viaGateway ? Optional.of(gateway) : Optional.empty(),
                List.of(ProcessHandle.current().pid(), gateway.pid()));
        Overhead before = viaGateway ? Overhead.of(gateway.metrics().orElse("")) : Overhead.NONE;
        log(String.format("%s %s at %.0f/s (#%d): %d s warm-up + %d s", scenario, path, rate, repeat,
                options.warmup().toSeconds(), options.duration().toSeconds()));
        LoadResult r = LoadGenerator.run(new LoadGenerator.Spec(url(path), headers(path), body.json(), stream, rate,
                options.warmup(), options.duration(), options.pool(), Duration.ofSeconds(30), Duration.ofSeconds(15)),
                window);
        OptionalDouble gwOverhead = OptionalDouble.empty();
        if (viaGateway) {
            sentThroughGateway += Math.round(r.sent() + rate * options.warmup().toSeconds());
            gwOverhead = Overhead.of(gateway.metrics().orElse("")).meanMicrosSince(before);
        }
        OptionalDouble gwPct = window.serverCpuPercent();
        OptionalDouble otherPct = window.otherCpuPercent();
        Row row = new Row(scenario, path, repeat, body.promptTokens(), r, gwPct, window.serverRssKb(),
                window.benchCpuPercent(), otherPct, gwOverhead);
        log(String.format("  %d sent, %d ok (%.0f/s), errors %s; p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms "
                + "(uncorrected p99 %.3f, send lag p99 %.3f)%s%s",
                r.sent(), r.ok(), r.okPerSecond(), r.errors(), r.latency().p50() / 1000.0, r.latency().p99() / 1000.0,
                r.latency().p999() / 1000.0, r.latency().max() / 1000.0, r.service().p99() / 1000.0,
                r.sendLag().p99() / 1000.0,
                stream ? String.format("; first chunk p50 %.3f p99 %.3f ms", r.firstChunk().p50() / 1000.0,
                        r.firstChunk().p99() / 1000.0) : "",
                gwPct.isPresent() ? String.format("; gateway CPU %.0f%%", gwPct.getAsDouble()) : "")
                + (otherPct.isPresent() ? String.format("; other processes %.0f%%", otherPct.getAsDouble()) : ""));
        Thread.sleep(1000); // let connections close and the ledger writer catch up between runs
        return row;
    }

    /** The gateway's own overhead timer (non-streamed requests): sum and count, from the Prometheus scrape. */
    record Overhead(double sumSeconds, double count) {
        static final Overhead NONE = new Overhead(0, 0);

        static Overhead of(String scrape) {
            return new Overhead(sumMetricDouble(scrape, "tokenrt_gateway_overhead_seconds_sum"),
                    sumMetricDouble(scrape, "tokenrt_gateway_overhead_seconds_count"));
        }

        OptionalDouble meanMicrosSince(Overhead before) {
            double n = count - before.count;
            return n > 0 ? OptionalDouble.of((sumSeconds - before.sumSeconds) / n * 1e6) : OptionalDouble.empty();
        }
    }

    /** The sum of every sample of a metric (all label sets) in a Prometheus text scrape. */
    static long sumMetric(String scrape, String name) {
        return Math.round(sumMetricDouble(scrape, name));
    }

    static double sumMetricDouble(String scrape, String name) {
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "(?:\\{[^}]*})?\\s+(\\S+)", Pattern.MULTILINE);
        Matcher m = p.matcher(scrape);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void log(String s) {
        System.err.println("[load] " + s);
    }
}
