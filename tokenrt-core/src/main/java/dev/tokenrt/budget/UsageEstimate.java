package dev.tokenrt.budget;

import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.util.Optional;

/**
 * The usage a step settles at when the provider reported none, counted the way the accounting step counts
 * it (prompt count from the exchange, generated text counted locally), so that budget counters agree with
 * the ledger they can be rebuilt from.
 */
final class UsageEstimate {

    private UsageEstimate() {
    }

    static String servedModel(Exchange ex) {
        return ex.route().map(Exchange.Route::upstreamModel).orElse(ex.request().model());
    }

    /** The prompt counted for the served model; empty when no tokenizer or estimator knows the model. */
    static Optional<TokenCount> prompt(Exchange ex, TokenCounting counting) {
        try {
            return Optional.of(counting.prompt(ex.request(), servedModel(ex)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static Usage of(Outcome.Complete c, TokenCounting counting, long fallbackInput) {
        if (c.usageReported()) {
            return c.response().usage();
        }
        return estimate(c.exchange(), generatedText(c.response()), counting, fallbackInput);
    }

    static Usage estimate(Exchange ex, String generated, TokenCounting counting, long fallbackInput) {
        String model = servedModel(ex);
        long in;
        try {
            in = ex.inputCount().orElseGet(() -> counting.prompt(ex.request(), model)).tokens();
        } catch (RuntimeException e) {
            in = fallbackInput;
        }
        long out;
        try {
            out = counting.completion(generated, model).tokens();
        } catch (RuntimeException e) {
            out = generated.isEmpty() ? 0 : Math.max(1, generated.length() / 4);
        }
        return new Usage(in, out, 0, 0, 0, 0, UsageSource.ESTIMATED, UsageSource.ESTIMATED);
    }

    static String generatedText(ChatResponse r) {
        StringBuilder sb = new StringBuilder();
        for (Part p : r.content()) {
            switch (p) {
                case Part.Text t -> sb.append(t.text());
                case Part.ToolCall tc -> sb.append(tc.name()).append(tc.arguments());
                case Part.Thinking th -> sb.append(th.text());
                default -> { }
            }
        }
        return sb.toString();
    }
}
