package dev.tokenrt.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A received request as the wire formats see it.
 *
 * @param route     the endpoint
 * @param pathModel the model named in the path (Gemini), empty otherwise
 * @param body      the parsed JSON body; empty for a GET
 * @param headers   lower-case names
 * @param query     query parameters (first value of each)
 * @param serial    a number unique to this request on this server, for generated ids
 */
record Incoming(Route route, Optional<String> pathModel, ObjectNode body, Map<String, List<String>> headers,
        Map<String, String> query, long serial) {

    Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    /** The model the client asked for: from the path for Gemini, from the body otherwise. */
    String model() {
        return pathModel.orElseGet(() -> body.path("model").asText(""));
    }

    boolean streamRequested() {
        return route == Route.GEMINI_STREAM || body.path("stream").asBoolean(false);
    }
}
