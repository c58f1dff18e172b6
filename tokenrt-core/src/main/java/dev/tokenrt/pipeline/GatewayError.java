package dev.tokenrt.pipeline;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A request-level failure in neutral terms; the HTTP face renders it in the caller's own error format
 * (OpenAI, Anthropic, Gemini) with {@link Kind#status()} unless a more specific status is given.
 *
 * @param kind       what went wrong
 * @param status     the HTTP status to answer with
 * @param message    a message for the caller; never contains a secret
 * @param param      the request parameter at fault, or empty
 * @param code       a machine-readable code (e.g. {@code budget_exceeded}), or empty
 * @param retryAfter when the caller may retry (429, 503), if known
 */
public record GatewayError(Kind kind, int status, String message, String param, String code,
        Optional<Duration> retryAfter) {

    public GatewayError {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(retryAfter, "retryAfter");
    }

    public static GatewayError of(Kind kind, String message) {
        return new GatewayError(kind, kind.status(), message, "", "", Optional.empty());
    }

    public GatewayError withParam(String p) {
        return new GatewayError(kind, status, message, p, code, retryAfter);
    }

    public GatewayError withCode(String c) {
        return new GatewayError(kind, status, message, param, c, retryAfter);
    }

    public GatewayError withRetryAfter(Duration d) {
        return new GatewayError(kind, status, message, param, code, Optional.of(d));
    }

    public GatewayError withStatus(int s) {
        return new GatewayError(kind, s, message, param, code, retryAfter);
    }

    /** The neutral error kinds and their default statuses (DESIGN.md, Conventions). */
    public enum Kind {
        INVALID_REQUEST(400), AUTHENTICATION(401), PERMISSION(403), NOT_FOUND(404), TOO_LARGE(413),
        RATE_LIMITED(429), BUDGET_EXCEEDED(429), UPSTREAM(502), UNAVAILABLE(503), TIMEOUT(504),
        INTERNAL(500);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
