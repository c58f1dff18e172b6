package dev.tokenrt.cache;

import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.usage.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Passes a live stream through unchanged while rebuilding the complete response from its events, and hands
 * that response on once the stream has ended normally (with a finish event). A stream that fails or is closed
 * early hands on nothing: a partial answer is never cached.
 */
final class CapturingStream implements EventStream {

    /** What the capture ends with: the whole response (usage empty if the provider sent none), or nothing. */
    interface Sink {
        void complete(ChatResponse response, boolean usageReported);

        void abandoned();
    }

    private final EventStream delegate;
    private final Sink sink;
    private String id = "";
    private String model = "";
    private long created;
    private final StringBuilder thinking = new StringBuilder();
    private String signature = "";
    private boolean thinkingSeen;
    private final List<Object> order = new ArrayList<>();
    private StringBuilder text;
    private final TreeMap<Integer, String[]> tools = new TreeMap<>();
    private StopReason stop;
    private Usage usage;
    private boolean done;

    CapturingStream(EventStream delegate, Sink sink) {
        this.delegate = delegate;
        this.sink = sink;
    }

    @Override
    public Optional<ChatEvent> next() {
        Optional<ChatEvent> ev;
        try {
            ev = delegate.next();
        } catch (RuntimeException e) {
            end(false);
            throw e;
        }
        if (ev.isEmpty()) {
            end(stop != null);
            return ev;
        }
        switch (ev.get()) {
            case ChatEvent.Start s -> {
                id = s.id();
                model = s.model();
                created = s.created();
            }
            case ChatEvent.TextDelta t -> {
                if (text == null) {
                    text = new StringBuilder();
                    order.add(text);
                }
                text.append(t.text());
            }
            case ChatEvent.ThinkingDelta t -> {
                if (!thinkingSeen) {
                    thinkingSeen = true;
                    order.add(thinking);
                }
                thinking.append(t.text());
                if (!t.signature().isEmpty()) {
                    signature = t.signature();
                }
            }
            case ChatEvent.ToolCallStart t -> {
                tools.put(t.index(), new String[] {t.id(), t.name(), ""});
                order.add(t.index());
            }
            case ChatEvent.ToolCallDelta t -> {
                String[] call = tools.get(t.index());
                if (call != null) {
                    call[2] += t.argumentsDelta();
                }
            }
            case ChatEvent.Finish f -> stop = f.reason();
            case ChatEvent.UsageReport u -> usage = u.usage();
        }
        return ev;
    }

    @Override
    public void close() {
        try {
            delegate.close();
        } finally {
            end(false);
        }
    }

    private void end(boolean complete) {
        if (done) {
            return;
        }
        done = true;
        if (!complete) {
            sink.abandoned();
            return;
        }
        List<Part> parts = new ArrayList<>();
        for (Object o : order) {
            if (o == text) {
                parts.add(new Part.Text(text.toString()));
            } else if (o == thinking) {
                parts.add(new Part.Thinking(thinking.toString(), signature));
            } else if (o instanceof Integer i) {
                String[] c = tools.get(i);
                parts.add(new Part.ToolCall(c[0], c[1], c[2]));
            }
        }
        sink.complete(new ChatResponse(id, model, parts, stop, usage == null ? Usage.NONE : usage, created),
                usage != null);
    }
}
