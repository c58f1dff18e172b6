package dev.tokenrt.pipeline;

import dev.tokenrt.chat.ChatEvent;
import java.util.Optional;

/**
 * A streamed response, pulled event by event by whoever writes it to the client. Steps wrap it to account
 * as events pass (settle, record, cache store). {@link #close()} before the end means the client went away:
 * the upstream call is cancelled and whatever was generated so far is still charged.
 */
public interface EventStream extends AutoCloseable {

    /**
     * The next event, blocking until it arrives; empty at the end of the stream.
     *
     * @throws UpstreamException if the upstream failed mid-stream
     */
    Optional<ChatEvent> next();

    /** Cancels the stream if it has not ended. Idempotent. */
    @Override
    void close();
}
