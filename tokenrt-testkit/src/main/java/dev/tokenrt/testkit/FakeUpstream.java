package dev.tokenrt.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fake LLM provider over real HTTP on 127.0.0.1: it speaks OpenAI's, Anthropic's and Gemini's exact wire
 * formats, answering with responses recorded from the real APIs, so that the gateway's HTTP transports,
 * codecs, retries and accounting can be tested, and load-tested, without a real provider.
 *
 * <p>Routes: OpenAI {@code POST /v1/chat/completions} (streamed or not), {@code POST /v1/embeddings},
 * {@code GET /v1/models}; Anthropic {@code POST /v1/messages} (streamed or not); Gemini
 * {@code POST /v1beta/models/{model}:generateContent} and {@code :streamGenerateContent} ({@code ?alt=sse}).
 *
 * <p>Every request is checked as the provider would check it (keys and version headers, required fields)
 * and refused in the provider's own error format, so the gateway's outgoing requests are tested too. A
 * valid request is answered by a {@link Scenario}, chosen in this order:
 * <ol>
 *   <li>the {@code x-fake-scenario} header, e.g. {@code rate-limit} or {@code server-error:503};</li>
 *   <li>a model named {@code scenario:<scenario>}, e.g. {@code "model": "scenario:broken-stream"};</li>
 *   <li>the server's {@link Options#defaultScenario()} ({@code ok} unless set, {@code synthetic} for load).</li>
 * </ol>
 * A comma-separated list is a sequence for retry tests: the n-th request carrying the same
 * {@code x-fake-sequence-id} (or, without one, the same list) gets the n-th scenario, and the last one
 * repeats. Requests are counted and the most recent ones kept per route for assertions.
 *
 * <p>Runs on Vert.x: delays and stream pacing are timers on its event loop, so one fake upstream can
 * feed the load harness without a thread per request.
 */
public final class FakeUpstream implements AutoCloseable {

    /** How many received requests are kept for {@link #recentRequests()}. */
    public static final int RECENT_LIMIT = 256;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final long BROKEN_CLOSE_DELAY_MS = 100;

    /**
     * How the fake upstream runs.
     *
     * @param port                the port to bind on 127.0.0.1; 0 for an ephemeral one
     * @param latency             wait before every response's first byte
     * @param streamChunkInterval wait between the pieces (events) of a stream
     * @param slowFirstByte       extra wait of the {@code slow-first-byte} scenario when it names none
     * @param syntheticChunks     text chunks of a {@code synthetic} answer (its usage: 10 prompt tokens,
     *                            one completion token a chunk)
     * @param defaultScenario     what a request that names no scenario gets
     */
    public record Options(int port, Duration latency, Duration streamChunkInterval, Duration slowFirstByte,
            int syntheticChunks, Scenario defaultScenario) {

        public Options {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            requireNonNegative(latency, "latency");
            requireNonNegative(streamChunkInterval, "streamChunkInterval");
            requireNonNegative(slowFirstByte, "slowFirstByte");
            if (syntheticChunks < 1) {
                throw new IllegalArgumentException("syntheticChunks must be at least 1");
            }
            Objects.requireNonNull(defaultScenario, "defaultScenario");
        }

        private static void requireNonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " cannot be negative");
            }
        }

        /** An ephemeral port, no latency, unpaced streams, 1.5 s for slow-first-byte, 20 synthetic chunks, {@code ok}. */
        public static Options defaults() {
            return new Options(0, Duration.ZERO, Duration.ZERO, Duration.ofMillis(1500), 20, Scenario.OK);
        }

        public Options withPort(int p) {
            return new Options(p, latency, streamChunkInterval, slowFirstByte, syntheticChunks, defaultScenario);
        }

        public Options withLatency(Duration d) {
            return new Options(port, d, streamChunkInterval, slowFirstByte, syntheticChunks, defaultScenario);
        }

        public Options withStreamChunkInterval(Duration d) {
            return new Options(port, latency, d, slowFirstByte, syntheticChunks, defaultScenario);
        }

        public Options withSlowFirstByte(Duration d) {
            return new Options(port, latency, streamChunkInterval, d, syntheticChunks, defaultScenario);
        }

        public Options withSyntheticChunks(int n) {
            return new Options(port, latency, streamChunkInterval, slowFirstByte, n, defaultScenario);
        }

        public Options withDefaultScenario(Scenario s) {
            return new Options(port, latency, streamChunkInterval, slowFirstByte, syntheticChunks, s);
        }
    }

    private final Vertx vertx;
    private final Options options;
    private final Map<Route, LongAdder> counts = new EnumMap<>(Route.class);
    private final Map<Route, RecordedRequest> last = new ConcurrentHashMap<>();
    private final Deque<RecordedRequest> recent = new ArrayDeque<>();
    private final Map<String, AtomicInteger> sequences = new ConcurrentHashMap<>();
    private final AtomicLong serial = new AtomicLong();
    private final OpenAiWire openAi = new OpenAiWire();
    private final AnthropicWire anthropic = new AnthropicWire();
    private final GeminiWire gemini = new GeminiWire();
    private volatile HttpServer server;

    private FakeUpstream(Vertx vertx, Options options) {
        this.vertx = vertx;
        this.options = options;
        for (Route r : Route.values()) {
            counts.put(r, new LongAdder());
        }
    }

    /**
     * Binds 127.0.0.1 and starts serving.
     *
     * @throws IllegalStateException if the port cannot be bound
     */
    public static FakeUpstream start(Options options) {
        Objects.requireNonNull(options, "options");
        Vertx vertx = Vertx.vertx();
        FakeUpstream fake = new FakeUpstream(vertx, options);
        HttpServerOptions serverOptions = new HttpServerOptions().setHost("127.0.0.1").setPort(options.port())
                // Plain HTTP/1.1, as a gateway's provider client speaks it; no h2c upgrade.
                .setHttp2ClearTextEnabled(false);
        try {
            fake.server = vertx.createHttpServer(serverOptions).requestHandler(fake::handle).listen()
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("fake upstream could not bind 127.0.0.1:" + options.port() + ": "
                    + e.getMessage(), e);
        }
        return fake;
    }

    public static FakeUpstream start() {
        return start(Options.defaults());
    }

    public int port() {
        return server.actualPort();
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public Options options() {
        return options;
    }

    /** Requests received on a route, valid or not. */
    public long requestCount(Route route) {
        return counts.get(route).sum();
    }

    public Map<Route, Long> requestCounts() {
        Map<Route, Long> out = new EnumMap<>(Route.class);
        counts.forEach((r, c) -> out.put(r, c.sum()));
        return out;
    }

    /** The last request received on a route. */
    public Optional<RecordedRequest> lastRequest(Route route) {
        return Optional.ofNullable(last.get(route));
    }

    /** The most recent requests (at most {@link #RECENT_LIMIT}), oldest first. */
    public List<RecordedRequest> recentRequests() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** Forgets counts, recorded requests and sequence positions. */
    public void reset() {
        counts.values().forEach(LongAdder::reset);
        last.clear();
        synchronized (recent) {
            recent.clear();
        }
        sequences.clear();
    }

    /** Stops serving; open streams are cut. */
    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Closing is best effort: the process may be on its way out.
        }
    }

    // ---- request handling (on the event loop) ----

    private void handle(HttpServerRequest req) {
        req.body().onSuccess(buffer -> dispatch(req, buffer.toString(StandardCharsets.UTF_8)));
    }

    private record Target(Route route, Optional<String> pathModel, Wire wire) {
    }

    private Optional<Target> target(String path) {
        return switch (path) {
            case "/v1/chat/completions" -> Optional.of(new Target(Route.OPENAI_CHAT, Optional.empty(), openAi));
            case "/v1/embeddings" -> Optional.of(new Target(Route.OPENAI_EMBEDDINGS, Optional.empty(), openAi));
            case "/v1/models" -> Optional.of(new Target(Route.OPENAI_MODELS, Optional.empty(), openAi));
            case "/v1/messages" -> Optional.of(new Target(Route.ANTHROPIC_MESSAGES, Optional.empty(), anthropic));
            default -> geminiTarget(path);
        };
    }

    private Optional<Target> geminiTarget(String path) {
        String prefix = "/v1beta/models/";
        int colon = path.lastIndexOf(':');
        if (!path.startsWith(prefix) || colon <= prefix.length()) {
            return Optional.empty();
        }
        String model = path.substring(prefix.length(), colon);
        return switch (path.substring(colon + 1)) {
            case "generateContent" -> Optional.of(new Target(Route.GEMINI_GENERATE, Optional.of(model), gemini));
            case "streamGenerateContent" -> Optional.of(new Target(Route.GEMINI_STREAM, Optional.of(model), gemini));
            default -> Optional.empty();
        };
    }

    private void dispatch(HttpServerRequest req, String bodyText) {
        String method = req.method().name();
        Optional<Target> found = target(req.path());
        if (found.isEmpty()) {
            send(req, Reply.json(404, Fixtures.write(notFound("No fake route for " + method + " " + req.path()))),
                    Duration.ZERO);
            return;
        }
        Target t = found.get();
        counts.get(t.route()).increment();
        if (!t.route().method().equals(method)) {
            record(req, t.route(), bodyText, options.defaultScenario());
            send(req, Reply.json(405, Fixtures.write(notFound(method + " is not allowed on " + req.path()))),
                    Duration.ZERO);
            return;
        }
        Map<String, List<String>> headers = headers(req);
        Map<String, String> query = new HashMap<>();
        req.params().forEach(p -> query.putIfAbsent(p.getKey(), p.getValue()));

        ObjectNode body = NODES.objectNode();
        if (method.equals("POST")) {
            JsonNode parsed;
            try {
                parsed = Fixtures.parse(bodyText);
            } catch (IllegalArgumentException e) {
                record(req, t.route(), bodyText, options.defaultScenario());
                send(req, t.wire().malformed(e.getMessage()), Duration.ZERO);
                return;
            }
            if (!parsed.isObject()) {
                record(req, t.route(), bodyText, options.defaultScenario());
                send(req, t.wire().malformed("The body must be a JSON object."), Duration.ZERO);
                return;
            }
            body = (ObjectNode) parsed;
        }
        Incoming in = new Incoming(t.route(), t.pathModel(), body, headers, query, serial.incrementAndGet());
        Scenario scenario;
        try {
            scenario = scenario(in);
        } catch (IllegalArgumentException e) {
            record(req, t.route(), bodyText, options.defaultScenario());
            send(req, t.wire().invalid(e.getMessage()), Duration.ZERO);
            return;
        }
        record(req, t.route(), bodyText, scenario);
        Optional<Reply> refused = t.wire().validate(in);
        if (refused.isPresent()) {
            send(req, refused.get(), options.latency());
            return;
        }
        Reply reply = t.wire().answer(scenario, in, options.syntheticChunks());
        send(req, reply, options.latency().plus(scenario.firstByteDelay(options.slowFirstByte())));
    }

    private Scenario scenario(Incoming in) {
        String spec = in.header("x-fake-scenario").orElse(null);
        if (spec == null) {
            String model = in.model();
            if (model.startsWith("scenario:")) {
                spec = model.substring("scenario:".length());
            }
        }
        if (spec == null || spec.isBlank()) {
            return options.defaultScenario();
        }
        List<Scenario> list = Scenario.parseList(spec);
        if (list.size() == 1) {
            return list.getFirst();
        }
        String key = in.header("x-fake-sequence-id").orElse(spec);
        int n = sequences.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement();
        return list.get(Math.min(n, list.size() - 1));
    }

    /** Header names in lower case, values in arrival order. */
    private static Map<String, List<String>> headers(HttpServerRequest req) {
        Map<String, List<String>> headers = new HashMap<>();
        req.headers().forEach(h -> headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .add(h.getValue()));
        headers.replaceAll((k, v) -> List.copyOf(v));
        return headers;
    }

    private void record(HttpServerRequest req, Route route, String body, Scenario scenario) {
        Map<String, List<String>> headers = headers(req);
        String query = req.query() == null ? "" : req.query();
        RecordedRequest r = new RecordedRequest(route, req.method().name(), req.path(), query, headers, body, scenario);
        last.put(route, r);
        synchronized (recent) {
            recent.addLast(r);
            while (recent.size() > RECENT_LIMIT) {
                recent.removeFirst();
            }
        }
    }

    private static ObjectNode notFound(String message) {
        ObjectNode root = NODES.objectNode();
        root.putObject("error").put("message", message).put("type", "not_found");
        return root;
    }

    private void send(HttpServerRequest req, Reply reply, Duration delay) {
        long ms = delay.toMillis();
        if (ms <= 0) {
            write(req, reply);
        } else {
            vertx.setTimer(ms, id -> write(req, reply));
        }
    }

    private void write(HttpServerRequest req, Reply reply) {
        HttpServerResponse res = req.response();
        if (res.closed()) {
            return;
        }
        res.setStatusCode(reply.status());
        reply.headers().forEach(res::putHeader);
        switch (reply) {
            case Reply.Body b when !b.broken() -> res.end(b.body());
            case Reply.Body b -> {
                byte[] bytes = b.body().getBytes(StandardCharsets.UTF_8);
                res.putHeader("content-length", Integer.toString(bytes.length));
                res.write(Buffer.buffer(java.util.Arrays.copyOf(bytes, bytes.length / 2)))
                        .onComplete(done -> drop(req));
            }
            case Reply.Stream s -> {
                res.setChunked(true);
                int limit = s.broken() ? Math.max(1, s.pieces().size() / 2) : s.pieces().size();
                writePieces(req, res, s.pieces(), 0, limit, s.broken());
            }
        }
    }

    /** Writes pieces {@code from..limit-1}, with the chunk interval between them, then ends or drops. */
    private void writePieces(HttpServerRequest req, HttpServerResponse res, List<String> pieces, int from, int limit,
            boolean broken) {
        long interval = options.streamChunkInterval().toMillis();
        int i = from;
        while (i < limit) {
            if (res.closed()) {
                return;
            }
            io.vertx.core.Future<Void> written = res.write(pieces.get(i));
            i++;
            if (i == limit) {
                if (broken) {
                    written.onComplete(done -> drop(req));
                } else {
                    res.end();
                }
                return;
            }
            if (interval > 0) {
                int nextFrom = i;
                vertx.setTimer(interval, id -> writePieces(req, res, pieces, nextFrom, limit, broken));
                return;
            }
        }
        if (!broken) {
            res.end(); // no pieces at all
        } else {
            drop(req);
        }
    }

    /**
     * Drops the TCP connection a moment after the last byte left, as when a real connection dies mid-stream:
     * the client has read what was sent before it sees the connection end, instead of the end overtaking
     * the data in its buffers.
     */
    private void drop(HttpServerRequest req) {
        vertx.setTimer(BROKEN_CLOSE_DELAY_MS, id -> req.connection().close());
    }

    // ---- standalone ----

    /**
     * Runs the fake upstream until the process is stopped, for the load harness and for manual tests.
     * Prints {@code fake upstream listening on http://127.0.0.1:<port>} once it serves.
     */
    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("fake-upstream: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        if (options == null) {
            usage(System.out);
            return;
        }
        FakeUpstream fake = start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fake.close();
            stopped.countDown();
        }, "fake-upstream-shutdown"));
        System.out.println("fake upstream listening on " + fake.baseUrl());
        System.out.flush();
        stopped.await();
    }

    static void usage(PrintStream out) {
        out.println("""
                usage: fake-upstream [--port N] [--latency-ms N] [--stream-chunk-interval-ms N]
                                     [--chunks N] [--slow-first-byte-ms N] [--scenario NAME]
                  --port                      port on 127.0.0.1 (default 0: any free port, printed at start)
                  --latency-ms                wait before every response's first byte (default 0)
                  --stream-chunk-interval-ms  wait between stream events (default 0)
                  --chunks                    text chunks of a synthetic answer (default 20)
                  --slow-first-byte-ms        delay of the slow-first-byte scenario (default 1500)
                  --scenario                  scenario for requests that name none (default ok; synthetic for load)
                scenarios: %s""".formatted(Scenario.known()));
    }

    /**
     * Parses the command line ({@code --name value} or {@code --name=value}).
     *
     * @return the options, or null when help was asked for
     * @throws IllegalArgumentException naming the bad argument
     */
    static Options parseArgs(String... args) {
        Options o = Options.defaults();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return null;
            }
            String name = arg;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            o = switch (name) {
                case "--port" -> o.withPort(number(name, value));
                case "--latency-ms" -> o.withLatency(Duration.ofMillis(number(name, value)));
                case "--stream-chunk-interval-ms" -> o.withStreamChunkInterval(Duration.ofMillis(number(name, value)));
                case "--chunks" -> o.withSyntheticChunks(number(name, value));
                case "--slow-first-byte-ms" -> o.withSlowFirstByte(Duration.ofMillis(number(name, value)));
                case "--scenario" -> o.withDefaultScenario(Scenario.parse(value));
                default -> throw new IllegalArgumentException("unknown option " + name);
            };
        }
        return o;
    }

    private static int number(String name, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, not '" + value + "'");
        }
    }
}
