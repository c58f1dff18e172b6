package dev.tokenrt.provider;

import java.util.Objects;

/**
 * A client request (or a neutral request being written) that a wire format cannot accept. It carries what
 * the client needs to fix it: the HTTP status to answer with (400), the offending parameter as a path into
 * the request body ({@code messages[2].content[0].type}), and a message a person can act on. Unchecked,
 * because it ends the request at the edge and every face maps it the same way, with {@link WireFormat#error}.
 */
public final class FormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String param;

    public FormatException(String param, String message) {
        this(400, param, message);
    }

    public FormatException(int status, String param, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.status = status;
        this.param = Objects.requireNonNull(param, "param");
    }

    /** The HTTP status to answer with. */
    public int status() {
        return status;
    }

    /** Path of the offending parameter in the request body; empty when the body as a whole is wrong. */
    public String param() {
        return param;
    }
}
