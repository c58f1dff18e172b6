package dev.tokenrt.provider.fake;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.chat.ToolChoice;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.provider.ProviderTransport;
import dev.tokenrt.usage.Usage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The built-in {@code fake} provider: answers in process, deterministically, so that the gateway can be
 * tested, demonstrated and benchmarked without a real provider or a key.
 *
 * <ul>
 *   <li>Text: real English sentences chosen by a hash of the last user message, so the same request always
 *       gets the same answer. Its length is {@code min(max_tokens, Options.defaultAnswerTokens)} tokens at
 *       most, counted with the {@link TokenCounting} given to the constructor. The stop reason is
 *       {@link StopReason#LENGTH} when the client's {@code max_tokens} was the tighter bound, else
 *       {@link StopReason#STOP}.</li>
 *   <li>Tool calls: when the request has tools and its tool choice is {@link ToolChoice.Required} (the tool
 *       is then picked by the same hash) or {@link ToolChoice.Named}, the answer is one call to that tool,
 *       with arguments that fill every required property of its JSON schema. Auto, none or no choice
 *       always answer with text.</li>
 *   <li>The response's model is {@code fake/<upstream model>} so that no one mistakes it for a real
 *       provider's answer; usage is reported as the provider's, counted with the given counting (prompt by
 *       {@link TokenCounting#prompt}, output by {@link TokenCounting#completion} of the text or of the
 *       tool-call arguments).</li>
 *   <li>Timing: {@link #complete} waits {@link Options#firstByteLatency()}; {@link #stream} waits that
 *       before the first event and then paces text chunks at {@link Options#tokensPerSecond()}. Waiting
 *       blocks, which is what callers on virtual threads expect; tests inject a {@link Sleeper}.</li>
 * </ul>
 */
public final class FakeProvider implements ProviderTransport {

    /** The prefix of every model name this provider answers with. */
    public static final String MODEL_PREFIX = "fake/";

    /**
     * How the fake behaves.
     *
     * @param firstByteLatency   wait before the answer (complete) or before the first event (stream)
     * @param tokensPerSecond    stream speed; 0 streams as fast as the reader pulls
     * @param chunkWords         words per streamed text chunk (a chunk keeps its trailing space)
     * @param defaultAnswerTokens the answer's length in tokens when {@code max_tokens} does not ask for less
     * @param countAs            the model whose tokenizer counts usage, when it differs from the upstream
     *                           model (a fake model name that has no tokenizer of its own); empty: the upstream model
     */
    public record Options(Duration firstByteLatency, int tokensPerSecond, int chunkWords, int defaultAnswerTokens,
            Optional<String> countAs) {

        public Options {
            Objects.requireNonNull(firstByteLatency, "firstByteLatency");
            Objects.requireNonNull(countAs, "countAs");
            if (firstByteLatency.isNegative()) {
                throw new IllegalArgumentException("firstByteLatency cannot be negative");
            }
            if (tokensPerSecond < 0) {
                throw new IllegalArgumentException("tokensPerSecond cannot be negative");
            }
            if (chunkWords < 1) {
                throw new IllegalArgumentException("chunkWords must be at least 1");
            }
            if (defaultAnswerTokens < 0) {
                throw new IllegalArgumentException("defaultAnswerTokens cannot be negative");
            }
        }

        /** No latency, unpaced, two words a chunk, answers of at most 64 tokens, counted as the upstream model. */
        public static Options defaults() {
            return new Options(Duration.ZERO, 0, 2, 64, Optional.empty());
        }

        public Options withFirstByteLatency(Duration latency) {
            return new Options(latency, tokensPerSecond, chunkWords, defaultAnswerTokens, countAs);
        }

        public Options withTokensPerSecond(int tps) {
            return new Options(firstByteLatency, tps, chunkWords, defaultAnswerTokens, countAs);
        }

        public Options withChunkWords(int words) {
            return new Options(firstByteLatency, tokensPerSecond, words, defaultAnswerTokens, countAs);
        }

        public Options withDefaultAnswerTokens(int tokens) {
            return new Options(firstByteLatency, tokensPerSecond, chunkWords, tokens, countAs);
        }

        public Options withCountAs(String model) {
            return new Options(firstByteLatency, tokensPerSecond, chunkWords, defaultAnswerTokens, Optional.of(model));
        }
    }

    /** How the fake waits; injected so that tests see the waits without spending them. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;

        /** Really waits, on the calling (virtual) thread. */
        Sleeper REAL = duration -> {
            if (!duration.isZero()) {
                Thread.sleep(duration);
            }
        };
    }

    private final TokenCounting counting;
    private final Options options;
    private final Sleeper sleeper;
    private final Clock clock;

    public FakeProvider(TokenCounting counting) {
        this(counting, Options.defaults());
    }

    public FakeProvider(TokenCounting counting, Options options) {
        this(counting, options, Sleeper.REAL, Clock.systemUTC());
    }

    public FakeProvider(TokenCounting counting, Options options, Sleeper sleeper, Clock clock) {
        this.counting = Objects.requireNonNull(counting, "counting");
        this.options = Objects.requireNonNull(options, "options");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String name() {
        return "fake";
    }

    public Options options() {
        return options;
    }

    @Override
    public ProviderResponse complete(ChatRequest request, String upstreamModel) {
        Answer answer = answer(request, upstreamModel);
        pause(options.firstByteLatency());
        List<Part> content = answer.toolCall().<List<Part>>map(List::of)
                .orElseGet(() -> List.of(new Part.Text(answer.text())));
        ChatResponse response = new ChatResponse(answer.id(), MODEL_PREFIX + upstreamModel, content, answer.reason(),
                answer.usage(), clock.instant().getEpochSecond());
        return new ProviderResponse(response, true);
    }

    @Override
    public EventStream stream(ChatRequest request, String upstreamModel) {
        Answer answer = answer(request, upstreamModel);
        String countModel = options.countAs().orElse(upstreamModel);
        List<Timed> events = new ArrayList<>();
        events.add(new Timed(new ChatEvent.Start(answer.id(), MODEL_PREFIX + upstreamModel,
                clock.instant().getEpochSecond()), options.firstByteLatency()));
        if (answer.toolCall().isPresent()) {
            Part.ToolCall call = answer.toolCall().get();
            events.add(new Timed(new ChatEvent.ToolCallStart(0, call.id(), call.name()), Duration.ZERO));
            for (String piece : pieces(call.arguments())) {
                events.add(new Timed(new ChatEvent.ToolCallDelta(0, piece), pace(piece, countModel)));
            }
        } else {
            for (String chunk : FakeAnswers.chunks(answer.text(), options.chunkWords())) {
                events.add(new Timed(new ChatEvent.TextDelta(chunk), pace(chunk, countModel)));
            }
        }
        events.add(new Timed(new ChatEvent.Finish(answer.reason()), Duration.ZERO));
        events.add(new Timed(new ChatEvent.UsageReport(answer.usage()), Duration.ZERO));
        return new PacedStream(List.copyOf(events));
    }

    /** The wait before a chunk: its tokens at the configured speed. */
    private Duration pace(String chunk, String countModel) {
        if (options.tokensPerSecond() == 0) {
            return Duration.ZERO;
        }
        long tokens = counting.completion(chunk, countModel).tokens();
        return Duration.ofNanos(tokens * 1_000_000_000L / options.tokensPerSecond());
    }

    /** Tool-call arguments are streamed in pieces of a few characters, as providers do. */
    private static List<String> pieces(String arguments) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < arguments.length(); i += 8) {
            out.add(arguments.substring(i, Math.min(arguments.length(), i + 8)));
        }
        return out;
    }

    private Answer answer(ChatRequest request, String upstreamModel) {
        String countModel = options.countAs().orElse(upstreamModel);
        byte[] digest = FakeAnswers.digest(request);
        String id = "fake-" + FakeAnswers.hex(digest, 12);
        long input = counting.prompt(request, countModel).tokens();
        Optional<Tool> tool = toolToCall(request, digest);
        if (tool.isPresent()) {
            String arguments = FakeToolArguments.forSchema(tool.get().parameters(), FakeAnswers.hex(digest, 3));
            Part.ToolCall call = new Part.ToolCall("call_fake_" + FakeAnswers.hex(digest, 8), tool.get().name(),
                    arguments);
            long output = counting.completion(arguments, countModel).tokens();
            return new Answer(id, "", Optional.of(call), StopReason.TOOL_CALLS, Usage.of(input, output));
        }
        int limit = options.defaultAnswerTokens();
        boolean capped = false;
        if (request.maxTokens().isPresent() && request.maxTokens().getAsInt() < limit) {
            limit = request.maxTokens().getAsInt();
            capped = true;
        }
        String text = FakeAnswers.answer(digest, limit, t -> counting.completion(t, countModel).tokens());
        long output = counting.completion(text, countModel).tokens();
        return new Answer(id, text, Optional.empty(), capped ? StopReason.LENGTH : StopReason.STOP,
                Usage.of(input, output));
    }

    private static Optional<Tool> toolToCall(ChatRequest request, byte[] digest) {
        if (request.tools().isEmpty() || request.toolChoice().isEmpty()) {
            return Optional.empty();
        }
        ToolChoice choice = request.toolChoice().get();
        if (choice instanceof ToolChoice.Named named) {
            Optional<Tool> tool = request.tools().stream().filter(t -> t.name().equals(named.name())).findFirst();
            if (tool.isEmpty()) {
                throw new UpstreamException(400, "tool_choice names '" + named.name() + "', which is not among the tools",
                        "", Optional.empty(), false, null);
            }
            return tool;
        }
        if (choice instanceof ToolChoice.Required) {
            return Optional.of(request.tools().get(FakeAnswers.index(digest, request.tools().size())));
        }
        return Optional.empty();
    }

    private void pause(Duration duration) {
        try {
            sleeper.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UpstreamException.connection("fake provider interrupted", e);
        }
    }

    private record Answer(String id, String text, Optional<Part.ToolCall> toolCall, StopReason reason, Usage usage) {
    }

    private record Timed(ChatEvent event, Duration before) {
    }

    /** Hands out precomputed events, waiting before each as paced; closing ends it at once. */
    private final class PacedStream implements EventStream {
        private final List<Timed> events;
        private int next;
        private volatile boolean closed;

        PacedStream(List<Timed> events) {
            this.events = events;
        }

        @Override
        public Optional<ChatEvent> next() {
            if (closed || next >= events.size()) {
                return Optional.empty();
            }
            Timed timed = events.get(next++);
            try {
                sleeper.sleep(timed.before());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
                throw UpstreamException.connection("fake stream interrupted", e);
            }
            if (closed) {
                return Optional.empty();
            }
            return Optional.of(timed.event());
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
