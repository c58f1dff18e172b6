package dev.tokenrt.sse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Incremental Server-Sent Events parser, following the WHATWG event-stream rules that matter for LLM streams:
 * {@code event:} and {@code data:} fields (one optional space after the colon is dropped), several {@code data:}
 * lines joined with {@code \n}, comment lines starting with {@code :} ignored, unknown fields ignored, lines ended
 * by LF, CR or CRLF (also when a CRLF is split between two chunks), a leading byte-order mark dropped, and an event
 * dispatched at each blank line.
 *
 * <p>Written by hand because the JDK has no SSE parser and the libraries that do come with an HTTP client we do not
 * want in core. Stateful by nature: one parser per stream, used from one thread at a time.
 *
 * <p>One deliberate departure: {@link #end()} dispatches an event still pending when the stream ends without its
 * final blank line (the spec discards it), because recorded streams and some servers omit that line and the last
 * event is the one that carries usage.
 */
public final class SseParser {

    private final StringBuilder partialLine = new StringBuilder();
    private final StringBuilder data = new StringBuilder();
    private String eventType = "";
    private boolean hasData;
    private boolean lastCharWasCr;
    private boolean atStart = true;

    /**
     * Feeds one line without its terminator (a trailing CR is tolerated, so CRLF files read line by line work).
     *
     * @return the event the line completes, when it is a blank line ending one
     */
    public Optional<SseEvent> line(String line) {
        String text = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        return processLine(text);
    }

    /** Feeds arbitrary text as it arrives (any split, any line endings) and returns the events it completes. */
    /** Parses a whole recorded stream at once: every event, including one left without its closing blank line. */
    public static List<SseEvent> parseAll(CharSequence body) {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>(parser.feed(body));
        parser.end().ifPresent(events::add);
        return events;
    }

    public List<SseEvent> feed(CharSequence chunk) {
        List<SseEvent> events = new ArrayList<>();
        for (int i = 0; i < chunk.length(); i++) {
            char c = chunk.charAt(i);
            if (c == '\n' && lastCharWasCr) {
                lastCharWasCr = false;
                continue;
            }
            lastCharWasCr = c == '\r';
            if (c == '\r' || c == '\n') {
                processLine(partialLine.toString()).ifPresent(events::add);
                partialLine.setLength(0);
            } else {
                partialLine.append(c);
            }
        }
        return events;
    }

    /** Ends the stream: processes a last unterminated line and dispatches a pending event, if any. */
    public Optional<SseEvent> end() {
        if (!partialLine.isEmpty()) {
            String last = partialLine.toString();
            partialLine.setLength(0);
            Optional<SseEvent> event = processLine(last);
            if (event.isPresent()) {
                return event;
            }
        }
        lastCharWasCr = false;
        return dispatch();
    }

    private Optional<SseEvent> processLine(String rawLine) {
        String line = rawLine;
        if (atStart) {
            atStart = false;
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
        }
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.charAt(0) == ':') {
            return Optional.empty();
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> eventType = value;
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            default -> {
                // id, retry and unknown fields carry nothing usage needs
            }
        }
        return Optional.empty();
    }

    private Optional<SseEvent> dispatch() {
        if (!hasData) {
            eventType = "";
            return Optional.empty();
        }
        SseEvent event = new SseEvent(eventType.isEmpty() ? "message" : eventType, data.toString());
        data.setLength(0);
        hasData = false;
        eventType = "";
        return Optional.of(event);
    }
}
