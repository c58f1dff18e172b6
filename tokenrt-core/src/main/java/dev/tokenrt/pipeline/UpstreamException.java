package dev.tokenrt.pipeline;

import java.time.Duration;
import java.util.Optional;

/**
 * A provider call failed: an HTTP error status from the provider, a timeout, or a broken connection.
 * Carries what retry and fallback decisions need; the message never contains the provider key.
 */
public final class UpstreamException extends RuntimeException {

    private final int status;
    private final boolean timeout;
    private final Optional<Duration> retryAfter;
    private final String body;

    public UpstreamException(int status, String message, String body, Optional<Duration> retryAfter, boolean timeout,
            Throwable cause) {
        super(message, cause);
        this.status = status;
        this.body = body;
        this.retryAfter = retryAfter;
        this.timeout = timeout;
    }

    public static UpstreamException timeout(String what) {
        return new UpstreamException(504, what, "", Optional.empty(), true, null);
    }

    public static UpstreamException connection(String message, Throwable cause) {
        return new UpstreamException(502, message, "", Optional.empty(), false, cause);
    }

    /** The provider's HTTP status; 502 for a broken connection, 504 for a timeout. */
    public int status() {
        return status;
    }

    public boolean isTimeout() {
        return timeout;
    }

    public Optional<Duration> retryAfter() {
        return retryAfter;
    }

    /** The provider's error body, for passing its message on. */
    public String body() {
        return body;
    }

    /** Worth retrying or falling back: 408, 409, 429, 5xx, timeouts and broken connections. */
    public boolean retryable() {
        return timeout || status == 408 || status == 409 || status == 429 || status >= 500;
    }
}
