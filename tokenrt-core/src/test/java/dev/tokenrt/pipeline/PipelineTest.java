package dev.tokenrt.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.provider.ProviderTransport;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

public class PipelineTest {

    /** Counts one token per character: enough to see which figures were estimated and from what. */
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

    /** Two nano-dollars per input token, three per output token. */
    static final Pricing PRICING = (provider, model, u) -> OptionalLong.of(u.inputTokens() * 2 + u.outputTokens() * 3);

    public static final class ListLedger implements UsageLedger {
        public final List<LedgerEntry> rows = new CopyOnWriteArrayList<>();

        @Override
        public void append(LedgerEntry entry) {
            rows.add(entry);
        }

        @Override
        public boolean flush(Duration timeout) {
            return true;
        }

        @Override
        public UsageReport query(UsageQuery query) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    /** A transport that plays a script: each call takes the next result (an exception or a response). */
    static final class ScriptedTransport implements ProviderTransport {
        final String name;
        final Deque<Object> script = new ArrayDeque<>();
        final AtomicInteger calls = new AtomicInteger();

        ScriptedTransport(String name, Object... results) {
            this.name = name;
            script.addAll(List.of(results));
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public ProviderResponse complete(ChatRequest request, String upstreamModel) {
            calls.incrementAndGet();
            Object next = script.removeFirst();
            if (next instanceof UpstreamException e) {
                throw e;
            }
            return (ProviderResponse) next;
        }

        @Override
        public EventStream stream(ChatRequest request, String upstreamModel) {
            calls.incrementAndGet();
            Object next = script.removeFirst();
            if (next instanceof UpstreamException e) {
                throw e;
            }
            if (next instanceof EventStream given) {
                return given;
            }
            @SuppressWarnings("unchecked")
            List<ChatEvent> events = (List<ChatEvent>) next;
            Deque<ChatEvent> q = new ArrayDeque<>(events);
            return new EventStream() {
                @Override
                public Optional<ChatEvent> next() {
                    return Optional.ofNullable(q.pollFirst());
                }

                @Override
                public void close() {
                    q.clear();
                }
            };
        }
    }

    static ProviderResponse answer(String text, Usage usage, boolean reported) {
        return new ProviderResponse(new ChatResponse("r1", "m", List.of(new Part.Text(text)), StopReason.STOP, usage, 0),
                reported);
    }

    ListLedger ledger = new ListLedger();
    List<Duration> sleeps = new ArrayList<>();

    Pipeline pipeline(Router router, ProviderTransport... transports) {
        Map<String, ProviderTransport> byName = new java.util.HashMap<>();
        for (ProviderTransport t : transports) {
            byName.put(t.name(), t);
        }
        return Pipeline.builder()
                .add(new AccountingStep(ledger, CHARS, PRICING, List.of(), System::nanoTime))
                .add(new RoutingStep(router, p -> new RetryPolicy(2, Duration.ofMillis(100), Duration.ofSeconds(1)),
                        sleeps::add))
                .add(new ProviderCallStep(byName))
                .build();
    }

    static Exchange exchange(String model, boolean stream) {
        ChatRequest base = ChatRequest.of(model, List.of(Message.text(Role.USER, "hello")));
        ChatRequest req = new ChatRequest(base.model(), base.messages(), base.tools(), base.toolChoice(), base.maxTokens(),
                base.temperature(), base.topP(), base.stop(), base.seed(), base.responseFormat(), stream, false, "",
                "openai.chat", null);
        return Exchange.start("req-1", req, "openai.chat", LedgerEntry.Attribution.NONE, Map.of(), Instant.EPOCH,
                System.nanoTime());
    }

    @Test
    void reportedUsageIsRecordedAndPriced() {
        var t = new ScriptedTransport("p1", answer("hi", Usage.of(10, 4), true));
        Router router = new Router(Map.of(), m -> Optional.of(new Router.Target("p1", m)));
        Outcome o = pipeline(router, t).execute(exchange("m", false));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(ledger.rows).singleElement().satisfies(e -> {
            assertThat(e.usage()).isEqualTo(Usage.of(10, 4));
            assertThat(e.costNanos()).isEqualTo(10 * 2 + 4 * 3);
            assertThat(e.provider()).isEqualTo("p1");
            assertThat(e.status()).isEqualTo(200);
        });
    }

    @Test
    void missingUsageIsCountedLocallyAndMarkedEstimated() {
        var t = new ScriptedTransport("p1", answer("four", Usage.NONE, false));
        Router router = new Router(Map.of(), m -> Optional.of(new Router.Target("p1", m)));
        Outcome.Complete o = (Outcome.Complete) pipeline(router, t).execute(exchange("m", false));
        Usage u = ledger.rows.get(0).usage();
        assertThat(u.inputTokens()).isEqualTo("hello".length());
        assertThat(u.outputTokens()).isEqualTo("four".length());
        assertThat(u.inputSource()).isEqualTo(UsageSource.ESTIMATED);
        assertThat(o.response().usage()).isEqualTo(u);
    }

    @Test
    void retriesHonourRetryAfterThenFallBack() {
        var rateLimited = new UpstreamException(429, "slow down", "", Optional.of(Duration.ofMillis(300)), false, null);
        var p1 = new ScriptedTransport("p1", rateLimited, rateLimited, rateLimited);
        var p2 = new ScriptedTransport("p2", answer("ok", Usage.of(1, 1), true));
        Router router = new Router(Map.of("fast", List.of(new Router.Target("p1", "a"), new Router.Target("p2", "b"))),
                m -> Optional.empty());
        Outcome o = pipeline(router, p1, p2).execute(exchange("fast", false));
        assertThat(o).isInstanceOf(Outcome.Complete.class);
        assertThat(p1.calls).hasValue(3);
        assertThat(p2.calls).hasValue(1);
        assertThat(sleeps).containsExactly(Duration.ofMillis(300), Duration.ofMillis(300));
        LedgerEntry e = ledger.rows.get(0);
        assertThat(e.modelRequested()).isEqualTo("fast");
        assertThat(e.modelServed()).isEqualTo("b");
        assertThat(e.route()).contains("fallback:p2/b");
    }

    @Test
    void nonRetryableUpstreamErrorIsNotRetried() {
        var bad = new UpstreamException(400, "bad parameter", "", Optional.empty(), false, null);
        var p1 = new ScriptedTransport("p1", bad);
        Router router = new Router(Map.of(), m -> Optional.of(new Router.Target("p1", m)));
        Outcome.Failed o = (Outcome.Failed) pipeline(router, p1).execute(exchange("m", false));
        assertThat(o.error().status()).isEqualTo(400);
        assertThat(p1.calls).hasValue(1);
        assertThat(ledger.rows.get(0).status()).isEqualTo(400);
    }

    @Test
    void unknownModelIs404() {
        Router router = new Router(Map.of(), m -> Optional.empty());
        Outcome.Failed o = (Outcome.Failed) pipeline(router).execute(exchange("nope", false));
        assertThat(o.error().status()).isEqualTo(404);
        assertThat(o.error().param()).isEqualTo("model");
    }

    @Test
    void abandonedStreamIsChargedForWhatWasGenerated() {
        var t = new ScriptedTransport("p1", List.of(new ChatEvent.Start("s", "m", 0), new ChatEvent.TextDelta("abc"),
                new ChatEvent.TextDelta("defg"), new ChatEvent.Finish(StopReason.STOP),
                new ChatEvent.UsageReport(Usage.of(5, 7))));
        Router router = new Router(Map.of(), m -> Optional.of(new Router.Target("p1", m)));
        Outcome.Streamed s = (Outcome.Streamed) pipeline(router, t).execute(exchange("m", true));
        s.events().next();
        s.events().next();
        assertThat(ledger.rows).isEmpty();
        s.events().close();
        s.events().close();
        assertThat(ledger.rows).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(499);
            assertThat(e.usage().outputTokens()).isEqualTo(3);
            assertThat(e.usage().outputSource()).isEqualTo(UsageSource.ESTIMATED);
        });
    }

    @Test
    void aStreamClosedWhileItsReaderWaitsIsRecordedAsTheClientLeaving() throws Exception {
        // As the gateway's provider stream does: close() wakes a reader waiting for the next event with a failure.
        // Here the reader is let finish first, the order in which it used to be recorded as an upstream failure.
        CountDownLatch closed = new CountDownLatch(1);
        CountDownLatch readerDone = new CountDownLatch(1);
        Deque<ChatEvent> q = new ArrayDeque<>(List.of(new ChatEvent.Start("s", "m", 0), new ChatEvent.TextDelta("abc")));
        EventStream waiting = new EventStream() {
            @Override
            public Optional<ChatEvent> next() {
                ChatEvent e = q.pollFirst();
                if (e != null) {
                    return Optional.of(e);
                }
                try {
                    closed.await();
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
                throw UpstreamException.connection("p1: stream closed", null);
            }

            @Override
            public void close() {
                closed.countDown();
                try {
                    readerDone.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Router router = new Router(Map.of(), m -> Optional.of(new Router.Target("p1", m)));
        Outcome.Streamed s = (Outcome.Streamed) pipeline(router, new ScriptedTransport("p1", waiting))
                .execute(exchange("m", true));
        s.events().next();
        s.events().next();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                s.events().next();
            } catch (UpstreamException e) {
                readerDone.countDown();
            }
        });
        while (reader.getState() != Thread.State.WAITING) {
            Thread.sleep(5);
        }
        s.events().close(); // the client went away
        reader.join(5000);
        assertThat(readerDone.getCount()).as("the reader was woken with a failure").isZero();
        assertThat(ledger.rows).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(499);
            assertThat(e.usage().outputTokens()).isEqualTo(3); // "abc", as generated before the close
        });
    }

    @Test
    void completedStreamUsesTheProviderReportOnce() {
        var t = new ScriptedTransport("p1", List.of(new ChatEvent.Start("s", "m", 0), new ChatEvent.TextDelta("abc"),
                new ChatEvent.Finish(StopReason.STOP), new ChatEvent.UsageReport(Usage.of(5, 7))));
        Router router = new Router(Map.of(), m -> Optional.of(new Router.Target("p1", m)));
        Outcome.Streamed s = (Outcome.Streamed) pipeline(router, t).execute(exchange("m", true));
        while (s.events().next().isPresent()) {
            // drain
        }
        s.events().close();
        assertThat(ledger.rows).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(200);
            assertThat(e.usage()).isEqualTo(Usage.of(5, 7));
            assertThat(e.firstChunkMillis()).isGreaterThanOrEqualTo(0);
        });
    }
}
