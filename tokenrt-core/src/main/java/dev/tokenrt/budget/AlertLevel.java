package dev.tokenrt.budget;

import java.util.Locale;

/** The thresholds a budget's spend crosses within one window, in the order it crosses them. */
public enum AlertLevel {
    /** {@code used >= warn_at × limit}. */
    WARN,
    /** {@code used >= critical_at × limit}. */
    CRITICAL,
    /** {@code used >= limit}: the budget is spent. */
    EXCEEDED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
