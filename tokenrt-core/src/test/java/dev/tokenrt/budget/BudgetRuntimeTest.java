package dev.tokenrt.budget;

import static dev.tokenrt.budget.BudgetFixtures.CHARS;
import static dev.tokenrt.budget.BudgetFixtures.PROMPT;
import static dev.tokenrt.budget.BudgetFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.TokenRuntime;
import dev.tokenrt.budget.BudgetFixtures.ScriptedStream;
import dev.tokenrt.budget.BudgetFixtures.SpyStore;
import dev.tokenrt.budget.CounterStore.State;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.PipelineTest;
import dev.tokenrt.pipeline.Pricing;
import dev.tokenrt.pipeline.RetryPolicy;
import dev.tokenrt.pipeline.Router;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.pricing.CostCalculator;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.provider.ProviderTransport;
import dev.tokenrt.usage.Usage;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The budget step inside the real runtime, in the slot it is meant for ({@code beforeCall}): retries and
 * fallbacks re-run it, and the budget counters agree with the ledger to the nano-dollar.
 */
class BudgetRuntimeTest {

    static final Attribution ACME = new Attribution("key-1", "alice", "", "acme", "", List.of());

    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");
    SpyStore store = new SpyStore(new InMemoryCounterStore(clock));
    InMemoryBudgetRegistry registry = new InMemoryBudgetRegistry();
    PipelineTest.ListLedger ledger = new PipelineTest.ListLedger();

    /** Plays a script of answers, exceptions and event lists, one per call. */
    static final class Transport implements ProviderTransport {
        final Deque<Object> script;
        final List<ChatRequest> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

        Transport(Object... results) {
            this.script = new ArrayDeque<>(List.of(results));
        }

        @Override
        public String name() {
            return "openai";
        }

        @Override
        public ProviderResponse complete(ChatRequest request, String upstreamModel) {
            seen.add(request);
            Object next = script.removeFirst();
            if (next instanceof UpstreamException e) {
                throw e;
            }
            return (ProviderResponse) next;
        }

        @Override
        public EventStream stream(ChatRequest request, String upstreamModel) {
            seen.add(request);
            Object next = script.removeFirst();
            if (next instanceof UpstreamException e) {
                throw e;
            }
            return (EventStream) next;
        }
    }

    TokenRuntime runtime(Transport t, PriceLookup prices) {
        Pricing pricing = (provider, model, usage) -> prices.find(provider, model)
                .map(p -> OptionalLong.of(CostCalculator.cost(p, usage).totalNanos())).orElse(OptionalLong.empty());
        BudgetStep step = BudgetStep.builder().budgets(registry).counters(store).prices(prices).counting(CHARS)
                .clock(clock).build();
        return TokenRuntime.builder().clock(clock).provider(t, new RetryPolicy(1, Duration.ZERO, Duration.ZERO))
                .defaultRoute(m -> Optional.of(new Router.Target("openai", m)))
                .ledger(ledger).counting(CHARS).pricing(pricing).retrySleeper(d -> { })
                .beforeCall(step).build();
    }

    static ChatRequest request(String model, OptionalInt maxTokens, boolean stream) {
        ChatRequest base = ChatRequest.of(model, List.of(Message.text(Role.USER, PROMPT)));
        return new ChatRequest(model, base.messages(), List.of(), Optional.empty(), maxTokens, Optional.empty(),
                Optional.empty(), List.of(), Optional.empty(), Optional.empty(), stream, false, "", "openai.chat", null);
    }

    State state(Budget b) {
        return store.state(BudgetStep.counterKey(new BudgetSource.Applicable(b, b.scopeId()),
                b.period().window(clock.instant(), ZoneOffset.UTC)));
    }

    @AfterEach
    void everyHoldIsClosedExactlyOnce() {
        assertThat(store.allClosedExactlyOnce()).as("holds %s", store.finishes).isTrue();
    }

    @Test
    void aRetriedRequestReleasesTheFailedAttemptsHoldAndSettlesTheOneThatAnswered() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 100_000_000, Action.DENY);
        registry.put(b);
        Transport t = new Transport(new UpstreamException(500, "overloaded", "", Optional.empty(), false, null),
                new ProviderResponse(BudgetFixtures.response("fine", Usage.of(11, 4)), true));
        Outcome o = runtime(t, BudgetFixtures.PRICES).chat(request("big", OptionalInt.of(100), false), ACME);
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(store.granted).hasSize(2);
        assertThat(store.released).hasSize(1);
        assertThat(store.settlements).hasSize(1);
        LedgerEntry row = ledger.rows.get(0);
        assertThat(row.costNanos()).isEqualTo(11 * 1000 + 4 * 4000);
        assertThat(state(b)).isEqualTo(new State(row.costNanos(), 0));
    }

    @Test
    void aStreamTheClientLeavesIsChargedTheSameInTheLedgerAndTheBudget() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 100_000_000, Action.DENY);
        registry.put(b);
        Transport t = new Transport(new ScriptedStream(List.of(new ChatEvent.Start("s", "big", 0), text("abc"),
                text("defg"), text("never read")), -1));
        Outcome o = runtime(t, BudgetFixtures.PRICES).chat(request("big", OptionalInt.of(100), true), ACME);
        EventStream s = ((Outcome.Streamed) o).events();
        s.next();
        s.next();
        s.next();
        s.close();
        LedgerEntry row = ledger.rows.get(0);
        assertThat(row.status()).isEqualTo(499);
        assertThat(row.costNanos()).isEqualTo(11 * 1000 + 7 * 4000);
        assertThat(state(b)).isEqualTo(new State(row.costNanos(), 0));
    }

    @Test
    void aDeniedRequestIsRecordedAs429AndNeverReachesTheProvider() {
        registry.put(Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 1, Action.DENY));
        Transport t = new Transport();
        Outcome o = runtime(t, BudgetFixtures.PRICES).chat(request("big", OptionalInt.of(100), false), ACME);
        assertThat(o).isInstanceOf(Outcome.Failed.class);
        assertThat(t.seen).isEmpty();
        assertThat(ledger.rows.get(0).status()).isEqualTo(429);
        assertThat(ledger.rows.get(0).errorType()).isEqualTo("budget_exceeded");
    }

    @Test
    void aDegradeIsRecordedWithTheModelThatServed() {
        registry.put(Budget.degrading("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 50_000, "small"));
        Transport t = new Transport(new ProviderResponse(BudgetFixtures.response("ok", Usage.of(11, 10)), true));
        runtime(t, BudgetFixtures.PRICES).chat(request("big", OptionalInt.of(100), false), ACME);
        assertThat(t.seen.get(0).model()).isEqualTo("small");
        LedgerEntry row = ledger.rows.get(0);
        assertThat(row.modelRequested()).isEqualTo("big");
        assertThat(row.modelServed()).isEqualTo("small");
        assertThat(row.route()).contains("degrade:big->small");
        assertThat(row.costNanos()).isEqualTo(11 * 100 + 10 * 400);
    }

    /** With the bundled catalog: gpt-4o-mini at 0.15 and 0.60 USD per million tokens, 16,384 output tokens at most. */
    @Test
    void theWorstCaseComesFromTheRealCatalog() {
        Budget b = Budget.of("acme-day", Scope.TEAM, "acme", Period.DAY, Metric.COST_USD, 100_000_000, Action.DENY);
        registry.put(b);
        Transport t = new Transport(new ProviderResponse(BudgetFixtures.response("ok", Usage.of(11, 10)), true));
        dev.tokenrt.chat.ChatRequest req = request("gpt-4o-mini", OptionalInt.empty(), false);
        runtime(t, PriceLookup.of(new CatalogPricing(PricingCatalog.bundled()))).chat(req, ACME);
        // Room to spare: the prompt is held at its free upper bound (no tokenizer run), the output at the model's
        // maximum from the catalog (16,384 tokens); the settle is exact.
        long bound = dev.tokenrt.tokens.PromptBound.plainText(req).orElseThrow();
        assertThat(bound).isGreaterThanOrEqualTo(11);
        assertThat(store.reserves.get(0).get(0).amount()).isEqualTo(bound * 150 + 16_384 * 600);
        assertThat(state(b)).isEqualTo(new State(11 * 150 + 10 * 600, 0));
        assertThat(ledger.rows.get(0).costNanos()).isEqualTo(11 * 150 + 10 * 600);
    }
}
