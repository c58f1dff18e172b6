package dev.tokenrt.budget;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;

/**
 * The arithmetic of the generic cell rate algorithm, exact, shared by every {@link RateLimitStore} so that the
 * in-memory and the Redis buckets decide alike to the nanosecond.
 *
 * <p>A bucket keeps one number, its theoretical arrival time (TAT). Times are <em>scaled</em>: nanoseconds since
 * the epoch times the limit's rate ({@code limit} units per period), so that one unit's emission interval
 * {@code T = period / limit}, a fraction of a nanosecond in general, becomes the period in nanoseconds, an integer.
 * A request of {@code n} units is admitted when {@code max(TAT, now) + n·period − now ≤ burst·period}; the TAT then
 * moves to {@code max(TAT, now) + n·period}. Products are {@link BigInteger}s: nothing overflows, nothing is rounded
 * except a retry-after, which rounds up to the nanosecond.
 */
public final class Gcra {

    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);
    private static final BigInteger NANOS_PER_MILLI = BigInteger.valueOf(1_000_000L);

    private Gcra() {
    }

    /** {@code now} in the limit's scaled time. */
    public static BigInteger scaledNow(Instant now, RateLimit limit) {
        return nanos(now).multiply(BigInteger.valueOf(limit.limit()));
    }

    /** What {@code units} move a TAT by, in scaled time. */
    public static BigInteger increment(long units, RateLimit limit) {
        return BigInteger.valueOf(units).multiply(BigInteger.valueOf(limit.per().nanos()));
    }

    /** The bucket's capacity in scaled time: its burst. */
    public static BigInteger capacity(RateLimit limit) {
        return BigInteger.valueOf(limit.burst()).multiply(BigInteger.valueOf(limit.per().nanos()));
    }

    /** How long until an excess (fill beyond capacity, scaled) has drained: rounded up, so retrying then succeeds. */
    public static Duration drain(BigInteger scaledExcess, RateLimit limit) {
        BigInteger[] qr = scaledExcess.divideAndRemainder(BigInteger.valueOf(limit.limit()));
        BigInteger ns = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        BigInteger[] sn = ns.divideAndRemainder(NANOS_PER_SECOND);
        return Duration.ofSeconds(sn[0].longValueExact(), sn[1].longValueExact());
    }

    /** {@link #drain} in whole milliseconds, rounded up (for a store's key expiry). */
    public static long drainMillis(BigInteger scaled, RateLimit limit) {
        BigInteger perMilli = NANOS_PER_MILLI.multiply(BigInteger.valueOf(limit.limit()));
        BigInteger[] qr = scaled.divideAndRemainder(perMilli);
        BigInteger ms = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        return ms.min(BigInteger.valueOf(Long.MAX_VALUE / 2)).longValueExact();
    }

    /** How many units a bucket with this TAT could admit at {@code now}. */
    public static long available(BigInteger tat, BigInteger now, RateLimit limit) {
        BigInteger period = BigInteger.valueOf(limit.per().nanos());
        BigInteger free = capacity(limit).subtract(tat.max(now).subtract(now));
        return free.signum() <= 0 ? 0 : free.divide(period).longValueExact();
    }

    /**
     * The bucket a limit counts a subject in. It names the rate as well as the limit and the subject, because a
     * TAT is only meaningful at the rate it was scaled by: a limit whose rate is changed starts afresh (full).
     */
    public static String bucket(RateLimit limit, String subjectId) {
        return limit.id() + "|" + subjectId + "|" + limit.limit() + "/" + limit.per().name().toLowerCase(java.util.Locale.ROOT);
    }

    static BigInteger nanos(Instant t) {
        return BigInteger.valueOf(t.getEpochSecond()).multiply(NANOS_PER_SECOND).add(BigInteger.valueOf(t.getNano()));
    }
}
