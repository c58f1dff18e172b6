package dev.tokenrt.budget;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.pricing.ModelMode;
import dev.tokenrt.pricing.ModelPrice;
import dev.tokenrt.pricing.Price;
import dev.tokenrt.pricing.Rates;
import dev.tokenrt.tokens.TokenCount;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Shared pieces for the budget step's tests: prices, counting, a spying store, scripted streams. */
final class BudgetFixtures {

    private BudgetFixtures() {
    }

    static final LocalDate DATE = LocalDate.of(2026, 5, 1);

    /** 1000 nano-USD per input token, 4000 per output token, at most 1000 output tokens. */
    static final ModelPrice BIG = price("big", "1", "4", OptionalLong.of(1000));
    /** A tenth of BIG's prices. */
    static final ModelPrice SMALL = price("small", "0.1", "0.4", OptionalLong.of(1000));
    /** BIG's prices, no known maximum output. */
    static final ModelPrice NOMAX = price("nomax", "1", "4", OptionalLong.empty());

    static final PriceLookup PRICES = (provider, model) -> Optional.ofNullable(
            Map.of("big", BIG, "small", SMALL, "nomax", NOMAX).get(model));

    static ModelPrice price(String id, String in, String out, OptionalLong maxOut) {
        Rates r = Rates.NONE.with(dev.tokenrt.pricing.PriceKind.INPUT, Price.of(in, "override", DATE))
                .with(dev.tokenrt.pricing.PriceKind.OUTPUT, Price.of(out, "override", DATE));
        return new ModelPrice(id, "p", ModelMode.CHAT, r, List.of(), OptionalLong.empty(), maxOut, List.of(), "override",
                DATE, Optional.empty());
    }

    /** One token per character, exact: easy to check by hand. */
    static final TokenCounting CHARS = new TokenCounting() {
        @Override
        public TokenCount prompt(ChatRequest request, String model) {
            return TokenCount.exact(request.messages().stream().mapToLong(m -> m.text().length()).sum());
        }

        @Override
        public TokenCount completion(String text, String model) {
            return TokenCount.exact(text.length());
        }
    };

    static final String PROMPT = "hello world"; // 11 tokens

    static Attribution attribution(String key, String user, String team) {
        return new Attribution(key, user, "", team, "", List.of());
    }

    static Exchange exchange(String model, OptionalInt maxTokens, Attribution who, boolean stream) {
        ChatRequest base = ChatRequest.of(model, List.of(Message.text(Role.USER, PROMPT)));
        ChatRequest req = new ChatRequest(model, base.messages(), List.of(), Optional.empty(), maxTokens,
                Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty(), stream, false, "",
                "openai.chat", null);
        return Exchange.start("req-1", req, "openai.chat", who, Map.of(), Instant.EPOCH, 0)
                .withRoute(new Exchange.Route("p", model))
                .withInputCount(TokenCount.exact(PROMPT.length()));
    }

    /** An exchange as it reaches a step when no earlier step counted its prompt (the pipeline counts lazily). */
    static Exchange uncounted(Exchange ex) {
        return new Exchange(ex.requestId(), ex.request(), ex.clientFormat(), ex.clientModel(), ex.attribution(),
                ex.headers(), ex.arrival(), ex.startNanos(), ex.route(), Optional.empty(), ex.decisions(), ex.cache());
    }

    static ChatResponse response(String text, dev.tokenrt.usage.Usage usage) {
        return new ChatResponse("r1", "m", List.of(new Part.Text(text)), StopReason.STOP, usage, 0);
    }

    /**
     * A stream that plays its events; with {@code failAt >= 0} it throws an upstream error instead of the
     * event at that position.
     */
    static final class ScriptedStream implements EventStream {
        final Deque<ChatEvent> events;
        final int failAt;
        int position;
        final AtomicInteger closes = new AtomicInteger();

        ScriptedStream(List<ChatEvent> events, int failAt) {
            this.events = new ArrayDeque<>(events);
            this.failAt = failAt;
        }

        @Override
        public Optional<ChatEvent> next() {
            if (position++ == failAt) {
                throw new UpstreamException(502, "connection reset", "", Optional.empty(), false, null);
            }
            return Optional.ofNullable(events.pollFirst());
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            events.clear();
        }
    }

    /**
     * A store that counts, per hold, how often the step settled or released it, so that tests can prove
     * "exactly once" even though the store itself ignores repeats.
     */
    static final class SpyStore implements CounterStore {
        final InMemoryCounterStore inner;
        final Map<String, AtomicInteger> finishes = new ConcurrentHashMap<>();
        final List<String> granted = new CopyOnWriteArrayList<>();
        final List<List<Hold>> reserves = new CopyOnWriteArrayList<>();
        final Map<String, Map<String, Long>> settlements = new ConcurrentHashMap<>();
        final List<String> released = new CopyOnWriteArrayList<>();

        SpyStore(InMemoryCounterStore inner) {
            this.inner = inner;
        }

        @Override
        public Reservation reserve(String holdId, List<Hold> holds, Duration ttl) {
            reserves.add(List.copyOf(holds));
            Reservation r = inner.reserve(holdId, holds, ttl);
            if (r instanceof Reservation.Granted) {
                granted.add(holdId);
                finishes.put(holdId, new AtomicInteger());
            }
            return r;
        }

        @Override
        public void settle(String holdId, Map<String, Long> actual) {
            finishes.computeIfAbsent(holdId, k -> new AtomicInteger()).incrementAndGet();
            settlements.put(holdId, Map.copyOf(actual));
            inner.settle(holdId, actual);
        }

        @Override
        public void release(String holdId) {
            finishes.computeIfAbsent(holdId, k -> new AtomicInteger()).incrementAndGet();
            released.add(holdId);
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

        /** Every hold ever granted was settled or released exactly once, and none is open. */
        boolean allClosedExactlyOnce() {
            return inner.openHolds() == 0 && finishes.values().stream().allMatch(c -> c.get() == 1)
                    && finishes.keySet().containsAll(granted);
        }

        List<Hold> lastReserve() {
            return reserves.get(reserves.size() - 1);
        }
    }

    static ChatEvent text(String t) {
        return new ChatEvent.TextDelta(t);
    }
}
