package dev.tokenrt.pricing;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money is an exact integer number of nano-US-dollars (1e-9 USD) in a {@code long}: counters, the ledger
 * and Redis all hold it that way, and no {@code double} ever touches it. A long holds about 9.2 billion
 * dollars, which is enough for any one counter.
 */
public final class Money {

    public static final int SCALE = 9;
    private static final BigDecimal NANOS_PER_USD = BigDecimal.ONE.movePointRight(SCALE);

    private Money() {
    }

    /** Exact decimal USD to nanos; amounts finer than a nano-dollar round half-up (and are then exact). */
    public static long usdToNanos(BigDecimal usd) {
        return usd.movePointRight(SCALE).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** Parses a decimal string such as {@code "0.05"}; rejects anything that is not a plain decimal. */
    public static long parseUsd(String usd) {
        try {
            return usdToNanos(new BigDecimal(usd.trim()));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a USD amount: '" + usd + "'", e);
        }
    }

    public static BigDecimal nanosToUsd(long nanos) {
        return BigDecimal.valueOf(nanos, SCALE);
    }

    /** The canonical text form used on the wire and in reports: plain decimal, no exponent, no trailing zeros. */
    public static String format(long nanos) {
        if (nanos == 0) {
            return "0";
        }
        return nanosToUsd(nanos).stripTrailingZeros().toPlainString();
    }

    static BigDecimal nanosPerUsd() {
        return NANOS_PER_USD;
    }
}
