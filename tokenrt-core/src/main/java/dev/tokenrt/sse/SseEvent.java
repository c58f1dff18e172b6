package dev.tokenrt.sse;

import java.util.Objects;

/**
 * One Server-Sent Event as dispatched by {@link SseParser}: its type (the {@code event:} field, {@code message}
 * when absent) and its data (the {@code data:} lines joined with line feeds).
 */
public record SseEvent(String event, String data) {

    /** The payload OpenAI and compatible servers send last, in place of JSON. */
    public static final String DONE = "[DONE]";

    public SseEvent {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(data, "data");
    }

    /** True for OpenAI's end-of-stream sentinel {@code data: [DONE]}. */
    public boolean isDone() {
        return DONE.equals(data.strip());
    }
}
