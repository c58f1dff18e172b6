package dev.tokenrt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pipeline.DefaultTokenCounting;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.PipelineTest;
import dev.tokenrt.pipeline.Router;
import dev.tokenrt.pricing.CostCalculator;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.provider.fake.FakeProvider;
import dev.tokenrt.tokens.ProviderEstimators;
import dev.tokenrt.tokens.Tokenizers;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The library face: an application builds the gateway's pipeline in-process and calls a provider through it. */
class TokenRuntimeTest {

    @Test
    void anEmbeddedRuntimeCountsPricesAndRecordsEveryCall() {
        PricingCatalog catalog = PricingCatalog.bundled();
        DefaultTokenCounting counting = new DefaultTokenCounting(Tokenizers.defaults(), ProviderEstimators.withDefaults(), catalog);
        PipelineTest.ListLedger ledger = new PipelineTest.ListLedger();
        try (TokenRuntime rt = TokenRuntime.builder()
                .provider(new FakeProvider(counting))
                .route("cheap", List.of(new Router.Target("fake", "gpt-4o-mini")))
                .ledger(ledger).counting(counting).pricing(new CatalogPricing(catalog))
                .build()) {
            ChatRequest req = ChatRequest.of("cheap", List.of(Message.text(Role.USER, "What is a token?")));
            Outcome.Complete done = (Outcome.Complete) rt.chat(req, new LedgerEntry.Attribution("", "u1", "p1", "", "", List.of()));
            assertThat(done.response().text()).isNotEmpty();
            assertThat(done.response().model()).isEqualTo("fake/gpt-4o-mini");
            LedgerEntry row = ledger.rows.get(0);
            assertThat(row.modelRequested()).isEqualTo("cheap");
            assertThat(row.modelServed()).isEqualTo("gpt-4o-mini");
            assertThat(row.attribution().project()).isEqualTo("p1");
            // The prompt count is gpt-4o-mini's exact chat count, and the cost is the catalog's price for it.
            assertThat(row.usage().inputTokens()).isEqualTo(counting.prompt(req.withModel("gpt-4o-mini"), "gpt-4o-mini").tokens());
            assertThat(row.costNanos()).isEqualTo(
                    CostCalculator.cost(catalog.find("gpt-4o-mini").orElseThrow(), row.usage()).totalNanos());
            assertThat(done.costNanos()).isEqualTo(row.costNanos());

            ChatRequest streamed = new ChatRequest("cheap", req.messages(), List.of(), Optional.empty(), java.util.OptionalInt.of(20),
                    Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty(), true, true, "",
                    "openai.chat", null);
            Outcome.Streamed s = (Outcome.Streamed) rt.chat(streamed, LedgerEntry.Attribution.NONE);
            StringBuilder text = new StringBuilder();
            for (Optional<ChatEvent> e = s.events().next(); e.isPresent(); e = s.events().next()) {
                if (e.get() instanceof ChatEvent.TextDelta t) {
                    text.append(t.text());
                }
            }
            assertThat(text).isNotEmpty();
            assertThat(ledger.rows).hasSize(2);
            assertThat(ledger.rows.get(1).usage().outputTokens()).isLessThanOrEqualTo(20).isPositive();
        }
    }

    @Test
    void requestIdsAreUniqueAndOrderedByTime() throws InterruptedException {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            String id = TokenRuntime.newRequestId();
            assertThat(id).matches("req_[0-9a-f]{32}");
            assertThat(seen.add(id)).as("duplicate %s", id).isTrue();
        }
        String before = TokenRuntime.newRequestId();
        Thread.sleep(3);
        String after = TokenRuntime.newRequestId();
        assertThat(after).isGreaterThan(before); // a later millisecond sorts after, whatever the random part
        long millis = Long.parseLong(after.substring(4, 16), 16);
        assertThat(millis).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis());
    }
}
