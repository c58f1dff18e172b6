package dev.tokenrt.cache;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.pipeline.EventStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A cached answer played back as a stream, so that a streaming client gets a well-formed stream from a hit:
 * a start, the parts in their order (text in pieces of at most {@link #PIECE} characters, never splitting a
 * surrogate pair; tool calls as a start and their arguments), the finish reason, and the usage the answer was
 * produced with, exactly the events a provider's stream decodes to.
 */
final class ReplayStream implements EventStream {

    static final int PIECE = 64;

    private final List<ChatEvent> events;
    private int next;
    private boolean closed;

    ReplayStream(ChatResponse r) {
        this.events = events(r);
    }

    static List<ChatEvent> events(ChatResponse r) {
        List<ChatEvent> out = new ArrayList<>();
        out.add(new ChatEvent.Start(r.id(), r.model(), r.created()));
        int tool = 0;
        for (Part p : r.content()) {
            switch (p) {
                case Part.Text t -> pieces(t.text()).forEach(s -> out.add(new ChatEvent.TextDelta(s)));
                case Part.Thinking th -> out.add(new ChatEvent.ThinkingDelta(th.text(), th.signature()));
                case Part.ToolCall c -> {
                    out.add(new ChatEvent.ToolCallStart(tool, c.id(), c.name()));
                    if (!c.arguments().isEmpty()) {
                        out.add(new ChatEvent.ToolCallDelta(tool, c.arguments()));
                    }
                    tool++;
                }
                case Part.Image i -> { }
                case Part.ToolResult tr -> { }
            }
        }
        out.add(new ChatEvent.Finish(r.stopReason()));
        out.add(new ChatEvent.UsageReport(r.usage()));
        return out;
    }

    private static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int end = Math.min(text.length(), i + PIECE);
            if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
                end--;
            }
            out.add(text.substring(i, end));
            i = end;
        }
        return out;
    }

    @Override
    public Optional<ChatEvent> next() {
        if (closed || next >= events.size()) {
            return Optional.empty();
        }
        return Optional.of(events.get(next++));
    }

    @Override
    public void close() {
        closed = true;
    }
}
