package dev.tokenrt.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.TokenRuntime;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.pricing.Money;
import dev.tokenrt.budget.Tier;
import dev.tokenrt.keys.Authentication;
import dev.tokenrt.keys.KeySecrets;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.provider.LongStrings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face: OpenAI- and Anthropic-compatible routes over the shared pipeline, plus health, metrics and
 * the admin API. Vert.x event loops do the I/O; each request's pipeline runs on its own virtual thread, where
 * blocking on a provider is cheap. Nothing here holds policy: it reads, calls the pipeline, and writes.
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    /**
     * Jackson keeps its parse and write buffers in a ThreadLocal by default, which a virtual thread (one per
     * request) never reuses: every readTree / writeValueAsBytes allocated ~18 kB of fresh buffers, a quarter of
     * what a request allocated. A shared pool hands them back and forth instead; the bytes written are the same.
     */
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build());

    /** The most a request body's buffer is sized to up front, from its Content-Length. */
    private static final int PRESIZE_MAX = 1 << 20;

    private final GatewayConfig config;
    private final TokenRuntime runtime;
    private final TokenCounting counting;
    private final GatewayMetrics metrics;
    private final AdminApi admin;
    private final ModelsApi models;
    private final EmbeddingsApi embeddings;
    private final boolean insecure;
    private final Vertx vertx;
    private final HttpServer server;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ClientFace openAi;
    private final ClientFace anthropic;
    private final KeyStore keys;
    private final Budgets budgets;
    private final AdminKeysApi adminKeys;
    private final AdminBudgetsApi adminBudgets;
    private final Caches caches;
    private final AdminCacheApi adminCache;
    private final AdminAlertsApi adminAlerts;
    private final AdminRebuildApi adminRebuild;

    GatewayServer(GatewayConfig config, TokenRuntime runtime, TokenCounting counting, GatewayMetrics metrics,
            boolean insecure, Vertx vertx, ClientFace openAi, ClientFace anthropic, EmbeddingsApi embeddings,
            KeyStore keys, Budgets budgets, Caches caches) {
        this.config = config;
        this.runtime = runtime;
        this.counting = counting;
        this.metrics = metrics;
        this.insecure = insecure;
        this.vertx = vertx;
        this.openAi = openAi;
        this.anthropic = anthropic;
        this.embeddings = embeddings;
        this.keys = keys;
        this.budgets = budgets;
        this.caches = caches;
        this.adminCache = new AdminCacheApi(caches, runtime.clock(), openAi);
        // Expired entries leave the shared cache layers (memory expires by itself).
        if (caches.cache().isPresent()) {
            vertx.setPeriodic(60_000, id -> workers.execute(() -> caches.sweep(runtime.clock())));
        }
        // Holds left by a process that died are released here, on every replica, once they expire.
        vertx.setPeriodic(10_000, id -> workers.execute(() -> budgets.sweep(runtime.clock())));
        this.adminKeys = new AdminKeysApi(keys, runtime.clock(), openAi);
        this.adminBudgets = new AdminBudgetsApi(budgets.registry(), budgets.counters(), runtime.clock(),
                budgets.settings().zone(), openAi, budgets.source());
        this.adminAlerts = new AdminAlertsApi(budgets.alerts().log(), runtime.clock(), openAi);
        this.adminRebuild = new AdminRebuildApi(budgets, runtime.ledger(), runtime.clock(), openAi);
        this.admin = new AdminApi(runtime.ledger(), runtime.clock(), openAi);
        this.models = new ModelsApi(config, runtime.router());
        this.server = vertx.createHttpServer(new HttpServerOptions()
                .setHost(config.host()).setPort(config.port())
                .setTcpNoDelay(true).setIdleTimeout(120).setIdleTimeoutUnit(TimeUnit.SECONDS));
        server.requestHandler(this::handle);
    }

    /**
     * Vert.x on Netty's native epoll transport where its jar's library loads (Linux x86-64 and arm64), Java NIO
     * elsewhere. Native: fewer system calls a request and an eventfd instead of a selector wake-up for each hand-off
     * between a virtual thread and an event loop; on our 2-core VMs a system call costs about a microsecond, and
     * NIO's wake-ups showed among the gateway's hottest methods.
     */
    static Vertx newVertx() {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true)
                .setEventLoopPoolSize(Math.max(1, java.lang.Runtime.getRuntime().availableProcessors())));
        if (vertx.isNativeTransportEnabled()) {
            LOG.debug("network: native epoll transport");
        } else {
            LOG.info("network: Java NIO (the native transport is unavailable: {})",
                    vertx.unavailableNativeTransportCause() == null ? "not this platform"
                            : vertx.unavailableNativeTransportCause().toString());
        }
        return vertx;
    }

    /** Binds the port; returns once listening. */
    public GatewayServer listen() {
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        return this;
    }

    public int port() {
        return server.actualPort();
    }

    public TokenRuntime runtime() {
        return runtime;
    }

    Caches caches() {
        return caches;
    }

    // ---------------------------------------------------------------- dispatch

    private void handle(HttpServerRequest req) {
        String path = req.path();
        HttpMethod m = req.method();
        try {
            if (m == HttpMethod.GET && path.equals("/health")) {
                json(req.response(), 200, JSON.createObjectNode().put("status", "ok"));
                return;
            }
            if (m == HttpMethod.GET && path.equals("/metrics")) {
                req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape());
                return;
            }
            ClientFace face = path.startsWith("/v1/messages") ? anthropic : openAi;
            String presented = presentedKey(req);
            // The body is read once the caller is known, possibly on another thread: hold it back until then.
            req.pause();
            if (path.startsWith("/admin/")) {
                if (!isMaster(presented)) {
                    req.resume(); // an unread body is discarded, so the connection stays usable
                    fail(req.response(), face, GatewayError.of(GatewayError.Kind.AUTHENTICATION,
                            "The admin API takes the master key (TOKENRT_MASTER_KEY) as 'Authorization: Bearer <key>'.")
                            .withCode("invalid_api_key"), "");
                    return;
                }
                workers.execute(() -> admin(req, m, path, face));
                return;
            }
            if (isMaster(presented)) {
                route(req, m, path, face, Caller.MASTER, null);
                return;
            }
            if (presented == null || presented.isEmpty()) {
                req.resume();
                fail(req.response(), face, GatewayError.of(GatewayError.Kind.AUTHENTICATION,
                        "Missing API key. Pass it as 'Authorization: Bearer <key>'.").withCode("invalid_api_key"), "");
                return;
            }
            // A virtual key: one indexed lookup in the shared database, off the event loop, so a key revoked
            // on any replica is refused here at once. A POST's body is read first, on the event loop, so that the
            // lookup and the request's own work share one virtual thread: looking the key up on one and running
            // the request on a second cost an extra hand-off (a carrier thread's wake-up) on every request.
            if (m == HttpMethod.POST) {
                withBody(req, face, body -> asVirtualKey(req, m, path, face, presented, body));
            } else {
                workers.execute(() -> asVirtualKey(req, m, path, face, presented, null));
            }
        } catch (RuntimeException e) {
            LOG.error("unexpected error on {} {}", m, path, e);
            fail(req.response(), openAi, GatewayError.of(GatewayError.Kind.INTERNAL, "internal error"), "");
        }
    }

    /** Authenticates a presented virtual key and routes its request; on a virtual thread (it reads the database). */
    private void asVirtualKey(HttpServerRequest req, HttpMethod m, String path, ClientFace face, String presented,
            Buffer body) {
        Authentication auth;
        try {
            auth = keys.authenticate(presented, runtime.clock().instant());
        } catch (RuntimeException e) {
            LOG.error("key lookup failed on {} {}: {}", m, path, e.toString());
            req.resume();
            fail(req.response(), face, GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "The key store is unavailable; try again.").withCode("key_store_unavailable"), "");
            return;
        }
        switch (auth) {
            case Authentication.Accepted a -> route(req, m, path, face, new Caller(Optional.of(a.key())), body);
            case Authentication.Refused r -> {
                req.resume(); // an unread body is discarded, so the connection stays usable
                fail(req.response(), face, GatewayError.of(GatewayError.Kind.AUTHENTICATION, r.message())
                        .withCode("invalid_api_key"), "");
            }
        }
    }

    /** Who is calling: the master key (no virtual key), or a virtual key with its attribution and limits. */
    record Caller(Optional<VirtualKey> key) {
        static final Caller MASTER = new Caller(Optional.empty());
    }

    /** {@code read}: the body when it was read already (a virtual key's POST, on its virtual thread), else null. */
    private void route(HttpServerRequest req, HttpMethod m, String path, ClientFace face, Caller caller, Buffer read) {
        switch (m.name() + " " + path) {
            case "POST /v1/chat/completions", "POST /v1/messages" ->
                    withBody(req, face, read, body -> chat(req, face, body, caller));
            case "POST /v1/messages/count_tokens" -> withBody(req, face, read, body -> countTokens(req, body));
            case "POST /v1/embeddings" ->
                    withBody(req, face, read, body -> embeddings.handle(req, body, caller.key(), headers(req)));
            case "GET /v1/models" -> json(req.response(), 200, models.list());
            case "GET /v1/tokenrt/budget" -> workers.execute(() -> ownBudgets(req, caller));
            default -> unknownRoute(req, face, m, path);
        }
    }

    private static void unknownRoute(HttpServerRequest req, ClientFace face, HttpMethod m, String path) {
        req.resume(); // discard any body, so the connection stays usable
        fail(req.response(), face, GatewayError.of(GatewayError.Kind.NOT_FOUND,
                "Unknown route " + m.name() + " " + path + ".").withCode("unknown_url"), "");
    }

    /** A key's own budgets and where they stand ({@code GET /v1/tokenrt/budget}). */
    private void ownBudgets(HttpServerRequest req, Caller caller) {
        if (caller.key().isEmpty()) {
            fail(req.response(), openAi, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    "This route shows a virtual key its own budgets; call it with a virtual key.")
                    .withCode("virtual_key_required"), "");
            return;
        }
        VirtualKey key = caller.key().get();
        adminBudgets.ownBudgets(req, key, Attribution.from(headers(req), Optional.of(key), ""));
    }

    /** The admin API, behind the master key; runs on a virtual thread (it reads the database). */
    private void admin(HttpServerRequest req, HttpMethod m, String path, ClientFace face) {
        String keysPrefix = "/admin/v1/keys/";
        String budgetsPrefix = "/admin/v1/budgets/";
        if (path.equals("/admin/v1/budgets")) {
            switch (m.name()) {
                case "POST" -> withBody(req, face, body -> adminBudgets.create(req, body));
                case "GET" -> adminBudgets.list(req);
                default -> unknownRoute(req, face, m, path);
            }
            return;
        }
        if (path.startsWith(budgetsPrefix)) {
            String rest = path.substring(budgetsPrefix.length());
            if (rest.equals("rebuild") && m == HttpMethod.POST) {
                withBody(req, face, body -> adminRebuild.rebuild(req, body));
            } else if (rest.endsWith("/status") && m == HttpMethod.GET) {
                adminBudgets.status(req, rest.substring(0, rest.length() - "/status".length()));
            } else if (!rest.isEmpty() && rest.indexOf('/') < 0) {
                switch (m.name()) {
                    case "GET" -> adminBudgets.get(req, rest);
                    case "PUT" -> withBody(req, face, body -> adminBudgets.replace(req, rest, body));
                    case "DELETE" -> adminBudgets.delete(req, rest);
                    default -> unknownRoute(req, face, m, path);
                }
            } else {
                unknownRoute(req, face, m, path);
            }
            return;
        }
        if (path.equals("/admin/v1/cache")) {
            switch (m.name()) {
                case "DELETE" -> adminCache.invalidate(req);
                case "GET" -> adminCache.status(req);
                default -> unknownRoute(req, face, m, path);
            }
            return;
        }
        if (path.equals("/admin/v1/usage") && m == HttpMethod.GET) {
            admin.usage(req);
        } else if (path.equals("/admin/v1/alerts") && m == HttpMethod.GET) {
            adminAlerts.list(req);
        } else if (path.equals("/admin/v1/keys") && m == HttpMethod.POST) {
            withBody(req, face, body -> adminKeys.create(req, body));
        } else if (path.equals("/admin/v1/keys") && m == HttpMethod.GET) {
            adminKeys.list(req);
        } else if (path.startsWith(keysPrefix) && path.length() > keysPrefix.length()
                && path.indexOf('/', keysPrefix.length()) < 0) {
            String id = path.substring(keysPrefix.length());
            switch (m.name()) {
                case "GET" -> adminKeys.get(req, id);
                case "PATCH" -> withBody(req, face, body -> {
                    adminKeys.patch(req, id, body);
                    budgets.keyChanged(id);
                });
                case "DELETE" -> {
                    adminKeys.delete(req, id);
                    budgets.keyChanged(id);
                }
                default -> unknownRoute(req, face, m, path);
            }
        } else {
            unknownRoute(req, face, m, path);
        }
    }

    /** The master key, compared in constant time; with no master key configured only --insecure-dev admits. */
    private boolean isMaster(String presented) {
        if (config.masterKey().isEmpty()) {
            return insecure && (presented == null || !KeySecrets.looksLikeSecret(presented));
        }
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                config.masterKey().get().getBytes(StandardCharsets.UTF_8));
    }

    static String presentedKey(HttpServerRequest req) {
        String auth = req.getHeader("authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        String x = req.getHeader("x-api-key");
        return x != null ? x.trim() : null;
    }

    /** Hands on a body already read (we are on a virtual thread then), or reads it first. */
    private void withBody(HttpServerRequest req, ClientFace face, Buffer read, Consumer<Buffer> then) {
        if (read != null) {
            then.accept(read);
        } else {
            withBody(req, face, then);
        }
    }

    /** Reads the whole body (refusing more than the configured maximum) and hands it to a virtual thread. */
    private void withBody(HttpServerRequest req, ClientFace face, Consumer<Buffer> then) {
        String len = req.getHeader("content-length");
        long max = config.maxBodyBytes();
        long declared = -1;
        if (len != null) {
            try {
                declared = Long.parseLong(len.trim());
                if (declared > max) {
                    // Answer at once and close after the answer: the client is told not to reuse the connection.
                    req.response().putHeader("connection", "close");
                    fail(req.response(), face, tooLarge(max), "");
                    return;
                }
            } catch (NumberFormatException e) {
                fail(req.response(), face, GatewayError.of(GatewayError.Kind.INVALID_REQUEST, "Invalid Content-Length."), "");
                return;
            }
        }
        // Sized by Content-Length when given: growing by doubling from Netty's 256 bytes copied a 20,000-token
        // prompt nine times over as it arrived. At most 1 MiB up front, so that a client announcing a large body
        // and sending it slowly (or never) does not make us hold the memory before the bytes come.
        Buffer body = declared > 0 ? Buffer.buffer((int) Math.min(declared, PRESIZE_MAX)) : Buffer.buffer();
        AtomicBoolean tooBig = new AtomicBoolean();
        req.handler(chunk -> {
            if (tooBig.get()) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                tooBig.set(true);
                req.response().putHeader("connection", "close");
                fail(req.response(), face, tooLarge(max), "");
                return;
            }
            body.appendBuffer(chunk);
        });
        req.endHandler(v -> {
            if (!tooBig.get()) {
                Context home = Vertx.currentContext(); // this request's event loop: its provider calls run there too
                workers.execute(() -> UpstreamHttp.onBehalfOf(home, () -> then.accept(body)));
            }
        });
        req.exceptionHandler(e -> LOG.debug("request body failed: {}", e.toString()));
        req.resume();
    }

    private static GatewayError tooLarge(long max) {
        return GatewayError.of(GatewayError.Kind.TOO_LARGE, "Request body larger than " + max + " bytes.")
                .withCode("request_too_large");
    }

    static Map<String, String> headers(HttpServerRequest req) {
        Map<String, String> h = new HashMap<>();
        req.headers().forEach(e -> {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!name.equals("authorization") && !name.equals("x-api-key") && !name.equals("x-goog-api-key")
                    && !name.equals("cookie")) {
                h.merge(name, e.getValue(), (a, b) -> a + "," + b);
            }
        });
        return h;
    }

    static Optional<JsonNode> parseJson(Buffer body) {
        try {
            JsonNode n = readTree(body);
            return n == null || !n.isObject() ? Optional.empty() : Optional.of(n);
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- chat

    private void chat(HttpServerRequest req, ClientFace face, Buffer body, Caller caller) {
        long startNanos = System.nanoTime();
        String requestId = TokenRuntime.newRequestId();
        HttpServerResponse resp = req.response();
        resp.putHeader("x-tokenrt-request-id", requestId);
        Optional<JsonNode> json = parseJson(body);
        if (json.isEmpty()) {
            fail(resp, face, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    "The request body is not a JSON object.").withCode("invalid_json"), requestId);
            return;
        }
        ChatRequest chat;
        try {
            chat = face.parse(json.get());
        } catch (ClientFace.BadRequest e) {
            fail(resp, face, GatewayError.of(GatewayError.Kind.INVALID_REQUEST, e.getMessage()).withParam(e.param),
                    requestId);
            return;
        }
        if (caller.key().isPresent()) {
            VirtualKey key = caller.key().get();
            Optional<Tier> tier;
            try {
                tier = budgets.tierOf(key);
            } catch (IllegalArgumentException e) {
                fail(resp, face, GatewayError.of(GatewayError.Kind.PERMISSION, e.getMessage()).withCode("unknown_tier"),
                        requestId);
                return;
            }
            String model = chat.model();
            if (!key.allowsModel(model) || tier.map(t -> !t.allows(model)).orElse(false)) {
                fail(resp, face, GatewayError.of(GatewayError.Kind.PERMISSION, "This key may not use the model '"
                        + model + "'.").withParam("model").withCode("model_not_allowed"), requestId);
                return;
            }
            if (tier.isPresent()) {
                chat = tier.get().capped(chat);
            }
        }
        Map<String, String> headers = headers(req);
        Exchange ex = Exchange.start(requestId, chat, face.formatId(),
                Attribution.from(headers, caller.key(), chat.user()), headers, runtime.clock().instant(), startNanos);
        Outcome outcome = runtime.execute(ex);
        switch (outcome) {
            case Outcome.Complete c -> {
                // Like the providers themselves, name the model that answered (a dated snapshot, a fallback, or
                // fake/… for the built-in fake provider); the client's own name when the provider gave none.
                ObjectNode out = face.response(c.response(), servedName(c.response().model(), c.exchange()));
                resp.putHeader("x-tokenrt-cost-usd", Money.format(c.costNanos()));
                degradedHeader(resp, c.exchange());
                cacheHeader(resp, c.exchange());
                json(resp, 200, out);
                metrics.overhead(requestId, System.nanoTime() - startNanos);
            }
            case Outcome.Streamed s -> stream(resp, face, s, chat);
            case Outcome.Failed f -> fail(resp, face, f.error(), requestId);
        }
    }

    private static String servedName(String providerModel, Exchange ex) {
        return providerModel == null || providerModel.isBlank() ? ex.clientModel() : providerModel;
    }

    private static void degradedHeader(HttpServerResponse resp, Exchange ex) {
        for (String d : ex.decisions()) {
            if (d.startsWith("degrade:")) {
                resp.putHeader("x-tokenrt-degraded-from", ex.clientModel());
            }
        }
    }

    /** {@code x-tokenrt-cache: HIT | SEMANTIC | MISS | BYPASS}: how the response cache took part. */
    private static void cacheHeader(HttpServerResponse resp, Exchange ex) {
        resp.putHeader("x-tokenrt-cache", ex.cache().name());
    }

    /**
     * Pulls the stream on this virtual thread and writes each event as it comes, respecting the socket's
     * back-pressure. A client that goes away closes the stream: the upstream call is cancelled and what was
     * generated so far is recorded.
     */
    private void stream(HttpServerResponse resp, ClientFace face, Outcome.Streamed s, ChatRequest chat) {
        EventStream events = s.events();
        AtomicBoolean gone = new AtomicBoolean();
        resp.closeHandler(v -> {
            if (gone.compareAndSet(false, true)) {
                events.close();
            }
        });
        resp.setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no");
        degradedHeader(resp, s.exchange());
        cacheHeader(resp, s.exchange());
        resp.setStatusCode(200);
        ClientFace.StreamWriter writer = null;
        try {
            while (!gone.get()) {
                Optional<ChatEvent> ev = events.next();
                if (ev.isEmpty()) {
                    break;
                }
                if (writer == null) {
                    String served = ev.get() instanceof ChatEvent.Start start ? start.model() : "";
                    writer = face.stream(chat, servedName(served, s.exchange()));
                }
                for (String frame : writer.frames(ev.get())) {
                    write(resp, frame);
                }
            }
            if (!gone.get()) {
                if (writer == null) {
                    writer = face.stream(chat, s.exchange().clientModel());
                }
                for (String frame : writer.end()) {
                    write(resp, frame);
                }
                resp.end();
            }
        } catch (UpstreamException e) {
            if (!gone.get()) {
                if (writer == null) {
                    writer = face.stream(chat, s.exchange().clientModel());
                }
                write(resp, writer.error(GatewayError.of(e.isTimeout() ? GatewayError.Kind.TIMEOUT : GatewayError.Kind.UPSTREAM,
                        "The upstream stream failed: " + e.getMessage())));
                resp.end();
            }
        } catch (RuntimeException e) {
            LOG.warn("stream {} failed", s.exchange().requestId(), e);
            events.close();
            if (!gone.get()) {
                resp.reset();
            }
        } finally {
            if (gone.get()) {
                events.close();
            }
        }
    }

    private static void write(HttpServerResponse resp, String frame) {
        if (resp.writeQueueFull()) {
            CompletableFuture<Void> drained = new CompletableFuture<>();
            resp.drainHandler(v -> drained.complete(null));
            resp.closeHandler(v -> drained.complete(null));
            if (resp.writeQueueFull()) {
                drained.join();
            }
        }
        resp.write(frame);
    }

    // ---------------------------------------------------------------- count tokens

    private void countTokens(HttpServerRequest req, Buffer body) {
        Optional<JsonNode> json = parseJson(body);
        if (json.isEmpty()) {
            fail(req.response(), anthropic, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    "The request body is not a JSON object."), "");
            return;
        }
        ObjectNode withMax = ((ObjectNode) json.get()).deepCopy();
        if (!withMax.has("max_tokens")) {
            withMax.put("max_tokens", 1); // count_tokens takes no max_tokens; the messages parser requires one
        }
        ChatRequest chat;
        try {
            chat = anthropic.parse(withMax);
        } catch (ClientFace.BadRequest e) {
            fail(req.response(), anthropic, GatewayError.of(GatewayError.Kind.INVALID_REQUEST, e.getMessage())
                    .withParam(e.param), "");
            return;
        }
        try {
            long n = counting.prompt(chat, chat.model()).tokens();
            json(req.response(), 200, JSON.createObjectNode().put("input_tokens", n));
        } catch (IllegalArgumentException e) {
            fail(req.response(), anthropic, GatewayError.of(GatewayError.Kind.NOT_FOUND, e.getMessage()).withParam("model"), "");
        }
    }

    // ---------------------------------------------------------------- writing

    static void json(HttpServerResponse resp, int status, JsonNode body) {
        resp.setStatusCode(status).putHeader("content-type", "application/json").end(jsonBuffer(body, 1024));
    }

    /**
     * The JSON in {@code body}, read by Jackson straight from the buffer: {@code readTree(body.getBytes())} first
     * copied the whole body into a new array (a request's or an answer's size, every request; a tenth of what the
     * bare proxy allocated a request). Jackson reads through its own recycled 8 kB buffer instead. The stream is
     * written here: Vert.x 5 hands out the Netty buffer (for Netty's {@code ByteBufInputStream}) only through its
     * internal API.
     *
     * @return the tree; a {@code MissingNode} or null for an empty body, as {@code readTree} gives them
     */
    static JsonNode readTree(Buffer body) throws java.io.IOException {
        return JSON.readTree(new java.io.InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < body.length() ? body.getByte(pos++) & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = Math.min(len, body.length() - pos);
                if (n <= 0) {
                    return len == 0 ? 0 : -1;
                }
                body.getBytes(pos, pos + n, b, off);
                pos += n;
                return n;
            }

            @Override
            public int available() {
                return body.length() - pos;
            }
        });
    }

    /**
     * {@code node} as JSON, written by Jackson straight into a Vert.x buffer of {@code sizeHint} bytes (it grows
     * past that if it must). {@code Buffer.buffer(JSON.writeValueAsBytes(node))} gathered the JSON in a list of
     * segments, joined them into one array and copied that again into the buffer: for a 20,000-token prompt (~80 kB)
     * sent upstream those copies were about 5 % of the gateway's CPU (JFR, chat-large at 250 requests/s). Long
     * strings are written by {@link LongStrings}: Jackson's own loop took 285 µs for that prompt, it takes 91.
     */
    static Buffer jsonBuffer(JsonNode node, int sizeHint) {
        Buffer out = Buffer.buffer(sizeHint);
        try (java.io.OutputStream stream = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                out.appendByte((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                out.appendBytes(b, off, len);
            }
        }; LongStrings generator = new LongStrings(JSON.createGenerator(stream))) {
            JSON.writeTree(generator, node);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static void fail(HttpServerResponse resp, ClientFace face, GatewayError error, String requestId) {
        if (resp.ended() || resp.headWritten()) {
            return;
        }
        if (!requestId.isEmpty()) {
            resp.putHeader("x-tokenrt-request-id", requestId);
        }
        error.retryAfter().ifPresent(d -> resp.putHeader("retry-after", Long.toString(Math.max(1, (d.toMillis() + 999) / 1000))));
        json(resp, error.status(), face.error(error));
    }

    /** Stops accepting, lets requests in flight finish (up to the grace period), then flushes the ledger. */
    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the HTTP server: {}", e.toString());
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        caches.close();
        runtime.close();
        keys.close();
        budgets.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing Vert.x: {}", e.toString());
        }
    }
}
