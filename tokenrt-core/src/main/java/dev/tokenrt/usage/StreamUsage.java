package dev.tokenrt.usage;

import dev.tokenrt.sse.SseEvent;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/**
 * Accumulates the usage a provider reports inside a streamed response, event by event, and hands over the final
 * figures exactly once. Each provider reports stream usage differently (a last chunk, a completion event, a start
 * and a delta event, cumulative metadata on every chunk); implementations hide that so settlement has one contract:
 * feed every event, then call {@link #finish()} once when the stream ends, whether it completed or was cut off.
 *
 * <p>Figures are never summed across events: every provider repeats cumulative figures, so the latest value of
 * each figure wins. An empty result means the provider reported no usage and the caller must count locally.
 *
 * <p>Implementations are stateful, one per stream. Feed them from one thread at a time; {@link #usage()} and
 * {@link #finished()} may be read from any thread (for example when a client disconnects mid-stream).
 */
public sealed interface StreamUsage
        permits OpenAiChatStreamUsage, OpenAiResponsesStreamUsage, AnthropicStreamUsage, GeminiStreamUsage,
        GeminiInteractionsStreamUsage {

    /** A fresh accumulator for a stream of the given format. */
    static StreamUsage of(UsageFormat format) {
        return switch (format) {
            case OPENAI_CHAT -> new OpenAiChatStreamUsage();
            case OPENAI_RESPONSES -> new OpenAiResponsesStreamUsage();
            case ANTHROPIC -> new AnthropicStreamUsage();
            case GEMINI -> new GeminiStreamUsage();
            case GEMINI_INTERACTIONS -> new GeminiInteractionsStreamUsage();
        };
    }

    /** The stream format this accumulator reads. */
    UsageFormat format();

    /**
     * Feeds one decoded event (the JSON of one SSE {@code data:} payload, or one chunk).
     *
     * @throws IllegalArgumentException when the event carries malformed usage figures
     * @throws IllegalStateException    after {@link #finish()}
     */
    void accept(JsonNode event);

    /**
     * Feeds one raw line of the SSE stream (without its line terminator; a trailing CR is tolerated). Events are
     * decoded as they complete; {@code data: [DONE]} ends an OpenAI chat stream.
     *
     * @throws IllegalArgumentException when an event's data is not JSON, or carries malformed usage figures
     * @throws IllegalStateException    after {@link #finish()}
     */
    void acceptLine(String line);

    /**
     * Feeds raw SSE text exactly as it arrives from the network: any split, LF, CR or CRLF line endings.
     *
     * @throws IllegalArgumentException when an event's data is not JSON, or carries malformed usage figures
     * @throws IllegalStateException    after {@link #finish()}
     */
    void acceptText(CharSequence text);

    /** Feeds one already parsed SSE event. */
    void accept(SseEvent event);

    /** True once the provider's terminal event was seen (the figures are then final). */
    boolean finished();

    /** The usage reported so far; empty while (or when) the provider has reported none. */
    Optional<Usage> usage();

    /**
     * Ends the stream and returns its final usage, empty when the provider reported none. Call exactly once, at the
     * end of the stream or when it is cut off; figures of a cut-off stream are the last ones reported (an event
     * left unterminated by the cut is decoded when complete and dropped when its JSON was cut).
     *
     * @throws IllegalStateException when called a second time
     */
    Optional<Usage> finish();
}
