package dev.tokenrt.testkit;

import java.util.List;
import java.util.Map;

/** What the fake upstream writes back for one request, before timing is applied. */
sealed interface Reply {

    int status();

    Map<String, String> headers();

    /**
     * A whole body.
     *
     * @param broken send the head with the full content length, half the body, then drop the connection
     */
    record Body(int status, Map<String, String> headers, String body, boolean broken) implements Reply {
        public Body {
            headers = Map.copyOf(headers);
        }
    }

    /**
     * A body written piece by piece with the server's chunk interval between pieces (server-sent events, or
     * Gemini's streamed JSON array).
     *
     * @param broken write the first half of the pieces, then drop the connection without ending the body
     */
    record Stream(int status, Map<String, String> headers, List<String> pieces, boolean broken) implements Reply {
        public Stream {
            headers = Map.copyOf(headers);
            pieces = List.copyOf(pieces);
        }
    }

    static Body json(int status, String body) {
        return new Body(status, Map.of("content-type", "application/json"), body, false);
    }
}
