package dev.tokenrt.provider;

import java.util.ArrayList;
import java.util.List;

/**
 * Incremental parser of a {@code text/event-stream} body into {@link SseEvent}s, fed with text as it arrives
 * (chunk boundaries may fall anywhere, even inside a line). Written by hand because none of the libraries
 * the core may use (JTokkit, Jackson, Caffeine, SLF4J) reads SSE; it follows the WHATWG rules that matter
 * here: {@code event:} and {@code data:} fields, multi-line data joined with newlines, comment lines
 * ({@code :}) and unknown fields ignored, an event dispatched on a blank line, CR, LF and CRLF line ends.
 * Not thread-safe; one per stream.
 */
public final class SseParser {

    private final StringBuilder line = new StringBuilder();
    private final StringBuilder data = new StringBuilder();
    private String event = "";
    private boolean hasData;
    private boolean lastWasCr;

    /** Parses everything in a complete body at once. */
    public static List<SseEvent> parseAll(String body) {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>(parser.feed(body));
        events.addAll(parser.finish());
        return events;
    }

    /** Feeds more text; returns the events completed by it. */
    public List<SseEvent> feed(CharSequence text) {
        List<SseEvent> out = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' && lastWasCr) {
                lastWasCr = false;
                continue;
            }
            lastWasCr = c == '\r';
            if (c == '\n' || c == '\r') {
                endLine(out);
            } else {
                line.append(c);
            }
        }
        return out;
    }

    /** The body ended: dispatches a last event that was not followed by a blank line. */
    public List<SseEvent> finish() {
        List<SseEvent> out = new ArrayList<>();
        if (!line.isEmpty()) {
            endLine(out);
        }
        dispatch(out);
        return out;
    }

    private void endLine(List<SseEvent> out) {
        if (line.isEmpty()) {
            dispatch(out);
            return;
        }
        String l = line.toString();
        line.setLength(0);
        if (l.charAt(0) == ':') {
            return;
        }
        int colon = l.indexOf(':');
        String field = colon < 0 ? l : l.substring(0, colon);
        String value = colon < 0 ? "" : l.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> event = value;
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            default -> {
                // id, retry and unknown fields carry nothing a codec needs
            }
        }
    }

    private void dispatch(List<SseEvent> out) {
        if (hasData) {
            out.add(new SseEvent(event, data.toString()));
        }
        data.setLength(0);
        hasData = false;
        event = "";
    }
}
