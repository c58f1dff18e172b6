package dev.tokenrt.budget;

import java.util.Locale;

/**
 * What a budget counts. Each has one integer unit so that counters never hold a fraction: nano-USD for
 * cost (see {@link dev.tokenrt.pricing.Money}), tokens (input plus output, inclusive totals), or requests.
 */
public enum Metric {
    COST_USD, TOKENS, REQUESTS;

    /** The configuration spelling: {@code cost_usd}, {@code tokens}, {@code requests}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Metric parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
