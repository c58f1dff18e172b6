package dev.tokenrt.budget;

import java.util.Locale;

/** How much of a shared pool a tier's keys may claim when it is contended, highest first. */
public enum Priority {
    CRITICAL, HIGH, MEDIUM, LOW;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Priority parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
