package dev.tokenrt.budget;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.usage.Usage;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Passes a stream through and settles what the request holds once it is over, however it ends: at its end,
 * at an upstream failure mid-stream, or when the client closes it early. Each is settled at the provider's
 * usage event when one came, else at the prompt plus what was generated so far, counted locally. That is
 * the figure the accounting step records for the same three endings, so counters match the ledger.
 */
final class SettlingStream implements EventStream {

    private final EventStream delegate;
    private final Exchange exchange;
    private final TokenCounting counting;
    private final long fallbackInput;
    private final Settlement settlement;
    /** Appended on the pulling thread, read by a close() that may come from another (the client's socket). */
    private final StringBuilder generated = new StringBuilder();
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile Usage reported;

    SettlingStream(EventStream delegate, Exchange exchange, TokenCounting counting, long fallbackInput,
            Settlement settlement) {
        this.delegate = delegate;
        this.exchange = exchange;
        this.counting = counting;
        this.fallbackInput = fallbackInput;
        this.settlement = settlement;
    }

    @Override
    public Optional<ChatEvent> next() {
        Optional<ChatEvent> ev;
        try {
            ev = delegate.next();
        } catch (RuntimeException | Error e) {
            finish();
            throw e;
        }
        if (ev.isEmpty()) {
            finish();
            return ev;
        }
        track(ev.get());
        return ev;
    }

    @Override
    public void close() {
        try {
            delegate.close();
        } finally {
            finish();
        }
    }

    private void track(ChatEvent event) {
        synchronized (generated) {
            switch (event) {
                case ChatEvent.TextDelta t -> generated.append(t.text());
                case ChatEvent.ThinkingDelta t -> generated.append(t.text());
                case ChatEvent.ToolCallStart t -> generated.append(t.name());
                case ChatEvent.ToolCallDelta t -> generated.append(t.argumentsDelta());
                case ChatEvent.UsageReport u -> reported = u.usage();
                default -> { }
            }
        }
    }

    private void finish() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        Usage u = reported;
        try {
            if (u == null) {
                String text;
                synchronized (generated) {
                    text = generated.toString();
                }
                u = UsageEstimate.estimate(exchange, text, counting, fallbackInput);
            }
        } finally {
            if (u == null) {
                settlement.release();
            }
        }
        settlement.settle(u);
    }
}
