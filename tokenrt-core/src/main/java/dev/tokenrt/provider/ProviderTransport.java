package dev.tokenrt.provider;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.UpstreamException;

/**
 * Calls one configured provider (SPI). Implementations translate the neutral request into the provider's
 * wire format, send it, and translate the answer back; the gateway's transports speak HTTP, the built-in
 * fake provider answers in process. Calls block: they run on the request's virtual thread.
 */
public interface ProviderTransport extends AutoCloseable {

    /** The configured provider name (the ledger's {@code provider}). */
    String name();

    /**
     * A complete response.
     *
     * @throws UpstreamException on an HTTP error, a timeout or a broken connection
     */
    ProviderResponse complete(ChatRequest request, String upstreamModel);

    /**
     * A stream. Connection errors and an HTTP error status surface here, before any event, so that the caller
     * can still retry or fall back; failures after the first event surface from {@link EventStream#next()}.
     */
    EventStream stream(ChatRequest request, String upstreamModel);

    @Override
    default void close() {
    }
}
