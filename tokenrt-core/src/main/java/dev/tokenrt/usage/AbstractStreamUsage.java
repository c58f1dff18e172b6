package dev.tokenrt.usage;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.sse.SseParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.Optional;

/**
 * What every {@link StreamUsage} shares: SSE decoding, the finish-exactly-once guard and a snapshot of the latest
 * figures that other threads may read. Subclasses only say how an event changes the figures.
 */
abstract class AbstractStreamUsage {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SseParser sse = new SseParser();
    private volatile Usage latest;
    private volatile boolean finished;
    private boolean closed;

    public final void accept(JsonNode event) {
        ensureOpen();
        if (event != null && event.isObject()) {
            onEvent(event);
        }
    }

    public final void acceptLine(String line) {
        ensureOpen();
        sse.line(line).ifPresent(this::accept);
    }

    public final void acceptText(CharSequence text) {
        ensureOpen();
        for (SseEvent event : sse.feed(text)) {
            accept(event);
        }
    }

    public final void accept(SseEvent event) {
        ensureOpen();
        if (event.isDone()) {
            onDone();
            return;
        }
        if (event.data().isBlank()) {
            return;
        }
        JsonNode node;
        try {
            node = JSON.readTree(event.data());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("SSE event '" + event.event() + "' does not carry JSON: "
                    + e.getOriginalMessage(), e);
        }
        accept(node);
    }

    public final boolean finished() {
        return finished;
    }

    public final Optional<Usage> usage() {
        return Optional.ofNullable(latest);
    }

    public final Optional<Usage> finish() {
        ensureOpen();
        try {
            sse.end().ifPresent(this::acceptTrailing);
        } finally {
            closed = true;
        }
        return usage();
    }

    /**
     * An event left without its closing blank line when the stream ended. Its JSON may have been cut by a dropped
     * connection; that part is ignored so the figures reported before it still settle the request.
     */
    private void acceptTrailing(SseEvent event) {
        if (event.isDone()) {
            onDone();
            return;
        }
        JsonNode node;
        try {
            node = JSON.readTree(event.data());
        } catch (JsonProcessingException e) {
            return;
        }
        if (node != null && node.isObject()) {
            onEvent(node);
        }
    }

    /** Applies one JSON event. */
    abstract void onEvent(JsonNode event);

    /** The OpenAI {@code [DONE]} sentinel; the end of the stream for formats that use it. */
    void onDone() {
        markFinished();
    }

    final void update(Usage usage) {
        latest = usage;
    }

    final void markFinished() {
        finished = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("stream usage already finished: finish() hands over usage once");
        }
    }
}
