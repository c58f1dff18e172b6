package dev.tokenrt.cache;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.Interceptor;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response cache in the pipeline. It runs after routing and counting and before rate limits and budgets
 * (TokenRuntime's first {@code beforeCall} step), so its key names the model that would answer, and a hit
 * spends neither budget nor rate limit: nothing is bought.
 *
 * <p><b>Lookup.</b> A request is looked up when it is cacheable (by default deterministic: temperature 0 or a
 * seed) and its {@code Cache-Control} allows; first by its exact key ({@link RequestFingerprint}) in its
 * namespace ({@link Isolation}), then, when a semantic stage is configured, by the meaning of its last user turn
 * among entries of an identical context. A hit is answered at once: as a complete response, or replayed as a
 * well-formed stream to a streaming client; the exchange says {@code HIT} or {@code SEMANTIC}, so accounting
 * records what it saved instead of what it spent.
 *
 * <p><b>Miss.</b> Identical requests already in flight are not sent again: the first leads, the others wait for
 * its answer ({@link SingleFlight}). The answer is stored when it ended normally (a streamed one once its last
 * event has passed; a partial stream never), under the key of the request as it finally reached the provider:
 * a budget may have clamped {@code max_tokens} or degraded the model on the way, and an answer is only ever
 * stored under the request that produced it.
 *
 * <p><b>Verification.</b> When the semantic policy asks to check a would-be hit, the request goes upstream as a
 * miss, and the fresh answer is compared with the cached one to teach the policy; the client gets the fresh one.
 */
public final class CacheStep implements Interceptor {

    private static final Logger LOG = LoggerFactory.getLogger(CacheStep.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final ResponseCache cache;
    private final CacheSettings settings;
    private final Clock clock;
    private final TokenCounting counting;
    private final Optional<SemanticStage> semantic;
    private final Optional<FlightCoordinator> coordinator;
    private final SingleFlight flights = new SingleFlight();
    /** Semantic indexing and verification embed text: off the request path, bounded, dropped when full. */
    private final ThreadPoolExecutor background;
    private final AtomicLong lastQuietLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS - 1);

    public CacheStep(ResponseCache cache, CacheSettings settings, Clock clock, TokenCounting counting,
            Optional<SemanticStage> semantic) {
        this(cache, settings, clock, counting, semantic, Optional.empty());
    }

    /**
     * @param coordinator single flight across replicas (the Redis layer); empty: single flight in this process only
     */
    public CacheStep(ResponseCache cache, CacheSettings settings, Clock clock, TokenCounting counting,
            Optional<SemanticStage> semantic, Optional<FlightCoordinator> coordinator) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.counting = Objects.requireNonNull(counting, "counting");
        this.semantic = Objects.requireNonNull(semantic, "semantic");
        this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
        this.background = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "tokenrt-semantic-index");
            t.setDaemon(true);
            return t;
        });
    }

    public ResponseCache cache() {
        return cache;
    }

    public Optional<SemanticStage> semantic() {
        return semantic;
    }

    /** Whether {@code request} may be cached at all under these settings. */
    public boolean cacheable(ChatRequest request) {
        if (!settings.deterministicOnly()) {
            return true;
        }
        return request.seed().isPresent() || request.temperature().map(t -> t == 0.0).orElse(false);
    }

    @Override
    public Outcome intercept(Chain chain) {
        Exchange ex = chain.exchange();
        if (ex.route().isEmpty() || !cacheable(ex.request())) {
            return chain.proceed(ex);
        }
        CacheControl cc = CacheControl.parse(ex.header("cache-control"));
        Exchange.Route route = ex.route().get();
        String ns = settings.isolation().namespace(ex.attribution());
        CacheKey key = new CacheKey(ns, RequestFingerprint.exact(ex.request(), route.provider(), route.upstreamModel()));
        Duration ttl = cc.maxAge().filter(a -> a.compareTo(settings.ttl(ns)) < 0).orElse(settings.ttl(ns));
        if (!cc.lookupAllowed()) {
            return upstream(chain, ex.withCache(CacheOutcome.BYPASS), key, ttl, cc, null, null);
        }
        Instant now = clock.instant();
        Optional<CachedResponse> hit = lookup(key, now, cc);
        if (hit.isPresent()) {
            return serve(ex.withCache(CacheOutcome.HIT), hit.get());
        }
        Verification verify = null;
        if (semantic.isPresent()) {
            Optional<SemanticStage.Candidate> c = findSemantic(ns, ex, route, now);
            if (c.isPresent()) {
                Optional<CachedResponse> stored = cache.get(c.get().entry(), now);
                Optional<CachedResponse> answer = stored.filter(v -> cc.maxAge().map(a -> v.age(now).compareTo(a) <= 0)
                        .orElse(true));
                if (stored.isEmpty()) {
                    // Its answer expired or was invalidated: the vector points nowhere now.
                    SemanticStage.Candidate gone = c.get();
                    background(() -> semantic.get().stale(gone), "cleanup");
                } else if (answer.isPresent()) {
                    String score = String.format(Locale.ROOT, "%.3f", c.get().similarity());
                    if (!c.get().verify()) {
                        return serve(ex.withCache(CacheOutcome.SEMANTIC).withDecision("semantic:" + score), answer.get());
                    }
                    verify = new Verification(c.get(), answer.get());
                    ex = ex.withDecision("semantic_verify:" + score);
                }
            }
        }
        SingleFlight.Lead lead = null;
        if (!settings.singleFlightWait().isZero()) {
            SingleFlight.Role role = flights.join(key);
            if (role instanceof SingleFlight.Follow f) {
                Optional<CachedResponse> answer = f.await(settings.singleFlightWait())
                        .filter(a -> !a.expiredAt(clock.instant()));
                if (answer.isPresent()) {
                    return serve(ex.withCache(CacheOutcome.HIT).withDecision("single_flight"), answer.get());
                }
            } else {
                lead = (SingleFlight.Lead) role;
                Optional<CachedResponse> answer = awaitOtherReplica(key, cc);
                if (answer.isPresent()) {
                    lead.finish(answer);
                    return serve(ex.withCache(CacheOutcome.HIT).withDecision("single_flight"), answer.get());
                }
            }
        }
        return upstream(chain, ex.withCache(CacheOutcome.MISS), key, ttl, cc, lead, verify);
    }

    /**
     * This replica leads the key's flight locally; if another replica leads it in the shared layer, waits (polling
     * the cache, up to the single-flight wait) for its answer. Empty when this replica should go upstream: it
     * now leads, the other flight ended without an answer, the wait ran out, or the coordinator failed.
     */
    private Optional<CachedResponse> awaitOtherReplica(CacheKey key, CacheControl cc) {
        if (coordinator.isEmpty()) {
            return Optional.empty();
        }
        FlightCoordinator fc = coordinator.get();
        try {
            if (fc.tryLead(key, settings.singleFlightWait())) {
                return Optional.empty();
            }
            long deadline = System.nanoTime() + settings.singleFlightWait().toNanos();
            long pause = 5;
            while (System.nanoTime() < deadline) {
                Thread.sleep(pause);
                pause = Math.min(100, pause * 2);
                Optional<CachedResponse> v = lookup(key, clock.instant(), cc);
                if (v.isPresent()) {
                    return v;
                }
                if (!fc.inFlight(key)) {
                    return lookup(key, clock.instant(), cc);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            quietFailure("single flight across replicas", e);
        }
        return Optional.empty();
    }

    private record Verification(SemanticStage.Candidate candidate, CachedResponse cached) {
    }

    private Optional<CachedResponse> lookup(CacheKey key, Instant now, CacheControl cc) {
        Optional<CachedResponse> v = cache.get(key, now);
        if (v.isPresent() && cc.maxAge().isPresent() && v.get().age(now).compareTo(cc.maxAge().get()) > 0) {
            return Optional.empty();
        }
        return v;
    }

    private Optional<SemanticStage.Candidate> findSemantic(String ns, Exchange ex, Exchange.Route route, Instant now) {
        try {
            return semantic.get().find(ns, ex.request(), route.provider(), route.upstreamModel(), now);
        } catch (RuntimeException e) {
            quietFailure("semantic lookup", e);
            return Optional.empty();
        }
    }

    private static Outcome serve(Exchange ex, CachedResponse entry) {
        ChatResponse r = entry.response();
        if (ex.request().stream()) {
            return new Outcome.Streamed(new ReplayStream(r), ex);
        }
        return new Outcome.Complete(r, ex, true);
    }

    /** Goes upstream, then stores what comes back (at the end of a stream) and tells followers and the policy. */
    private Outcome upstream(Chain chain, Exchange ex, CacheKey lookupKey, Duration ttl, CacheControl cc,
            SingleFlight.Lead lead, Verification verify) {
        Outcome out;
        try {
            out = chain.proceed(ex);
        } catch (RuntimeException e) {
            finish(lead, Optional.empty());
            throw e;
        }
        return switch (out) {
            case Outcome.Complete c -> {
                answered(ex, c.exchange(), lookupKey, c.response(), c.usageReported(), ttl, cc, lead, verify);
                yield c;
            }
            case Outcome.Streamed s -> new Outcome.Streamed(new CapturingStream(s.events(), new CapturingStream.Sink() {
                @Override
                public void complete(ChatResponse response, boolean usageReported) {
                    answered(ex, s.exchange(), lookupKey, response, usageReported, ttl, cc, lead, verify);
                }

                @Override
                public void abandoned() {
                    finish(lead, Optional.empty());
                }
            }), s.exchange());
            case Outcome.Failed f -> {
                finish(lead, Optional.empty());
                yield f;
            }
        };
    }

    /**
     * A complete answer came back from upstream: store it if it may be, and hand it on. Never throws. It is stored
     * under the key of what was finally asked ({@code fin}: a fallback, a degrade or a clamp of max_tokens changes
     * the request or its route); when nothing changed it, the lookup's key is that key, and is not hashed again
     * (for a 20,000-token prompt a second SHA-256 of 80 kB).
     */
    private void answered(Exchange looked, Exchange fin, CacheKey lookupKey, ChatResponse response,
            boolean usageReported, Duration ttl, CacheControl cc, SingleFlight.Lead lead, Verification verify) {
        Optional<CachedResponse> stored = Optional.empty();
        boolean sameKey = false;
        try {
            if (verify != null) {
                verifyLater(verify, response);
            }
            if (cc.storeAllowed() && storable(response) && fin.route().isPresent()) {
                Exchange.Route route = fin.route().get();
                CacheKey key = fin.request() == looked.request() && fin.route().equals(looked.route()) ? lookupKey
                        : new CacheKey(lookupKey.namespace(),
                                RequestFingerprint.exact(fin.request(), route.provider(), route.upstreamModel()));
                sameKey = key.equals(lookupKey);
                Instant now = clock.instant();
                ChatResponse withUsage = usageReported ? response : withEstimatedUsage(fin, response, route);
                CachedResponse entry = new CachedResponse(withUsage, route.provider(), route.upstreamModel(), now,
                        now.plus(ttl), fin.attribution().tags());
                cache.put(key, entry);
                stored = Optional.of(entry);
                rememberLater(key, fin, route, entry.expiresAt());
            }
        } catch (RuntimeException e) {
            LOG.warn("storing the answer to request {} in the cache failed: {}", fin.requestId(), e.toString());
        } finally {
            finish(lead, sameKey ? stored : Optional.empty());
        }
    }

    private void finish(SingleFlight.Lead lead, Optional<CachedResponse> answer) {
        if (lead == null) {
            return;
        }
        lead.finish(answer);
        if (answer.isEmpty() && coordinator.isPresent()) {
            // Storing the answer ends the shared flight (the Redis layer's write does); without one, end it here.
            try {
                coordinator.get().release(lead.key());
            } catch (RuntimeException e) {
                quietFailure("ending a flight across replicas", e);
            }
        }
    }

    /** Only whole answers: stopped, cut at max_tokens or calling tools; not filtered, not unknown, not empty. */
    static boolean storable(ChatResponse r) {
        if (r.stopReason() != StopReason.STOP && r.stopReason() != StopReason.LENGTH
                && r.stopReason() != StopReason.TOOL_CALLS) {
            return false;
        }
        return !r.content().isEmpty();
    }

    /** The provider reported no usage: store our own count, marked estimated, so a hit can say what it saved. */
    private ChatResponse withEstimatedUsage(Exchange fin, ChatResponse r, Exchange.Route route) {
        long in = fin.inputCount().map(c -> c.tokens())
                .orElseGet(() -> counting.prompt(fin.request(), route.upstreamModel()).tokens());
        StringBuilder generated = new StringBuilder();
        for (Part p : r.content()) {
            switch (p) {
                case Part.Text t -> generated.append(t.text());
                case Part.ToolCall t -> generated.append(t.name()).append(t.arguments());
                case Part.Thinking t -> generated.append(t.text());
                default -> { }
            }
        }
        long out = counting.completion(generated.toString(), route.upstreamModel()).tokens();
        Usage u = new Usage(in, out, 0, 0, 0, 0, UsageSource.ESTIMATED, UsageSource.ESTIMATED);
        return new ChatResponse(r.id(), r.model(), r.content(), r.stopReason(), u, r.created());
    }

    private void rememberLater(CacheKey key, Exchange fin, Exchange.Route route, Instant expiresAt) {
        if (semantic.isEmpty()) {
            return;
        }
        SemanticStage s = semantic.get();
        background(() -> s.remember(key.namespace(), fin.request(), route.provider(), route.upstreamModel(), key,
                expiresAt), "index");
    }

    private void verifyLater(Verification v, ChatResponse fresh) {
        SemanticStage s = semantic.orElseThrow();
        background(() -> s.verified(v.candidate(), v.cached().response(), fresh), "verification");
    }

    private void background(Runnable task, String what) {
        try {
            background.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    quietFailure("semantic " + what, e);
                }
            });
        } catch (RejectedExecutionException e) {
            quietFailure("semantic " + what + " (queue full, dropped)", e);
        }
    }

    /** A failure the client never sees (the answer comes from upstream instead): logged at most every 10 s. */
    private void quietFailure(String what, RuntimeException e) {
        long now = System.nanoTime();
        long last = lastQuietLog.get();
        if (now - last > LOG_EVERY_NANOS && lastQuietLog.compareAndSet(last, now)) {
            LOG.warn("cache {} failed (answers are served from upstream meanwhile): {}", what, e.toString());
        }
    }

    /** Waits until background indexing and verification queued so far are done (tests, shutdown). */
    public boolean drain(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!LayeredResponseCache.awaitIdle(background, deadline)) {
            return false;
        }
        if (cache instanceof LayeredResponseCache l) {
            return l.flush(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        return true;
    }

    /** Identical requests waiting on a leader's answer right now (for tests and metrics). */
    int flightsInProgress() {
        return flights.inFlight();
    }
}
