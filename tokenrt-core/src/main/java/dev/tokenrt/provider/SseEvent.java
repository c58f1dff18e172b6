package dev.tokenrt.provider;

import java.util.Objects;

/** One server-sent event: its {@code event:} name (empty when absent) and its {@code data:} text. */
public record SseEvent(String event, String data) {
    public SseEvent {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(data, "data");
    }
}
