package dev.tokenrt.pipeline;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles and records every request exactly once, whatever way it ends: a complete response, a stream
 * that ends, a stream the client abandons, or a failure. It wraps the rest of the pipeline, so it sees the
 * final route and counts after retries and fallbacks.
 *
 * <p>Usage is the provider's report when there is one; otherwise the prompt and whatever was generated are
 * counted locally and marked {@link UsageSource#ESTIMATED}. A stream the client leaves early is charged
 * for what was generated up to that point: peers record it as zero.
 */
public final class AccountingStep implements Interceptor {

    private static final Logger LOG = LoggerFactory.getLogger(AccountingStep.class);

    private final UsageLedger ledger;
    private final TokenCounting counting;
    private final Pricing pricing;
    private final List<RequestObserver> observers;
    private final LongSupplier nanoTime;

    public AccountingStep(UsageLedger ledger, TokenCounting counting, Pricing pricing, List<RequestObserver> observers,
            LongSupplier nanoTime) {
        this.ledger = ledger;
        this.counting = counting;
        this.pricing = pricing;
        this.observers = List.copyOf(observers);
        this.nanoTime = nanoTime;
    }

    @Override
    public Outcome intercept(Chain chain) {
        Outcome outcome;
        try {
            outcome = chain.proceed(chain.exchange());
        } catch (RuntimeException e) {
            LOG.error("request {} failed inside the pipeline", chain.exchange().requestId(), e);
            outcome = new Outcome.Failed(GatewayError.of(GatewayError.Kind.INTERNAL, "internal error"), chain.exchange());
        }
        return switch (outcome) {
            case Outcome.Complete c -> {
                Usage usage = c.usageReported() ? c.response().usage() : estimate(c.exchange(), generatedText(c.response()));
                long now = nanoTime.getAsLong();
                long cost = record(c.exchange(), usage, 200, "", millis(c.exchange(), now), millis(c.exchange(), now));
                ChatResponse r = c.response();
                ChatResponse settled = new ChatResponse(r.id(), r.model(), r.content(), r.stopReason(), usage, r.created());
                // A cached answer shows the usage it was first produced with (what the client would have paid); its
                // cost is zero (record says so).
                yield new Outcome.Complete(settled, c.exchange(), c.usageReported(), cost);
            }
            case Outcome.Streamed s -> new Outcome.Streamed(new AccountingStream(s.events(), s.exchange()), s.exchange());
            case Outcome.Failed f -> {
                long now = nanoTime.getAsLong();
                record(f.exchange(), Usage.NONE, f.error().status(), f.error().kind().name().toLowerCase(Locale.ROOT),
                        millis(f.exchange(), now), -1);
                yield f;
            }
        };
    }

    private Usage estimate(Exchange ex, String generated) {
        String model = servedModel(ex);
        TokenCount in = ex.inputCount().orElseGet(() -> counting.prompt(ex.request(), model));
        TokenCount out = counting.completion(generated, model);
        return new Usage(in.tokens(), out.tokens(), 0, 0, 0, 0, UsageSource.ESTIMATED, UsageSource.ESTIMATED);
    }

    private static String generatedText(ChatResponse r) {
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

    private static String servedModel(Exchange ex) {
        return ex.route().map(Exchange.Route::upstreamModel).orElse(ex.request().model());
    }

    private static long millis(Exchange ex, long nowNanos) {
        return Math.max(0, (nowNanos - ex.startNanos()) / 1_000_000);
    }

    /**
     * Appends the row and tells the observers; returns what the request cost in nano-USD. An answer served from the cache
     * bills nothing: its row has zero usage and cost, and records the usage it stood in for as saved tokens,
     * priced at today's prices as the saved cost.
     */
    private long record(Exchange ex, Usage usage, int status, String errorType, long latencyMillis, long firstChunkMillis) {
        String provider = ex.route().map(Exchange.Route::provider).orElse("");
        String model = servedModel(ex);
        long cost = provider.isEmpty() ? 0 : pricing.costNanos(provider, model, usage).orElse(0);
        boolean hit = ex.servedFromCache();
        LedgerEntry entry = new LedgerEntry(ex.requestId(), ex.arrival(), ex.attribution(), provider, ex.clientModel(),
                model, hit ? Usage.NONE : usage, hit ? 0 : cost, ex.cache(), hit ? cost : 0,
                String.join(",", ex.decisions()), ex.request().stream(), status, errorType, latencyMillis,
                firstChunkMillis, hit ? usage.inputTokens() : 0, hit ? usage.outputTokens() : 0);
        try {
            ledger.append(entry);
        } catch (RuntimeException e) {
            LOG.error("ledger append failed for request {}", ex.requestId(), e);
        }
        for (RequestObserver o : observers) {
            try {
                o.finished(entry);
            } catch (RuntimeException e) {
                LOG.warn("request observer failed for request {}", ex.requestId(), e);
            }
        }
        return hit ? 0 : cost;
    }

    /** Watches a stream pass and records it once: at its end, at a failure, or when the client closes it. */
    private final class AccountingStream implements EventStream {
        private final EventStream delegate;
        private final Exchange exchange;
        private final StringBuilder generated = new StringBuilder();
        private final AtomicBoolean recorded = new AtomicBoolean();
        /**
         * Set by close() before it closes what is under it: a reader waiting there is woken with a failure then,
         * and the stream is recorded as the client's leaving (499), not as an upstream failure.
         */
        private volatile boolean closing;
        private Optional<Usage> reported = Optional.empty();
        private volatile Usage settledUsage;
        private boolean usageDelivered;
        private long firstChunkNanos = -1;

        AccountingStream(EventStream delegate, Exchange exchange) {
            this.delegate = delegate;
            this.exchange = exchange;
        }

        @Override
        public Optional<ChatEvent> next() {
            Optional<ChatEvent> ev;
            try {
                ev = delegate.next();
            } catch (RuntimeException e) {
                if (closing) {
                    finish(499, "client_closed");
                } else if (e instanceof UpstreamException u && u.isTimeout()) {
                    finish(504, "timeout");
                } else {
                    finish(502, "upstream");
                }
                throw e;
            }
            if (ev.isEmpty()) {
                Usage settled = finish(200, "");
                if (reported.isEmpty() && !usageDelivered && settled != null) {
                    // The provider reported nothing: hand our own count downstream as the stream's usage, so a
                    // client that asked for usage gets the figure that was recorded, marked estimated.
                    usageDelivered = true;
                    return Optional.of(new ChatEvent.UsageReport(settled));
                }
                return ev;
            }
            if (firstChunkNanos < 0) {
                firstChunkNanos = nanoTime.getAsLong();
            }
            switch (ev.get()) {
                case ChatEvent.TextDelta t -> generated.append(t.text());
                case ChatEvent.ThinkingDelta t -> generated.append(t.text());
                case ChatEvent.ToolCallStart t -> generated.append(t.name());
                case ChatEvent.ToolCallDelta t -> generated.append(t.argumentsDelta());
                case ChatEvent.UsageReport u -> reported = Optional.of(u.usage());
                default -> { }
            }
            return ev;
        }

        @Override
        public void close() {
            closing = true;
            try {
                delegate.close();
            } finally {
                // Closed before the end: the client went away (499, as nginx logs it). Charge what was generated.
                finish(499, "client_closed");
            }
        }

        /** Records the stream once; returns the usage it was settled at. */
        private Usage finish(int status, String errorType) {
            if (!recorded.compareAndSet(false, true)) {
                return settledUsage;
            }
            Usage usage = reported.orElseGet(() -> estimate(exchange, generated.toString()));
            settledUsage = usage;
            long now = nanoTime.getAsLong();
            record(exchange, usage, status, errorType, millis(exchange, now),
                    firstChunkNanos < 0 ? -1 : millis(exchange, firstChunkNanos));
            return usage;
        }
    }
}
