package dev.tokenrt.provider;

import dev.tokenrt.chat.ChatEvent;
import java.util.List;

/**
 * Turns neutral {@link ChatEvent}s into the SSE frames a client of one format expects. Stateful and
 * single-use: one per client stream, from {@link WireFormat#newStreamEncoder}. Each returned string is a
 * complete frame ending with a blank line, ready to write to the socket. The caller must deliver the final
 * usage (the provider's or its own estimate) as a {@link ChatEvent.UsageReport} before {@link #end()}, since
 * some formats put usage in their closing frames.
 */
public interface StreamEncoder {

    List<String> encode(ChatEvent event);

    /** Closes the stream: the closing frames of the format (usage, {@code [DONE]}, {@code message_stop}). */
    List<String> end();
}
