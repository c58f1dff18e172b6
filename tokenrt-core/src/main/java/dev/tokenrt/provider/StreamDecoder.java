package dev.tokenrt.provider;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.chat.ChatEvent;
import java.util.List;

/**
 * Turns one upstream stream, event by event, into neutral {@link ChatEvent}s. Stateful and single-use: make
 * one per stream with {@link WireFormat#newStreamDecoder()}, feed it every SSE event in order, then call
 * {@link #end()} once when the upstream body ends.
 *
 * <p>Contract shared by the three formats: a {@link ChatEvent.Start} comes first; {@link ChatEvent.Finish}
 * comes exactly once (with {@code UNKNOWN} when the stream was cut before the provider said why); a
 * {@link ChatEvent.UsageReport} comes at most once, last, and only when the provider reported usage, already
 * merged across the provider's own events. When {@link #usageReported()} is false at the end, the caller
 * counts the tokens itself. An error the provider sends in the stream is thrown as
 * {@link ProviderErrorException}.
 */
public interface StreamDecoder {

    /**
     * Decodes one SSE event.
     *
     * @param event the SSE {@code event:} name, empty when the stream does not name events
     * @param data  the SSE {@code data:} text (a JSON object, or OpenAI's {@code [DONE]})
     */
    List<ChatEvent> decode(String event, String data);

    /** Convenience for {@link #decode(String, String)}. */
    default List<ChatEvent> decode(SseEvent event) {
        return decode(event.event(), event.data());
    }

    /** The upstream body ended: emits whatever is still owed (the finish, the usage). Idempotent. */
    List<ChatEvent> end();

    /** Whether the provider reported usage in this stream (known for sure only after {@link #end()}). */
    boolean usageReported();
}
