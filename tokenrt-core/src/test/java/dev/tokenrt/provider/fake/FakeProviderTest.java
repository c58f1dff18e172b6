package dev.tokenrt.provider.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.chat.ToolChoice;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakeProviderTest {

    /** One token per whitespace-separated word: a stand-in for the real tokenizers, which live elsewhere. */
    static final TokenCounting WORDS = new TokenCounting() {
        @Override
        public TokenCount prompt(ChatRequest request, String model) {
            long n = 0;
            for (Message m : request.messages()) {
                n += words(m.text()) + 3; // per-message framing, as chat formats have
            }
            return TokenCount.exact(n);
        }

        @Override
        public TokenCount completion(String text, String model) {
            return TokenCount.exact(words(text));
        }
    };

    /** One token per four characters, rounded up: a counting whose boundaries fall inside words. */
    static final TokenCounting QUARTERS = new TokenCounting() {
        @Override
        public TokenCount prompt(ChatRequest request, String model) {
            return TokenCount.exact(request.messages().stream().mapToLong(m -> (m.text().length() + 3) / 4).sum());
        }

        @Override
        public TokenCount completion(String text, String model) {
            return TokenCount.exact((text.length() + 3) / 4);
        }
    };

    static long words(String text) {
        String t = text.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    /** The get_weather tool as the openai-python tests define it (city and state required). */
    static Tool weatherTool() throws Exception {
        return new Tool("get_weather", "Get the weather for a location", JSON.readTree("""
                {"type":"object","properties":{"city":{"type":"string"},"state":{"type":"string"},
                 "units":{"type":"string","enum":["c","f"]}},"required":["city","state"],"additionalProperties":false}
                """));
    }

    static Tool stockTool() throws Exception {
        return new Tool("get_stock_price", "Price of a share", JSON.readTree("""
                {"type":"object","properties":{"ticker":{"type":"string"},
                 "exchange":{"type":["string","null"],"enum":["NASDAQ","NYSE"]},
                 "days":{"type":"integer","minimum":1},"live":{"type":"boolean"},
                 "window":{"type":"object","properties":{"from":{"type":"string"}},"required":["from"]},
                 "tags":{"type":"array","items":{"type":"string"},"minItems":1}},
                 "required":["ticker","exchange","days","live","window","tags"]}
                """));
    }

    static ChatRequest ask(String question) {
        return ChatRequest.of("gpt-4o", List.of(Message.text(Role.SYSTEM, "You are terse."),
                Message.text(Role.USER, question)));
    }

    static ChatRequest withTools(ChatRequest r, List<Tool> tools, ToolChoice choice) {
        return new ChatRequest(r.model(), r.messages(), tools, Optional.of(choice), r.maxTokens(), r.temperature(),
                r.topP(), r.stop(), r.seed(), r.responseFormat(), r.stream(), r.includeUsage(), r.user(),
                r.sourceFormat(), r.extra());
    }

    static FakeProvider fake(TokenCounting counting) {
        return new FakeProvider(counting, FakeProvider.Options.defaults(), d -> { }, CLOCK);
    }

    static List<ChatEvent> drain(EventStream stream) {
        List<ChatEvent> events = new ArrayList<>();
        for (Optional<ChatEvent> e = stream.next(); e.isPresent(); e = stream.next()) {
            events.add(e.get());
        }
        return events;
    }

    @Test
    void sameRequestSameAnswerAndDifferentQuestionsSpreadOverThePool() {
        FakeProvider provider = fake(WORDS);
        ChatResponse a = provider.complete(ask("What is the capital of France?"), "gpt-4o").response();
        ChatResponse b = new FakeProvider(WORDS, FakeProvider.Options.defaults(), d -> { }, CLOCK)
                .complete(ask("What is the capital of France?"), "gpt-4o").response();
        assertThat(b).isEqualTo(a);
        assertThat(a.text()).isNotBlank();

        Set<String> openings = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            String text = provider.complete(ask("Question number " + i), "gpt-4o").response().text();
            openings.add(text.substring(0, 20));
        }
        assertThat(openings).hasSizeGreaterThan(8);
    }

    @Test
    void answerIsRealSentencesAndModelIsMarkedFake() {
        ChatResponse r = fake(WORDS).complete(ask("Tell me something."), "claude-sonnet-4-5").response();
        assertThat(r.model()).isEqualTo("fake/claude-sonnet-4-5");
        assertThat(FakeAnswers.SENTENCES).anySatisfy(s -> assertThat(r.text()).startsWith(s));
        assertThat(r.id()).startsWith("fake-");
        assertThat(r.created()).isEqualTo(CLOCK.instant().getEpochSecond());
    }

    @Test
    void maxTokensBoundsTheAnswerForEachCounting() {
        for (TokenCounting counting : List.of(WORDS, QUARTERS)) {
            FakeProvider provider = fake(counting);
            for (int max = 0; max <= 70; max += 7) {
                ChatResponse r = provider.complete(ask("Describe the sea.").withMaxTokens(max), "gpt-4o").response();
                long counted = counting.completion(r.text(), "gpt-4o").tokens();
                assertThat(counted).as("max_tokens %d", max).isLessThanOrEqualTo(max);
                // Filled up to the limit, short of it by less than one word's tokens.
                assertThat(counted).as("max_tokens %d", max).isGreaterThanOrEqualTo(Math.max(0, Math.min(max, 64) - 4));
                assertThat(r.stopReason()).isEqualTo(max < 64 ? StopReason.LENGTH : StopReason.STOP);
            }
        }
    }

    @Test
    void defaultAnswerLengthAppliesWithoutMaxTokens() {
        FakeProvider provider = new FakeProvider(WORDS, FakeProvider.Options.defaults().withDefaultAnswerTokens(200),
                d -> { }, CLOCK);
        ChatResponse r = provider.complete(ask("A long story, please."), "gpt-4o").response();
        assertThat(WORDS.completion(r.text(), "gpt-4o").tokens()).isBetween(190L, 200L);
        assertThat(r.stopReason()).isEqualTo(StopReason.STOP);
        ChatResponse bigger = provider.complete(ask("A long story, please.").withMaxTokens(5000), "gpt-4o").response();
        assertThat(bigger.text()).isEqualTo(r.text());
    }

    @Test
    void usageIsTheCountingOfPromptAndAnswer() {
        ChatRequest request = ask("How many moons has Mars?");
        ProviderResponse pr = fake(WORDS).complete(request, "gpt-4o");
        assertThat(pr.usageReported()).isTrue();
        Usage u = pr.response().usage();
        assertThat(u.inputTokens()).isEqualTo(WORDS.prompt(request, "gpt-4o").tokens()).isEqualTo(3 + 3 + 5 + 3);
        assertThat(u.outputTokens()).isEqualTo(WORDS.completion(pr.response().text(), "gpt-4o").tokens());
        assertThat(u.estimated()).isFalse();
    }

    @Test
    void countAsNamesTheTokenizerModel() {
        List<String> models = new ArrayList<>();
        TokenCounting spy = new TokenCounting() {
            @Override
            public TokenCount prompt(ChatRequest request, String model) {
                models.add(model);
                return WORDS.prompt(request, model);
            }

            @Override
            public TokenCount completion(String text, String model) {
                models.add(model);
                return WORDS.completion(text, model);
            }
        };
        new FakeProvider(spy, FakeProvider.Options.defaults().withCountAs("gpt-4o"), d -> { }, CLOCK)
                .complete(ask("hi"), "fake-large");
        assertThat(models).isNotEmpty().containsOnly("gpt-4o");
    }

    @Test
    void streamConcatenatesToTheCompleteTextWithUsageLast() {
        FakeProvider provider = fake(WORDS);
        ChatRequest request = ask("Say something about whales.");
        ChatResponse complete = provider.complete(request, "gpt-4o").response();
        List<ChatEvent> events = drain(provider.stream(request, "gpt-4o"));

        assertThat(events.getFirst()).isEqualTo(new ChatEvent.Start(complete.id(), "fake/gpt-4o", complete.created()));
        StringBuilder text = new StringBuilder();
        events.stream().filter(ChatEvent.TextDelta.class::isInstance)
                .forEach(e -> text.append(((ChatEvent.TextDelta) e).text()));
        assertThat(text.toString()).isEqualTo(complete.text());
        assertThat(events.stream().filter(ChatEvent.TextDelta.class::isInstance).count()).isGreaterThan(5);
        assertThat(events.get(events.size() - 2)).isEqualTo(new ChatEvent.Finish(complete.stopReason()));
        assertThat(events.getLast()).isEqualTo(new ChatEvent.UsageReport(complete.usage()));
    }

    @Test
    void streamIsPacedByLatencyAndTokensPerSecond() {
        List<Duration> waits = new ArrayList<>();
        FakeProvider.Options options = FakeProvider.Options.defaults().withFirstByteLatency(Duration.ofMillis(300))
                .withTokensPerSecond(50).withChunkWords(3);
        FakeProvider provider = new FakeProvider(WORDS, options, waits::add, CLOCK);
        List<ChatEvent> events = drain(provider.stream(ask("Pace me."), "gpt-4o"));

        assertThat(waits).hasSize(events.size());
        assertThat(waits.getFirst()).isEqualTo(Duration.ofMillis(300));
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof ChatEvent.TextDelta d) {
                // 3 words a chunk (the last may be shorter), 50 tokens a second: 20 ms a word.
                assertThat(waits.get(i)).isEqualTo(Duration.ofMillis(20 * words(d.text())));
                assertThat(words(d.text())).isBetween(1L, 3L);
            }
        }
        waits.clear();
        provider.complete(ask("Pace me."), "gpt-4o");
        assertThat(waits).containsExactly(Duration.ofMillis(300));
    }

    @Test
    void closeEndsTheStream() {
        EventStream stream = fake(WORDS).stream(ask("Close me."), "gpt-4o");
        assertThat(stream.next()).containsInstanceOf(ChatEvent.Start.class);
        assertThat(stream.next()).containsInstanceOf(ChatEvent.TextDelta.class);
        stream.close();
        stream.close();
        assertThat(stream.next()).isEmpty();
    }

    @Test
    void requiredToolChoiceCallsAToolWithSchemaValidArguments() throws Exception {
        ChatRequest request = withTools(ask("What's the weather in San Francisco?"), List.of(weatherTool()),
                new ToolChoice.Required());
        ChatResponse r = fake(WORDS).complete(request, "gpt-4o").response();
        assertThat(r.stopReason()).isEqualTo(StopReason.TOOL_CALLS);
        assertThat(r.content()).singleElement().isInstanceOf(Part.ToolCall.class);
        Part.ToolCall call = (Part.ToolCall) r.content().getFirst();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.id()).startsWith("call_fake_");
        JsonNode args = JSON.readTree(call.arguments());
        assertThat(args.path("city").isTextual()).isTrue();
        assertThat(args.path("state").isTextual()).isTrue();
        assertThat(args.has("units")).isFalse();
        assertThat(r.usage().outputTokens()).isEqualTo(WORDS.completion(call.arguments(), "gpt-4o").tokens());
    }

    @Test
    void namedToolChoiceFillsEveryRequiredTypeAndStreamsTheSameArguments() throws Exception {
        ChatRequest request = withTools(ask("AAPL please"), List.of(weatherTool(), stockTool()),
                new ToolChoice.Named("get_stock_price"));
        FakeProvider provider = fake(WORDS);
        Part.ToolCall call = (Part.ToolCall) provider.complete(request, "gpt-4o").response().content().getFirst();
        JsonNode args = JSON.readTree(call.arguments());
        assertThat(args.path("ticker").isTextual()).isTrue();
        assertThat(args.path("exchange").asText()).isEqualTo("NASDAQ");
        assertThat(args.path("days").asLong()).isEqualTo(1);
        assertThat(args.path("live").asBoolean()).isTrue();
        assertThat(args.path("window").path("from").isTextual()).isTrue();
        assertThat(args.path("tags").isArray()).isTrue();
        assertThat(args.path("tags")).hasSize(1);

        List<ChatEvent> events = drain(provider.stream(request, "gpt-4o"));
        assertThat(events).contains(new ChatEvent.ToolCallStart(0, call.id(), "get_stock_price"));
        StringBuilder streamed = new StringBuilder();
        events.stream().filter(ChatEvent.ToolCallDelta.class::isInstance)
                .forEach(e -> streamed.append(((ChatEvent.ToolCallDelta) e).argumentsDelta()));
        assertThat(streamed.toString()).isEqualTo(call.arguments());
        assertThat(events).noneMatch(ChatEvent.TextDelta.class::isInstance);
        assertThat(events).contains(new ChatEvent.Finish(StopReason.TOOL_CALLS));
    }

    @Test
    void autoChoiceAnswersWithTextAndUnknownNamedToolIsABadRequest() throws Exception {
        ChatRequest auto = withTools(ask("Weather?"), List.of(weatherTool()), new ToolChoice.Auto());
        assertThat(fake(WORDS).complete(auto, "gpt-4o").response().content()).singleElement()
                .isInstanceOf(Part.Text.class);
        ChatRequest unknown = withTools(ask("Weather?"), List.of(weatherTool()), new ToolChoice.Named("nope"));
        assertThatThrownBy(() -> fake(WORDS).complete(unknown, "gpt-4o"))
                .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void optionsRejectNonsense() {
        assertThatThrownBy(() -> FakeProvider.Options.defaults().withChunkWords(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FakeProvider.Options.defaults().withTokensPerSecond(-1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(fake(WORDS).name()).isEqualTo("fake");
        assertThat(ask("x").maxTokens()).isEqualTo(OptionalInt.empty());
    }
}
