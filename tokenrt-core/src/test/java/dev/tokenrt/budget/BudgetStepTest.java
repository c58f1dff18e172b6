package dev.tokenrt.budget;

import static dev.tokenrt.budget.BudgetFixtures.CHARS;
import static dev.tokenrt.budget.BudgetFixtures.PRICES;
import static dev.tokenrt.budget.BudgetFixtures.attribution;
import static dev.tokenrt.budget.BudgetFixtures.exchange;
import static dev.tokenrt.budget.BudgetFixtures.response;
import static dev.tokenrt.budget.BudgetFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.BudgetFixtures.ScriptedStream;
import dev.tokenrt.budget.BudgetFixtures.SpyStore;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.State;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.Pipeline;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BudgetStepTest {

    static final Attribution ACME_ALICE = attribution("key-1", "alice", "acme");
    static final long IN = 1000;   // nano-USD per input token on BIG
    static final long OUT = 4000;  // nano-USD per output token on BIG
    static final long PROMPT_TOKENS = BudgetFixtures.PROMPT.length(); // CHARS counts one token a character

    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");
    SpyStore store = new SpyStore(new InMemoryCounterStore(clock));
    InMemoryBudgetRegistry registry = new InMemoryBudgetRegistry();
    List<Duration> sleeps = new ArrayList<>();
    Runnable onSleep = () -> { };
    List<BudgetAlert> alerts = new CopyOnWriteArrayList<>();
    List<Exchange> upstream = new ArrayList<>();
    ThresholdAlerts thresholds = new ThresholdAlerts(List.of(alerts::add), clock);

    BudgetStep.Builder step() {
        return BudgetStep.builder().budgets(registry).counters(store).prices(PRICES).counting(CHARS).clock(clock)
                .sleeper(d -> {
                    sleeps.add(d);
                    clock.advance(d);
                    onSleep.run();
                })
                .alerts(thresholds);
    }

    /** Runs the exchange through the step and a terminal that records what reached it and answers. */
    Outcome run(BudgetStep s, Exchange ex, Function<Exchange, Outcome> answer) {
        return Pipeline.builder().add(s).add(chain -> {
            upstream.add(chain.exchange());
            return answer.apply(chain.exchange());
        }).build().execute(ex);
    }

    Outcome run(Exchange ex, Function<Exchange, Outcome> answer) {
        return run(step().build(), ex, answer);
    }

    static Function<Exchange, Outcome> complete(Usage usage) {
        return e -> new Outcome.Complete(response("ok", usage), e, true);
    }

    static Exchange big(int maxTokens) {
        return exchange("big", OptionalInt.of(maxTokens), ACME_ALICE, false);
    }

    static String key(Budget b, Instant now) {
        return "b:" + b.id() + ":" + b.period().window(now, java.time.ZoneOffset.UTC).keyPart();
    }

    State state(Budget b) {
        return store.state(key(b, clock.instant()));
    }

    @AfterEach
    void everyHoldIsClosedExactlyOnce() {
        assertThat(store.allClosedExactlyOnce()).as("holds %s", store.finishes).isTrue();
    }

    // ------------------------------------------------------------ reserve and settle

    @Test
    void reservesTheExactWorstCaseAndSettlesToTheActualCost() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        Outcome o = run(big(100), complete(Usage.of(11, 20)));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(store.reserves).singleElement().satisfies(holds -> assertThat(holds).containsExactly(
                new Hold(key(b, clock.instant()), 10_000_000, 11 * IN + 100 * OUT,
                        Instant.parse("2026-05-15T00:00:00Z"))));
        assertThat(state(b)).isEqualTo(new State(11 * IN + 20 * OUT, 0));
    }

    // ------------------------------------------------------------ the prompt's free upper bound

    /** The same request as {@link #big}, as it reaches the step when no earlier step counted it. */
    static Exchange uncounted(int maxTokens) {
        return BudgetFixtures.uncounted(big(maxTokens));
    }

    /** CHARS, counting how often it is asked for a prompt. */
    static final class CountingSpy implements dev.tokenrt.pipeline.TokenCounting {
        final java.util.concurrent.atomic.AtomicInteger prompts = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public TokenCount prompt(dev.tokenrt.chat.ChatRequest request, String model) {
            prompts.incrementAndGet();
            return CHARS.prompt(request, model);
        }

        @Override
        public TokenCount completion(String text, String model) {
            return CHARS.completion(text, model);
        }
    }

    @Test
    void aPlainPromptWithRoomToSpareIsHeldAtItsByteBoundAndNeverCounted() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        CountingSpy counting = new CountingSpy();
        Exchange ex = uncounted(100);
        long bound = dev.tokenrt.tokens.PromptBound.plainText(ex.request()).orElseThrow();
        assertThat(bound).isGreaterThan(PROMPT_TOKENS);

        Outcome o = run(step().counting(counting).build(), ex, complete(Usage.of(11, 20)));

        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(counting.prompts).hasValue(0);
        assertThat(store.reserves).singleElement().satisfies(holds -> assertThat(holds).extracting(Hold::amount)
                .containsExactly(bound * IN + 100 * OUT));
        assertThat(state(b)).isEqualTo(new State(11 * IN + 20 * OUT, 0));
    }

    @Test
    void whenTheBoundDoesNotFitThePromptIsCountedOnceAndTheExactFigureDecides() {
        long exactWorst = PROMPT_TOKENS * IN + 100 * OUT;
        Exchange ex = uncounted(100);
        long boundWorst = dev.tokenrt.tokens.PromptBound.plainText(ex.request()).orElseThrow() * IN + 100 * OUT;
        long limit = (exactWorst + boundWorst) / 2; // the exact worst case fits, the bound's does not
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, limit, Action.DENY);
        registry.put(b);
        CountingSpy counting = new CountingSpy();

        Outcome o = run(step().counting(counting).build(), ex, complete(Usage.of(11, 20)));

        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(counting.prompts).hasValue(1);
        assertThat(store.reserves).extracting(holds -> holds.getFirst().amount()).containsExactly(boundWorst, exactWorst);
        assertThat(upstream).singleElement().satisfies(e -> {
            assertThat(e.inputCount()).contains(TokenCount.exact(PROMPT_TOKENS));
            assertThat(e.request().maxTokens()).hasValue(100); // not clamped: the exact figure fits whole
        });
        assertThat(state(b)).isEqualTo(new State(11 * IN + 20 * OUT, 0));
    }

    @Test
    void whenEvenTheExactFigureDoesNotFitTheClampIsComputedFromIt() {
        long exactInput = PROMPT_TOKENS * IN;
        long limit = exactInput + 50 * OUT; // room for 50 output tokens on the exact count
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, limit, Action.DENY);
        registry.put(b);

        Outcome o = run(step().counting(new CountingSpy()).build(), uncounted(100), complete(Usage.of(11, 20)));

        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(upstream).singleElement().satisfies(e -> assertThat(e.request().maxTokens()).hasValue(50));
    }

    @Test
    void withoutMaxTokensTheModelsMaximumOutputIsReserved() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        run(exchange("big", OptionalInt.empty(), ACME_ALICE, false), complete(Usage.of(11, 1)));
        assertThat(store.reserves.get(0).get(0).amount()).isEqualTo(11 * IN + 1000 * OUT);
        assertThat(upstream.get(0).request().maxTokens()).isEmpty();
    }

    @Test
    void withoutAnyKnownMaximumTheStepSetsMaxTokensItself() {
        registry.put(Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 100_000_000, Action.DENY));
        run(step().defaultMaxOutputTokens(2048).build(), exchange("nomax", OptionalInt.empty(), ACME_ALICE, false),
                complete(Usage.of(11, 1)));
        assertThat(store.reserves.get(0).get(0).amount()).isEqualTo(11 * IN + 2048 * OUT);
        assertThat(upstream.get(0).request().maxTokens()).hasValue(2048);
        assertThat(upstream.get(0).decisions()).contains("clamp:max_tokens=2048");
    }

    @Test
    void aRequestCountAloneNeedsNoOutputBound() {
        registry.put(Budget.of("acme-rpd", Scope.TEAM, "acme", Period.DAY, Metric.REQUESTS, 100, Action.DENY));
        run(exchange("nomax", OptionalInt.empty(), ACME_ALICE, false), complete(Usage.of(11, 1)));
        assertThat(upstream.get(0).request().maxTokens()).isEmpty();
        assertThat(store.reserves.get(0).get(0).amount()).isEqualTo(1);
    }

    @Test
    void anEstimatedPromptCountIsHeldWithAMargin() {
        Budget b = Budget.of("acme-tokens", Scope.TEAM, "acme", Period.DAY, Metric.TOKENS, 1_000_000, Action.DENY);
        registry.put(b);
        Exchange ex = big(100).withInputCount(TokenCount.estimated(200));
        run(ex, complete(Usage.of(190, 40)));
        assertThat(store.reserves.get(0).get(0).amount()).isEqualTo(220 + 100);
        assertThat(state(b)).isEqualTo(new State(230, 0));
    }

    @Test
    void unreportedUsageSettlesAtTheLocalCount() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        run(big(100), e -> new Outcome.Complete(response("four", Usage.NONE), e, false));
        assertThat(state(b)).isEqualTo(new State(11 * IN + 4 * OUT, 0));
    }

    @Test
    void everyScopeTheRequestBelongsToIsChargedAndTheTightestOneDecides() {
        Budget global = Budget.of("all", Scope.GLOBAL, "", Period.MONTH, Metric.COST_USD, 1_000_000_000, Action.DENY);
        Budget team = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        Budget user = Budget.of("alice-req", Scope.USER, "alice", Period.HOUR, Metric.REQUESTS, 1, Action.DENY);
        Budget other = Budget.of("globex", Scope.TEAM, "globex", Period.DAY, Metric.COST_USD, 1, Action.DENY);
        registry.put(global).put(team).put(user).put(other);
        run(big(100), complete(Usage.of(11, 20)));
        long cost = 11 * IN + 20 * OUT;
        assertThat(state(global)).isEqualTo(new State(cost, 0));
        assertThat(state(team)).isEqualTo(new State(cost, 0));
        assertThat(state(user)).isEqualTo(new State(1, 0));
        assertThat(state(other)).isEqualTo(new State(0, 0));

        // The second request fails on alice's request budget: nothing is held on the others meanwhile.
        Outcome o = run(big(100), complete(Usage.of(11, 20)));
        assertThat(o).isInstanceOf(Outcome.Failed.class);
        assertThat(((Outcome.Failed) o).error().message()).contains("'alice-req'", "user 'alice'");
        assertThat(state(global)).isEqualTo(new State(cost, 0));
        assertThat(state(team)).isEqualTo(new State(cost, 0));
        assertThat(upstream).hasSize(1);
    }

    @Test
    void aBudgetForEachMemberCountsEveryMemberSeparately() {
        Budget each = Budget.of("per-user", Scope.USER, Budget.EACH, Period.DAY, Metric.REQUESTS, 1, Action.DENY);
        registry.put(each);
        Exchange alice = big(100);
        Exchange bob = exchange("big", OptionalInt.of(100), attribution("key-2", "bob", "acme"), false);
        assertThat(run(alice, complete(Usage.of(11, 1)))).isInstanceOf(Outcome.Complete.class);
        assertThat(run(bob, complete(Usage.of(11, 1)))).isInstanceOf(Outcome.Complete.class);
        Outcome again = run(alice, complete(Usage.of(11, 1)));
        assertThat(again).isInstanceOf(Outcome.Failed.class);
        assertThat(((Outcome.Failed) again).error().message()).contains("'per-user'", "user 'alice'");
        assertThat(store.state("b:per-user:alice:" + Period.DAY.window(clock.instant(), java.time.ZoneOffset.UTC)
                .keyPart())).isEqualTo(new State(1, 0));
    }

    /**
     * 1,000 requests at once against a budget worth about 40 of them, each using every token it is allowed:
     * some pass in full, some clamped, the rest are denied, and what was spent never passes the limit.
     */
    @Test
    void aThousandConcurrentRequestsNeverOvershootAHardBudget() throws Exception {
        long limit = 40 * (11 * IN + 100 * OUT) + 12_345;
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, limit, Action.DENY);
        registry.put(b);
        Pipeline p = Pipeline.builder().add(step().build()).add(chain -> {
            int max = chain.exchange().request().maxTokens().orElseThrow();
            return new Outcome.Complete(response("x", Usage.of(11, max)), chain.exchange(), true);
        }).build();
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                fs.add(pool.submit(() -> {
                    start.await();
                    outcomes.add(p.execute(big(100)));
                    return null;
                }));
            }
            start.countDown();
            for (var f : fs) {
                f.get();
            }
        }
        long spent = outcomes.stream().filter(o -> o instanceof Outcome.Complete)
                .mapToLong(o -> 11 * IN + ((Outcome.Complete) o).exchange().request().maxTokens().orElseThrow() * OUT)
                .sum();
        assertThat(state(b)).isEqualTo(new State(spent, 0));
        assertThat(spent).isLessThanOrEqualTo(limit);
        // Everything that could be paid for was: what is left cannot buy a useful answer.
        assertThat(limit - spent).isLessThan(11 * IN + 16 * OUT);
        assertThat(outcomes.stream().filter(o -> o instanceof Outcome.Complete).count()).isGreaterThanOrEqualTo(40);
        assertThat(outcomes.stream().filter(o -> o instanceof Outcome.Failed).count()).isPositive();
    }

    // ------------------------------------------------------------ clamp

    @Test
    void clampsMaxTokensToWhatTheRemainingBudgetPaysFor() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 11 * IN + 50 * OUT,
                Action.DENY);
        registry.put(b);
        Outcome o = run(big(100), complete(Usage.of(11, 50)));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(upstream.get(0).request().maxTokens()).hasValue(50);
        assertThat(upstream.get(0).decisions()).containsExactly("clamp:max_tokens=50");
        assertThat(state(b)).isEqualTo(new State(11 * IN + 50 * OUT, 0));
    }

    @Test
    void theClampHonoursEveryBudgetNotOnlyTheOneThatRefused() {
        Budget cost = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 11 * IN + 80 * OUT,
                Action.DENY);
        Budget tokens = Budget.of("alice-tokens", Scope.USER, "alice", Period.DAY, Metric.TOKENS, 11 + 30, Action.DENY);
        registry.put(cost).put(tokens);
        run(big(100), complete(Usage.of(11, 30)));
        assertThat(upstream.get(0).request().maxTokens()).hasValue(30);
    }

    @Test
    void belowAUsefulAnswerTheBudgetsActionApplies() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 11 * IN + 15 * OUT,
                Action.DENY);
        registry.put(b);
        Outcome o = run(big(100), complete(Usage.of(11, 1)));
        assertThat(upstream).isEmpty();
        GatewayError e = ((Outcome.Failed) o).error();
        assertThat(e.kind()).isEqualTo(GatewayError.Kind.BUDGET_EXCEEDED);
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.code()).isEqualTo("budget_exceeded");
        assertThat(e.retryAfter()).isEmpty();
        assertThat(e.message()).isEqualTo("Budget 'acme-day' (team 'acme', cost_usd per day) cannot cover this request: "
                + "limit 0.000071 USD, used 0 USD, held by requests in flight 0 USD, this request needs up to 0.000411 USD.");

        // A lower threshold makes the same remainder worth a clamp.
        Outcome clamped = run(step().minUsefulOutputTokens(10).build(), big(100), complete(Usage.of(11, 15)));
        assertThat(clamped).isInstanceOf(Outcome.Complete.class);
        assertThat(upstream.get(0).request().maxTokens()).hasValue(15);
    }

    @Test
    void aClientMaxTokensBelowTheUsefulMinimumIsNotRaisedButRefused() {
        registry.put(Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 11 * IN + 5 * OUT,
                Action.DENY));
        assertThat(run(big(8), complete(Usage.of(11, 1)))).isInstanceOf(Outcome.Failed.class);
    }

    @Test
    void aRefusalByHoldsThatHaveSinceSettledIsSimplyRetried() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        // The first reserve sees another request's hold that is gone by the time the step looks again.
        CounterStore racing = new CounterStore() {
            boolean first = true;

            @Override
            public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
                if (first) {
                    first = false;
                    return new Reservation.Refused(holds.get(0).key(), 0, 9_990_000, 10_000_000);
                }
                return store.reserve(holdId, holds, ttl);
            }

            @Override
            public void settle(String holdId, java.util.Map<String, Long> actual) {
                store.settle(holdId, actual);
            }

            @Override
            public void release(String holdId) {
                store.release(holdId);
            }

            @Override
            public int sweep(Instant now) {
                return store.sweep(now);
            }

            @Override
            public State state(String key) {
                return store.state(key);
            }

            @Override
            public void setUsed(String key, long used, Instant windowEnd) {
                store.setUsed(key, used, windowEnd);
            }
        };
        Outcome o = run(step().counters(racing).build(), big(8), complete(Usage.of(11, 8)));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(upstream.get(0).request().maxTokens()).hasValue(8);
        assertThat(upstream.get(0).decisions()).isEmpty();
    }

    // ------------------------------------------------------------ actions

    @Test
    void throttleAnswersRetryAfterAtTheNextWindow() {
        registry.put(Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1000, Action.THROTTLE));
        Outcome o = run(big(100), complete(Usage.of(11, 1)));
        GatewayError e = ((Outcome.Failed) o).error();
        assertThat(e.kind()).isEqualTo(GatewayError.Kind.RATE_LIMITED);
        assertThat(e.code()).isEqualTo("budget_exceeded");
        assertThat(e.retryAfter()).hasValue(Duration.ofHours(14));
        assertThat(e.message()).contains("'acme-day'", "team 'acme'", "2026-05-15T00:00:00Z");
    }

    @Test
    void throttleOnATotalBudgetIsADenialBecauseNoWindowReopens() {
        registry.put(Budget.of("acme-total", Scope.TEAM, "acme", Period.TOTAL, Metric.COST_USD, 1000, Action.THROTTLE));
        GatewayError e = ((Outcome.Failed) run(big(100), complete(Usage.of(11, 1)))).error();
        assertThat(e.kind()).isEqualTo(GatewayError.Kind.BUDGET_EXCEEDED);
        assertThat(e.retryAfter()).isEmpty();
        assertThat(e.message()).contains("cost_usd in total");
    }

    @Test
    void degradeSendsTheRequestToTheCheaperModelOnTheSameProvider() {
        // BIG cannot pay even 16 output tokens (11,000 + 64,000); SMALL pays all 100 (1,100 + 40,000).
        Budget b = Budget.degrading("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 50_000, "small");
        registry.put(b);
        Outcome o = run(big(100), complete(Usage.of(11, 100)));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        Exchange sent = upstream.get(0);
        assertThat(sent.request().model()).isEqualTo("small");
        assertThat(sent.route()).hasValue(new Exchange.Route("p", "small"));
        assertThat(sent.request().maxTokens()).hasValue(100);
        assertThat(sent.decisions()).containsExactly("degrade:big->small");
        assertThat(sent.clientModel()).isEqualTo("big");
        assertThat(o.exchange().decisions()).contains("degrade:big->small");
        assertThat(state(b)).isEqualTo(new State(11 * 100 + 100 * 400, 0));
    }

    @Test
    void degradeThatStillDoesNotFitIsDenied() {
        registry.put(Budget.degrading("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1000, "small"));
        Outcome o = run(big(100), complete(Usage.of(11, 1)));
        GatewayError e = ((Outcome.Failed) o).error();
        assertThat(e.kind()).isEqualTo(GatewayError.Kind.BUDGET_EXCEEDED);
        assertThat(e.message()).contains("Its cheaper model 'small' does not fit either.");
        assertThat(upstream).isEmpty();
    }

    @Test
    void queueWaitsForTheWindowToReopen() {
        clock.set(Instant.parse("2026-05-14T23:59:30Z"));
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.REQUESTS, 1, Action.QUEUE);
        registry.put(b);
        run(big(100), complete(Usage.of(11, 1)));
        Outcome o = run(step().maxQueueWait(Duration.ofMinutes(1)).build(), big(100), complete(Usage.of(11, 1)));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(30));
        assertThat(upstream.get(1).decisions()).containsExactly("queue:waited=30000ms");
        assertThat(state(b)).isEqualTo(new State(1, 0)); // the new day's counter
    }

    @Test
    void queuePollsWhileOtherRequestsHoldTheBudget() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 500_000, Action.QUEUE);
        registry.put(b);
        String key = key(b, clock.instant());
        // Another request in flight holds most of the budget; it finishes during our second wait.
        store.inner.reserve("other", List.of(new Hold(key, 500_000, 450_000, Instant.parse("2026-05-15T00:00:00Z"))),
                Duration.ofMinutes(10));
        onSleep = () -> {
            if (sleeps.size() == 2) {
                store.inner.settle("other", java.util.Map.of(key, 20_000L));
            }
        };
        Outcome o = run(step().maxQueueWait(Duration.ofSeconds(10)).build(), big(100), complete(Usage.of(11, 20)));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThat(state(b)).isEqualTo(new State(20_000 + 11 * IN + 20 * OUT, 0));
    }

    @Test
    void queueGivesUpAtItsDeadline() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 500_000, Action.QUEUE);
        registry.put(b);
        String key = key(b, clock.instant());
        store.inner.reserve("other", List.of(new Hold(key, 500_000, 490_000, Instant.parse("2026-05-15T00:00:00Z"))),
                Duration.ofMinutes(10));
        Outcome o = run(step().maxQueueWait(Duration.ofMillis(2500)).build(), big(100), complete(Usage.of(11, 1)));
        assertThat(sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(500));
        GatewayError e = ((Outcome.Failed) o).error();
        assertThat(e.kind()).isEqualTo(GatewayError.Kind.BUDGET_EXCEEDED);
        assertThat(e.message()).endsWith("Waited 2500 ms.");
        assertThat(e.retryAfter()).hasValue(Duration.between(clock.instant(), Instant.parse("2026-05-15T00:00:00Z")));
        store.inner.release("other");
    }

    @Test
    void queueDoesNotWaitWhenWaitingCannotHelp() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1000, Action.QUEUE);
        registry.put(b);
        Outcome o = run(big(100), complete(Usage.of(11, 1)));
        assertThat(sleeps).isEmpty();
        assertThat(((Outcome.Failed) o).error().retryAfter()).hasValue(Duration.ofHours(14));
    }

    @Test
    void allowLetsEverythingThroughAndOnlyAlerts() {
        Budget b = Budget.of("acme-soft", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 50_000, Action.ALLOW);
        registry.put(b);
        assertThat(run(big(100), complete(Usage.of(11, 20)))).isInstanceOf(Outcome.Complete.class);
        assertThat(run(big(100), complete(Usage.of(11, 20)))).isInstanceOf(Outcome.Complete.class);
        assertThat(state(b)).isEqualTo(new State(2 * (11 * IN + 20 * OUT), 0));
        assertThat(alerts).extracting(BudgetAlert::level)
                .containsExactly(AlertLevel.WARN, AlertLevel.CRITICAL, AlertLevel.EXCEEDED);
        assertThat(upstream.get(0).request().maxTokens()).hasValue(100);
    }

    // ------------------------------------------------------------ alerts

    @Test
    void alertsFireOncePerLevelPerWindow() {
        Budget b = Budget.of("acme-rpd", Scope.TEAM, "acme", Period.DAY, Metric.REQUESTS, 10, Action.DENY);
        registry.put(b);
        BudgetStep s = step().build();
        List<AlertLevel> firedAfter = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            run(s, big(100), complete(Usage.of(11, 1)));
            firedAfter.add(alerts.isEmpty() ? null : alerts.get(alerts.size() - 1).level());
        }
        assertThat(alerts).extracting(BudgetAlert::level)
                .containsExactly(AlertLevel.WARN, AlertLevel.CRITICAL, AlertLevel.EXCEEDED);
        assertThat(alerts).extracting(BudgetAlert::used).containsExactly(8L, 10L, 10L);
        // Request 11 is denied and fires nothing new; the next day starts afresh.
        run(s, big(100), complete(Usage.of(11, 1)));
        assertThat(alerts).hasSize(3);
        clock.advance(Duration.ofDays(1));
        for (int i = 1; i <= 8; i++) {
            run(s, big(100), complete(Usage.of(11, 1)));
        }
        assertThat(alerts).hasSize(4);
        assertThat(alerts.get(3).window().start()).isEqualTo(Instant.parse("2026-05-15T00:00:00Z"));
        assertThat(alerts.get(3).text()).isEqualTo("Budget 'acme-rpd' (team 'acme') has reached its warning threshold: "
                + "8 requests of 10 requests used this day (action deny).");
    }

    // ------------------------------------------------------------ every path closes the hold once

    @Test
    void aFailedOutcomeReleases() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        Outcome o = run(big(100), e -> new Outcome.Failed(GatewayError.of(GatewayError.Kind.UPSTREAM, "boom"), e));
        assertThat(o).isInstanceOf(Outcome.Failed.class);
        assertThat(store.released).hasSize(1);
        assertThat(state(b)).isEqualTo(new State(0, 0));
    }

    @Test
    void anExceptionReleasesAndPropagates() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
        registry.put(b);
        assertThatThrownBy(() -> run(big(100), e -> {
            throw UpstreamException.timeout("upstream took too long");
        })).isInstanceOf(UpstreamException.class);
        assertThat(store.released).hasSize(1);
        assertThat(state(b)).isEqualTo(new State(0, 0));
    }

    EventStream streamed(Budget b, ScriptedStream upstreamStream) {
        registry.put(b);
        Outcome o = run(exchange("big", OptionalInt.of(100), ACME_ALICE, true),
                e -> new Outcome.Streamed(upstreamStream, e));
        return ((Outcome.Streamed) o).events();
    }

    static Budget dayCost() {
        return Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 10_000_000, Action.DENY);
    }

    @Test
    void aStreamIsSettledAtItsUsageWhenItEnds() {
        Budget b = dayCost();
        EventStream s = streamed(b, new ScriptedStream(List.of(new ChatEvent.Start("id", "big", 0), text("ab"),
                text("cd"), new ChatEvent.UsageReport(Usage.of(11, 3))), -1));
        while (s.next().isPresent()) {
            assertThat(state(b).held()).isEqualTo(11 * IN + 100 * OUT);
        }
        assertThat(state(b)).isEqualTo(new State(11 * IN + 3 * OUT, 0));
        assertThat(s.next()).isEmpty();
        s.close();
        s.close();
    }

    @Test
    void aStreamWithoutUsageIsSettledAtTheLocalCount() {
        Budget b = dayCost();
        EventStream s = streamed(b, new ScriptedStream(List.of(text("ab"), text("cd")), -1));
        while (s.next().isPresent()) {
            // drain
        }
        s.close();
        assertThat(state(b)).isEqualTo(new State(11 * IN + 4 * OUT, 0));
    }

    @Test
    void aStreamClosedEarlyIsSettledAtWhatWasGenerated() {
        Budget b = dayCost();
        ScriptedStream up = new ScriptedStream(List.of(text("ab"), text("cd"), text("ef")), -1);
        EventStream s = streamed(b, up);
        s.next();
        s.close();
        assertThat(up.closes).hasValue(1);
        assertThat(state(b)).isEqualTo(new State(11 * IN + 2 * OUT, 0));
        s.close();
        assertThat(state(b)).isEqualTo(new State(11 * IN + 2 * OUT, 0));
    }

    @Test
    void aStreamClosedBeforeAnyEventIsChargedForItsPromptOnly() {
        Budget b = dayCost();
        EventStream s = streamed(b, new ScriptedStream(List.of(text("ab")), -1));
        s.close();
        assertThat(state(b)).isEqualTo(new State(11 * IN, 0));
    }

    @Test
    void aStreamThatFailsMidwayIsSettledAtWhatWasGeneratedAndTheErrorPropagates() {
        Budget b = dayCost();
        EventStream s = streamed(b, new ScriptedStream(List.of(text("abc"), text("def")), 1));
        s.next();
        assertThatThrownBy(s::next).isInstanceOf(UpstreamException.class);
        s.close();
        assertThat(state(b)).isEqualTo(new State(11 * IN + 3 * OUT, 0));
    }

    // ------------------------------------------------------------ the store itself fails

    @Test
    void anUnreachableStoreFailsClosedByDefaultAndOpenWhenConfigured() {
        registry.put(dayCost());
        CounterStore down = new CounterStore() {
            @Override
            public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public void settle(String holdId, java.util.Map<String, Long> actual) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public void release(String holdId) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public int sweep(Instant now) {
                return 0;
            }

            @Override
            public State state(String key) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public void setUsed(String key, long used, Instant windowEnd) {
                throw new IllegalStateException("connection refused");
            }
        };
        Outcome closed = run(step().counters(down).build(), big(100), complete(Usage.of(11, 1)));
        assertThat(((Outcome.Failed) closed).error().status()).isEqualTo(503);
        assertThat(upstream).isEmpty();
        Outcome open = run(step().counters(down).failOpen(true).build(), big(100), complete(Usage.of(11, 1)));
        assertThat(open).isInstanceOf(Outcome.Complete.class);
        assertThat(upstream.get(0).decisions()).containsExactly("budget:unchecked");
    }

    /** A store that takes the hold and then fails to answer in time, as Redis under load past the command timeout. */
    static final class LateStore implements CounterStore {
        final InMemoryCounterStore inner;

        LateStore(InMemoryCounterStore inner) {
            this.inner = inner;
        }

        @Override
        public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
            inner.reserve(holdId, holds, ttl);
            throw new CounterStoreUnavailableException("reserve: command timed out after 200 ms");
        }

        @Override
        public void settle(String holdId, java.util.Map<String, Long> actual) {
            inner.settle(holdId, actual);
        }

        @Override
        public void release(String holdId) {
            inner.release(holdId);
        }

        @Override
        public int sweep(Instant now) {
            return inner.sweep(now);
        }

        @Override
        public State state(String key) {
            return inner.state(key);
        }

        @Override
        public void setUsed(String key, long used, Instant windowEnd) {
            inner.setUsed(key, used, windowEnd);
        }
    }

    @Test
    void aHoldTakenByAReserveThatTimedOutIsReleasedAtOnceNotLeftToBlockTheBudgetUntilItsTtl() {
        Budget b = dayCost();
        registry.put(b);
        InMemoryCounterStore inner = new InMemoryCounterStore(clock);
        Outcome o = run(step().counters(new LateStore(inner)).build(), big(100), complete(Usage.of(11, 1)));
        assertThat(((Outcome.Failed) o).error().status()).isEqualTo(503);
        assertThat(((Outcome.Failed) o).error().code()).isEqualTo("budget_store_unavailable");
        assertThat(upstream).isEmpty();
        assertThat(inner.openHolds()).isZero();
        assertThat(inner.state(key(b, clock.instant()))).isEqualTo(new State(0, 0));
    }

    @Test
    void requestsWithoutApplicableBudgetsPassUntouched() {
        registry.put(Budget.of("globex", Scope.TEAM, "globex", Period.DAY, Metric.COST_USD, 0, Action.DENY));
        Exchange ex = exchange("nomax", OptionalInt.empty(), ACME_ALICE, false);
        run(ex, complete(Usage.of(11, 1)));
        assertThat(upstream.get(0)).isEqualTo(ex);
        assertThat(store.reserves).isEmpty();
    }

    @Test
    void aZeroLimitDeniesEverything() {
        registry.put(Budget.of("frozen", Scope.KEY, "key-1", Period.MONTH, Metric.COST_USD, 0, Action.DENY));
        Outcome o = run(big(100), complete(Usage.of(11, 1)));
        assertThat(((Outcome.Failed) o).error().message()).contains("'frozen'", "key 'key-1'");
        assertThat(upstream).isEmpty();
    }
}
