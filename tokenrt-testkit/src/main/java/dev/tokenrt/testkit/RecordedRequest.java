package dev.tokenrt.testkit;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request the fake upstream received, kept so that tests can check what the gateway really sent
 * (headers, keys, the translated body).
 *
 * @param route    the endpoint
 * @param method   the HTTP method
 * @param path     the path without the query
 * @param query    the raw query string, empty when none
 * @param headers  every header, names in lower case, values in arrival order
 * @param body     the body as text (UTF-8)
 * @param scenario the scenario that was played for it
 */
public record RecordedRequest(Route route, String method, String path, String query, Map<String, List<String>> headers,
        String body, Scenario scenario) {

    public RecordedRequest {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(scenario, "scenario");
    }

    /** The first value of a header, by case-insensitive name. */
    public Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }
}
