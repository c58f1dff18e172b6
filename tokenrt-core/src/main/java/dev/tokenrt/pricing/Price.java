package dev.tokenrt.pricing;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Objects;

/**
 * One price with its provenance: an exact decimal number of US dollars per one million tokens, the catalog
 * it came from and the date it was published or took effect. Prices stay per million because that is how
 * every provider publishes them, so the catalog can be read against a pricing page without arithmetic;
 * {@link #usdPerToken()} gives the per-token figure when needed. Never a {@code double}.
 *
 * @param usdPerMillion USD per 1,000,000 tokens, exact, never negative
 * @param source        where the figure came from: {@code litellm}, {@code genai-prices}, {@code derived}
 *                      (a documented rule, see the cross-check report) or {@code override} (a user file)
 * @param date          the source's date for this figure
 */
public record Price(BigDecimal usdPerMillion, String source, LocalDate date) {

    private static final int PER_MILLION_SCALE = 6;

    public Price {
        Objects.requireNonNull(usdPerMillion, "usdPerMillion");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(date, "date");
        if (usdPerMillion.signum() < 0) {
            throw new IllegalArgumentException("price cannot be negative: " + usdPerMillion.toPlainString());
        }
        if (source.isBlank()) {
            throw new IllegalArgumentException("price source cannot be blank");
        }
        usdPerMillion = canonical(usdPerMillion);
    }

    public static Price of(String usdPerMillion, String source, LocalDate date) {
        return new Price(new BigDecimal(usdPerMillion), source, date);
    }

    /** Exact USD per single token (the per-million figure with the point moved six places). */
    public BigDecimal usdPerToken() {
        return canonical(usdPerMillion.movePointLeft(PER_MILLION_SCALE));
    }

    /** The catalog's text form: plain decimal, no exponent, no trailing zeros. */
    public String plain() {
        return usdPerMillion.toPlainString();
    }

    /** The same figure with another provenance. */
    public Price withSource(String newSource, LocalDate newDate) {
        return new Price(usdPerMillion, newSource, newDate);
    }

    /** Numeric equality, ignoring provenance and scale. */
    public boolean sameAmount(Price other) {
        return usdPerMillion.compareTo(other.usdPerMillion) == 0;
    }

    static BigDecimal canonical(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }
}
