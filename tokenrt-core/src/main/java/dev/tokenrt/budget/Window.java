package dev.tokenrt.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One period window, {@code [start, end)} on the UTC time line: the stretch of time a budget's counter
 * covers. Counters are keyed by their window's start, so a new window is a new counter and nothing has to
 * be reset at midnight.
 */
public record Window(Instant start, Instant end) {

    /** The window of a {@link Period#TOTAL} budget: it never closes. */
    public static final Window FOREVER = new Window(Instant.MIN, Instant.MAX);

    public Window {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        if (!end.isAfter(start)) {
            throw new IllegalArgumentException("a window must end after it starts: " + start + " .. " + end);
        }
    }

    public boolean isForever() {
        return equals(FOREVER);
    }

    public boolean contains(Instant t) {
        return !t.isBefore(start) && t.isBefore(end);
    }

    /** How long until the window closes and a new one opens; empty for {@link #FOREVER}. */
    public Optional<Duration> reopensIn(Instant now) {
        if (isForever()) {
            return Optional.empty();
        }
        Duration d = Duration.between(now, end);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
    }

    /** A stable text for counter keys and alert de-duplication: the start in epoch seconds, or {@code total}. */
    public String keyPart() {
        return isForever() ? "total" : Long.toString(start.getEpochSecond());
    }

    public Duration length() {
        return isForever() ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.between(start, end);
    }
}
