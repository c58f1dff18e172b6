package dev.tokenrt.provider;

import java.util.Objects;

/**
 * An error the provider reported in place of (or in the middle of) a response: an Anthropic {@code error}
 * event, an OpenAI chunk carrying {@code error}, a Gemini error object. Decoders throw it so that the
 * pipeline stops the stream, settles what was already produced, and answers the client in its own error
 * shape; the events decoded before it stay valid.
 *
 * @see WireFormat#error(int, String, String, String, String)
 */
public final class ProviderErrorException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;

    public ProviderErrorException(int status, String type, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.status = status;
        this.type = Objects.requireNonNull(type, "type");
    }

    /** The HTTP status the provider used or implied (for example 529 for Anthropic's overloaded_error). */
    public int status() {
        return status;
    }

    /** The provider's own error type or status name ({@code overloaded_error}, {@code RESOURCE_EXHAUSTED}). */
    public String type() {
        return type;
    }
}
