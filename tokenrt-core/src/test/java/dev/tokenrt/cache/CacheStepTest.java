package dev.tokenrt.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.TokenRuntime;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetStep;
import dev.tokenrt.budget.InMemoryBudgetRegistry;
import dev.tokenrt.budget.InMemoryCounterStore;
import dev.tokenrt.budget.Metric;
import dev.tokenrt.budget.Period;
import dev.tokenrt.budget.PriceLookup;
import dev.tokenrt.budget.Scope;
import dev.tokenrt.budget.TestClock;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pipeline.DefaultTokenCounting;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.Interceptor;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.PipelineTest;
import dev.tokenrt.pipeline.Router;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.provider.ProviderTransport;
import dev.tokenrt.provider.fake.FakeProvider;
import dev.tokenrt.tokens.ProviderEstimators;
import dev.tokenrt.tokens.Tokenizers;
import dev.tokenrt.usage.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The cache step inside the real runtime: real tokenizers and catalog prices, the built-in fake provider as
 * the upstream (counted), a list ledger, and a clock the test moves.
 */
class CacheStepTest {

    static final PricingCatalog CATALOG = PricingCatalog.bundled();
    static final DefaultTokenCounting COUNTING = new DefaultTokenCounting(Tokenizers.defaults(),
            ProviderEstimators.withDefaults(), CATALOG);
    static final Attribution ACME = new Attribution("key-1", "alice", "acme", "team-a", "", List.of("prod"));
    static final Attribution GLOBEX = new Attribution("key-2", "bob", "globex", "team-a", "", List.of());

    final TestClock clock = TestClock.at("2026-06-01T10:00:00Z");
    final PipelineTest.ListLedger ledger = new PipelineTest.ListLedger();

    /** The fake provider under the name "openai", counting calls, optionally held until released. */
    static final class Upstream implements ProviderTransport {
        final FakeProvider fake = new FakeProvider(COUNTING);
        final AtomicInteger calls = new AtomicInteger();
        volatile CountDownLatch gate;
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public String name() {
            return "openai";
        }

        private void pass() {
            calls.incrementAndGet();
            entered.countDown();
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public ProviderResponse complete(ChatRequest request, String upstreamModel) {
            pass();
            return fake.complete(request, upstreamModel);
        }

        @Override
        public EventStream stream(ChatRequest request, String upstreamModel) {
            pass();
            return fake.stream(request, upstreamModel);
        }
    }

    final Upstream upstream = new Upstream();

    CacheStep step(CacheSettings settings) {
        return new CacheStep(new LayeredResponseCache(List.of(new MemoryResponseCache(16L << 20, clock)),
                LayeredResponseCache.Listener.NONE), settings, clock, COUNTING, Optional.empty());
    }

    TokenRuntime runtime(CacheStep cache, Interceptor... after) {
        TokenRuntime.Builder b = TokenRuntime.builder().clock(clock).provider(upstream)
                .defaultRoute(m -> Optional.of(new Router.Target("openai", m)))
                .ledger(ledger).counting(COUNTING).pricing(new CatalogPricing(CATALOG)).beforeCall(cache);
        for (Interceptor i : after) {
            b.beforeCall(i);
        }
        return b.build();
    }

    TokenRuntime runtime() {
        return runtime(step(CacheSettings.DEFAULTS));
    }

    static ChatRequest ask(String model, String question, Optional<Double> temperature, boolean stream) {
        return new ChatRequest(model, List.of(Message.text(Role.SYSTEM, "Answer in one line."),
                Message.text(Role.USER, question)), List.of(), Optional.empty(), OptionalInt.of(40), temperature,
                Optional.empty(), List.of(), Optional.empty(), Optional.empty(), stream, stream, "", "openai.chat", null);
    }

    static ChatRequest ask(String question) {
        return ask("gpt-4o-mini", question, Optional.of(0.0), false);
    }

    Outcome run(TokenRuntime rt, ChatRequest r, Attribution a, Map<String, String> headers) {
        return rt.execute(Exchange.start(TokenRuntime.newRequestId(), r, "openai.chat", a, headers, clock.instant(),
                System.nanoTime()));
    }

    Outcome run(TokenRuntime rt, ChatRequest r) {
        return run(rt, r, ACME, Map.of());
    }

    static String text(Outcome o) {
        return ((Outcome.Complete) o).response().text();
    }

    static List<ChatEvent> drain(Outcome o) {
        EventStream s = ((Outcome.Streamed) o).events();
        List<ChatEvent> out = new ArrayList<>();
        for (Optional<ChatEvent> e = s.next(); e.isPresent(); e = s.next()) {
            out.add(e.get());
        }
        return out;
    }

    static String streamedText(List<ChatEvent> events) {
        StringBuilder sb = new StringBuilder();
        events.forEach(e -> {
            if (e instanceof ChatEvent.TextDelta t) {
                sb.append(t.text());
            }
        });
        return sb.toString();
    }

    LedgerEntry row(int i) {
        return ledger.rows.get(i);
    }

    @Test
    void aRepeatedRequestIsServedFromTheCacheAndRecordedAsASaving() {
        TokenRuntime rt = runtime();
        Outcome first = run(rt, ask("What is the capital of France?"));
        Outcome second = run(rt, ask("What is the capital of France?"));
        assertThat(upstream.calls).hasValue(1);
        assertThat(first.exchange().cache()).isEqualTo(CacheOutcome.MISS);
        assertThat(second.exchange().cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(text(second)).isEqualTo(text(first));
        Usage paid = row(0).usage();
        assertThat(paid.inputTokens()).isPositive();
        assertThat(row(0).costNanos()).isPositive();
        assertThat(((Outcome.Complete) second).costNanos()).isZero();
        assertThat(((Outcome.Complete) second).response().usage().inputTokens()).isEqualTo(paid.inputTokens());
        LedgerEntry hit = row(1);
        assertThat(hit.cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(hit.usage()).isEqualTo(Usage.NONE);
        assertThat(hit.costNanos()).isZero();
        assertThat(hit.savedCostNanos()).isEqualTo(row(0).costNanos());
        assertThat(hit.savedInputTokens()).isEqualTo(paid.inputTokens());
        assertThat(hit.savedOutputTokens()).isEqualTo(paid.outputTokens());
        assertThat(hit.modelServed()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void aHitIsReplayedAsAWellFormedStreamToAStreamingClient() {
        TokenRuntime rt = runtime();
        String answer = text(run(rt, ask("Name three colours.")));
        List<ChatEvent> events = drain(run(rt, ask("gpt-4o-mini", "Name three colours.", Optional.of(0.0), true)));
        assertThat(upstream.calls).hasValue(1);
        assertThat(events.get(0)).isInstanceOf(ChatEvent.Start.class);
        assertThat(events.get(events.size() - 2)).isInstanceOf(ChatEvent.Finish.class);
        assertThat(events.get(events.size() - 1)).isInstanceOf(ChatEvent.UsageReport.class);
        assertThat(streamedText(events)).isEqualTo(answer);
        assertThat(row(1).cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(row(1).stream()).isTrue();
        assertThat(row(1).savedOutputTokens()).isEqualTo(row(0).usage().outputTokens());
    }

    @Test
    void aStreamedAnswerIsStoredOnlyOnceItEndedNormally() {
        TokenRuntime rt = runtime();
        ChatRequest streamed = ask("gpt-4o-mini", "Count to five.", Optional.of(0.0), true);
        EventStream cut = ((Outcome.Streamed) run(rt, streamed)).events();
        cut.next();
        cut.next();
        cut.close();
        assertThat(run(rt, ask("Count to five.")).exchange().cache()).as("a partial stream is never cached")
                .isEqualTo(CacheOutcome.MISS);
        String whole = streamedText(drain(run(rt, ask("gpt-4o-mini", "Say hi.", Optional.of(0.0), true))));
        Outcome again = run(rt, ask("Say hi."));
        assertThat(again.exchange().cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(text(again)).isEqualTo(whole);
        assertThat(upstream.calls).hasValue(3);
    }

    @Test
    void sampledRequestsAreNotCachedUnlessTheConfigurationSaysSo() {
        TokenRuntime rt = runtime();
        ChatRequest sampled = ask("gpt-4o-mini", "Tell me a joke.", Optional.of(0.7), false);
        run(rt, sampled);
        Outcome o = run(rt, sampled);
        assertThat(upstream.calls).hasValue(2);
        assertThat(o.exchange().cache()).isEqualTo(CacheOutcome.BYPASS);
        ChatRequest seeded = new ChatRequest(sampled.model(), sampled.messages(), List.of(), Optional.empty(),
                sampled.maxTokens(), sampled.temperature(), Optional.empty(), List.of(), Optional.of(42L),
                Optional.empty(), false, false, "", "openai.chat", null);
        run(rt, seeded);
        assertThat(run(rt, seeded).exchange().cache()).as("a seed makes it deterministic").isEqualTo(CacheOutcome.HIT);

        TokenRuntime all = runtime(step(CacheSettings.DEFAULTS.withDeterministicOnly(false)));
        run(all, sampled);
        assertThat(run(all, sampled).exchange().cache()).isEqualTo(CacheOutcome.HIT);
    }

    @Test
    void oneTenantsAnswerNeverReachesAnother() {
        TokenRuntime rt = runtime();
        run(rt, ask("Our secret plan?"), ACME, Map.of());
        Outcome other = run(rt, ask("Our secret plan?"), GLOBEX, Map.of());
        assertThat(other.exchange().cache()).isEqualTo(CacheOutcome.MISS);
        assertThat(upstream.calls).hasValue(2);

        // Team isolation: both keys are in team-a, so they share.
        TokenRuntime team = runtime(step(CacheSettings.DEFAULTS.withIsolation(Isolation.TEAM)));
        run(team, ask("Team question"), ACME, Map.of());
        assertThat(run(team, ask("Team question"), GLOBEX, Map.of()).exchange().cache()).isEqualTo(CacheOutcome.HIT);
        // Key isolation: even one project's two keys do not share.
        TokenRuntime key = runtime(step(CacheSettings.DEFAULTS.withIsolation(Isolation.KEY)));
        Attribution sameProjectOtherKey = new Attribution("key-9", "carol", "acme", "team-a", "", List.of());
        run(key, ask("Key question"), ACME, Map.of());
        assertThat(run(key, ask("Key question"), sameProjectOtherKey, Map.of()).exchange().cache())
                .isEqualTo(CacheOutcome.MISS);
        assertThat(Isolation.PROJECT.namespace(Attribution.NONE)).isEqualTo("operator");
        assertThat(Isolation.PROJECT.namespace(new Attribution("k7", "", "", "", "", List.of()))).isEqualTo("key:k7");
    }

    @Test
    void cacheControlNoCacheSkipsTheLookupButStores() {
        TokenRuntime rt = runtime();
        Outcome o = run(rt, ask("Fresh, please."), ACME, Map.of("cache-control", "no-cache"));
        assertThat(o.exchange().cache()).isEqualTo(CacheOutcome.BYPASS);
        assertThat(run(rt, ask("Fresh, please."), ACME, Map.of("cache-control", "no-cache")).exchange().cache())
                .isEqualTo(CacheOutcome.BYPASS);
        assertThat(upstream.calls).hasValue(2);
        assertThat(run(rt, ask("Fresh, please.")).exchange().cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(row(0).cache()).isEqualTo(CacheOutcome.BYPASS);
    }

    @Test
    void cacheControlNoStoreKeepsTheAnswerOut() {
        TokenRuntime rt = runtime();
        run(rt, ask("Private."), ACME, Map.of("cache-control", "no-store"));
        assertThat(run(rt, ask("Private.")).exchange().cache()).isEqualTo(CacheOutcome.MISS);
        assertThat(run(rt, ask("Private."), ACME, Map.of("cache-control", "no-store")).exchange().cache())
                .as("no-store still lets a stored answer be served").isEqualTo(CacheOutcome.HIT);
    }

    @Test
    void maxAgeBoundsTheAgeOfWhatIsServedAndTheLifeOfWhatIsStored() {
        TokenRuntime rt = runtime();
        run(rt, ask("Weather now?"));
        clock.advance(Duration.ofSeconds(61));
        assertThat(run(rt, ask("Weather now?"), ACME, Map.of("cache-control", "max-age=60")).exchange().cache())
                .isEqualTo(CacheOutcome.MISS);
        // That miss stored a fresh answer for 60 s only (not the default hour).
        clock.advance(Duration.ofSeconds(30));
        assertThat(run(rt, ask("Weather now?")).exchange().cache()).isEqualTo(CacheOutcome.HIT);
        clock.advance(Duration.ofSeconds(31));
        assertThat(run(rt, ask("Weather now?")).exchange().cache())
                .as("the older entry was replaced by the 60 s one, which has expired").isEqualTo(CacheOutcome.MISS);
        assertThat(CacheControl.parse(Optional.of("max-age=0"))).isEqualTo(new CacheControl(true, false,
                Optional.of(Duration.ZERO)));
        assertThat(CacheControl.parse(Optional.of("No-Store, max-age=\"abc\", private")))
                .isEqualTo(new CacheControl(false, true, Optional.empty()));
    }

    @Test
    void entriesExpireAfterTheNamespacesTtl() {
        CacheSettings s = new CacheSettings(Isolation.PROJECT, Duration.ofHours(1),
                Map.of("project:acme", Duration.ofMinutes(5)), true, Duration.ofSeconds(10));
        TokenRuntime rt = runtime(step(s));
        run(rt, ask("Short-lived"));
        run(rt, ask("Short-lived"), GLOBEX, Map.of());
        clock.advance(Duration.ofMinutes(6));
        assertThat(run(rt, ask("Short-lived")).exchange().cache()).isEqualTo(CacheOutcome.MISS);
        assertThat(run(rt, ask("Short-lived"), GLOBEX, Map.of()).exchange().cache()).isEqualTo(CacheOutcome.HIT);
    }

    @Test
    void identicalRequestsInFlightTogetherMakeOneUpstreamCall() throws Exception {
        TokenRuntime rt = runtime();
        upstream.gate = new CountDownLatch(1);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<Outcome>> all = new ArrayList<>();
            all.add(pool.submit(() -> run(rt, ask("Slow question"))));
            assertThat(upstream.entered.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 7; i++) {
                boolean streamed = i % 2 == 0;
                all.add(pool.submit(() -> run(rt, ask("gpt-4o-mini", "Slow question", Optional.of(0.0), streamed))));
            }
            Thread.sleep(200); // let the followers reach the flight
            upstream.gate.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : all) {
                outcomes.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(upstream.calls).hasValue(1);
            String answer = text(outcomes.get(0));
            for (Outcome o : outcomes.subList(1, outcomes.size())) {
                assertThat(o.exchange().cache()).isEqualTo(CacheOutcome.HIT);
                assertThat(o.exchange().decisions()).contains("single_flight");
                assertThat(o instanceof Outcome.Streamed s ? streamedText(drain(s)) : text(o)).isEqualTo(answer);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailureIsNeverStoredAndTheNextRequestGoesUpstream() {
        ProviderTransport failing = new ProviderTransport() {
            final AtomicInteger n = new AtomicInteger();

            @Override
            public String name() {
                return "openai";
            }

            @Override
            public ProviderResponse complete(ChatRequest request, String upstreamModel) {
                if (n.getAndIncrement() == 0) {
                    throw new dev.tokenrt.pipeline.UpstreamException(500, "boom", "", Optional.empty(), false, null);
                }
                return upstream.complete(request, upstreamModel);
            }

            @Override
            public EventStream stream(ChatRequest request, String upstreamModel) {
                throw new UnsupportedOperationException();
            }
        };
        TokenRuntime rt2 = TokenRuntime.builder().clock(clock).provider(failing,
                new dev.tokenrt.pipeline.RetryPolicy(0, Duration.ZERO, Duration.ZERO))
                .defaultRoute(m -> Optional.of(new Router.Target("openai", m))).ledger(ledger).counting(COUNTING)
                .pricing(new CatalogPricing(CATALOG)).beforeCall(step(CacheSettings.DEFAULTS)).build();
        assertThat(run(rt2, ask("Fails once"))).isInstanceOf(Outcome.Failed.class);
        assertThat(run(rt2, ask("Fails once")).exchange().cache()).isEqualTo(CacheOutcome.MISS);
        assertThat(run(rt2, ask("Fails once")).exchange().cache()).isEqualTo(CacheOutcome.HIT);
    }

    /**
     * A budget that degrades gpt-4o to gpt-4o-mini: the cheaper model's answer is stored under the request that
     * produced it (gpt-4o-mini), so a later request for gpt-4o with room in its budget is never served it.
     */
    @Test
    void aDegradedAnswerIsStoredUnderTheModelThatGaveIt() {
        InMemoryBudgetRegistry registry = new InMemoryBudgetRegistry();
        // gpt-4o at 2.50/10.00 USD per million: ~20 prompt tokens + 40 output cost ~450,000 nano-USD at worst;
        // the limit buys too little gpt-4o output to clamp, and plenty of gpt-4o-mini.
        registry.create(Budget.degrading("acme-day", Scope.PROJECT, "acme", Period.DAY, Metric.COST_USD, 150_000,
                "gpt-4o-mini"));
        BudgetStep budget = BudgetStep.builder().budgets(registry).counters(new InMemoryCounterStore(clock))
                .prices(PriceLookup.of(new CatalogPricing(CATALOG))).counting(COUNTING).clock(clock).build();
        CacheStep cache = step(CacheSettings.DEFAULTS);
        TokenRuntime rt = runtime(cache, budget);
        ChatRequest big = ask("gpt-4o", "Summarise the plot of Hamlet.", Optional.of(0.0), false);
        Outcome degraded = run(rt, big);
        assertThat(degraded.exchange().decisions()).anyMatch(d -> d.startsWith("degrade:"));
        assertThat(row(0).modelServed()).isEqualTo("gpt-4o-mini");

        TokenRuntime roomy = runtime(cache);
        Outcome forBig = run(roomy, big);
        assertThat(forBig.exchange().cache()).as("gpt-4o's request is not served gpt-4o-mini's answer")
                .isEqualTo(CacheOutcome.MISS);
        assertThat(row(1).modelServed()).isEqualTo("gpt-4o");
        Outcome forSmall = run(roomy, ask("gpt-4o-mini", "Summarise the plot of Hamlet.", Optional.of(0.0), false));
        assertThat(forSmall.exchange().cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(text(forSmall)).isEqualTo(text(degraded));
    }

    @Test
    void layersFillUpwardsAndInvalidationReachesThemAll() {
        MemoryResponseCache l1 = new MemoryResponseCache(1 << 20, clock);
        MemoryResponseCache l2 = new MemoryResponseCache(1 << 20, clock);
        LayeredResponseCache layered = new LayeredResponseCache(List.of(l1, l2), LayeredResponseCache.Listener.NONE);
        TokenRuntime rt = runtime(new CacheStep(layered, CacheSettings.DEFAULTS, clock, COUNTING, Optional.empty()));
        run(rt, ask("Layered?"));
        assertThat(layered.flush(5_000)).isTrue();
        assertThat(l2.size()).isEqualTo(1);
        l1.invalidate(Invalidation.ALL);
        assertThat(run(rt, ask("Layered?")).exchange().cache()).isEqualTo(CacheOutcome.HIT);
        assertThat(l1.size()).as("the hit in L2 filled L1").isEqualTo(1);
        assertThat(layered.invalidate(Invalidation.namespace("project:acme").withTag("prod"))).isEqualTo(1);
        assertThat(l1.size() + l2.size()).isZero();
        assertThat(run(rt, ask("Layered?")).exchange().cache()).isEqualTo(CacheOutcome.MISS);
    }

    @Test
    void aFailingLayerIsAMissNotAnError() {
        ResponseCache broken = new ResponseCache() {
            @Override
            public String name() {
                return "redis";
            }

            @Override
            public Optional<CachedResponse> get(CacheKey key, java.time.Instant now) {
                throw new CacheLayerException("connection refused");
            }

            @Override
            public void put(CacheKey key, CachedResponse value) {
                throw new CacheLayerException("connection refused");
            }

            @Override
            public long invalidate(Invalidation which) {
                throw new CacheLayerException("connection refused");
            }
        };
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        LayeredResponseCache layered = new LayeredResponseCache(List.of(broken), new LayeredResponseCache.Listener() {
            @Override
            public void failed(String layer, String operation, RuntimeException e) {
                failures.add(layer + ":" + operation);
            }
        });
        TokenRuntime rt = runtime(new CacheStep(layered, CacheSettings.DEFAULTS, clock, COUNTING, Optional.empty()));
        assertThat(run(rt, ask("Still answered"))).isInstanceOf(Outcome.Complete.class);
        assertThat(run(rt, ask("Still answered"))).isInstanceOf(Outcome.Complete.class);
        assertThat(upstream.calls).hasValue(2);
        assertThat(failures).contains("redis:get", "redis:put");
    }
}
