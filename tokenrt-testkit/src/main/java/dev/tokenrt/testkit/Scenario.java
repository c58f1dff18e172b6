package dev.tokenrt.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What the fake upstream does with one request. Chosen per request by the {@code x-fake-scenario} header,
 * or by a model named {@code scenario:<name>}, or by the server's default; written {@code name} or
 * {@code name:argument} (for example {@code server-error:503}, {@code slow-first-byte:250}).
 *
 * @param kind     what to do
 * @param argument the optional argument after the colon (an HTTP status, a delay in milliseconds)
 */
public record Scenario(Kind kind, Optional<String> argument) {

    /** The behaviours the fake upstream can play. */
    public enum Kind {
        /** A recorded successful response, with the request's model echoed where the format carries it. */
        OK("ok"),
        /** As {@link #OK} but without usage: no usage chunk in a stream, no usage object in a body. */
        NO_USAGE("no-usage"),
        /** Part of the response, then the TCP connection is dropped. */
        BROKEN_STREAM("broken-stream"),
        /** 429 with {@code retry-after: 1} and the provider's recorded rate-limit body. */
        RATE_LIMIT("rate-limit"),
        /** A 5xx in the provider's error format; the argument picks the status (500 by default; 502, 503, 529). */
        SERVER_ERROR("server-error"),
        /** As {@link #OK} after a delay before the first byte (the argument in milliseconds, or the server's option). */
        SLOW_FIRST_BYTE("slow-first-byte"),
        /** A recorded tool-call response or stream. */
        TOOL_CALL("tool-call"),
        /** A recorded response whose usage has cached (and, for Anthropic, cache-creation) tokens. */
        CACHED("cached"),
        /** A generated answer of a configurable number of chunks and a fixed small usage, for load tests. */
        SYNTHETIC("synthetic");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        static Optional<Kind> byWireName(String name) {
            for (Kind k : values()) {
                if (k.wireName.equals(name)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    public static final Scenario OK = new Scenario(Kind.OK, Optional.empty());

    public Scenario {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(argument, "argument");
    }

    public static Scenario of(Kind kind) {
        return new Scenario(kind, Optional.empty());
    }

    /**
     * Parses {@code name} or {@code name:argument}.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static Scenario parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        int colon = t.indexOf(':');
        String name = colon < 0 ? t : t.substring(0, colon);
        Optional<String> arg = colon < 0 ? Optional.empty() : Optional.of(t.substring(colon + 1));
        Kind kind = Kind.byWireName(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown fake scenario '" + name + "'; known: " + known()));
        return new Scenario(kind, arg);
    }

    /** Parses a comma-separated list, the form a retry sequence takes. */
    public static List<Scenario> parseList(String text) {
        List<Scenario> out = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                out.add(parse(part));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("empty fake scenario list");
        }
        return List.copyOf(out);
    }

    static String known() {
        List<String> names = new ArrayList<>();
        for (Kind k : Kind.values()) {
            names.add(k.wireName());
        }
        return String.join(", ", names);
    }

    /** The argument as an integer, if it is one. */
    Optional<Integer> intArgument() {
        try {
            return argument.map(Integer::parseInt);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The delay before the first byte this scenario asks for, on top of the server's latency. */
    Duration firstByteDelay(Duration slowFirstByteDefault) {
        if (kind != Kind.SLOW_FIRST_BYTE) {
            return Duration.ZERO;
        }
        return intArgument().map(Duration::ofMillis).orElse(slowFirstByteDefault);
    }

    @Override
    public String toString() {
        return kind.wireName() + argument.map(a -> ":" + a).orElse("");
    }
}
