package dev.tokenrt.budget;

import java.util.Locale;

/**
 * What happens when a request does not fit a budget (after clamping {@code max_tokens} has been tried).
 * Every action but {@link #ALLOW} makes the budget hard: it is never overshot.
 */
public enum Action {
    /** Let it through; the budget only counts and alerts. */
    ALLOW,
    /** Answer 429 ({@code insufficient_quota}, code {@code budget_exceeded}). */
    DENY,
    /** Send it to the budget's cheaper {@code degrade_to} model instead. */
    DEGRADE,
    /** Answer 429 with {@code retry-after} at the start of the next window. */
    THROTTLE,
    /** Hold the request up to a configured wait for room to appear, then deny. */
    QUEUE;

    public boolean isHard() {
        return this != ALLOW;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Action parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
