package dev.tokenrt.cache.semantic;

/**
 * An observed proportion with its two-sided Wilson score interval: {@code k} of {@code n} at {@code confidence}.
 * The Wilson interval is the usual choice for small {@code k}: unlike the normal approximation it never collapses to
 * a zero-width interval at {@code k = 0}, which is exactly the case a rarely-wrong cache lives in.
 *
 * @param k          events counted (say wrong hits among audited ones)
 * @param n          trials (audited would-be hits)
 * @param estimate   k / n (0 when n is 0)
 * @param lower      the interval's lower end
 * @param upper      the interval's upper end (1 when n is 0: nothing is known)
 * @param confidence the interval's coverage, for example 0.95
 */
public record Proportion(long k, long n, double estimate, double lower, double upper, double confidence) {

    /** The Wilson interval of {@code k} in {@code n}. */
    public static Proportion wilson(long k, long n, double confidence) {
        if (k < 0 || n < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n, got k=" + k + ", n=" + n);
        }
        if (n == 0) {
            return new Proportion(0, 0, 0, 0, 1, confidence);
        }
        double z = Normal.quantile(0.5 + confidence / 2);
        return new Proportion(k, n, (double) k / n, bound(k, n, z, -1), bound(k, n, z, +1), confidence);
    }

    /** The one-sided upper Wilson bound of {@code k} in {@code n} at {@code confidence} (1 when n is 0). */
    public static double upperBound(long k, long n, double confidence) {
        return n == 0 ? 1 : bound(k, n, Normal.quantile(confidence), +1);
    }

    private static double bound(long k, long n, double z, int sign) {
        double p = (double) k / n;
        double z2 = z * z;
        double centre = p + z2 / (2.0 * n);
        double spread = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        double value = (centre + sign * spread) / (1 + z2 / n);
        return Math.min(1, Math.max(0, value));
    }

    /** This proportion scaled by a known factor (say the share of lookups served), interval included. */
    public Proportion times(double factor) {
        return new Proportion(k, n, estimate * factor, lower * factor, upper * factor, confidence);
    }

    /**
     * The standard normal quantile, by Acklam's rational approximation (relative error below 1.2e-9), written by
     * hand because core takes no maths library for one function.
     */
    static final class Normal {
        private static final double[] A = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        private static final double[] B = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01};
        private static final double[] C = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        private static final double[] D = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00};

        private Normal() {
        }

        static double quantile(double p) {
            if (!(p > 0 && p < 1)) {
                throw new IllegalArgumentException("probability must be in (0, 1), got " + p);
            }
            double low = 0.02425;
            if (p < low) {
                double q = Math.sqrt(-2 * Math.log(p));
                return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                        / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
            }
            if (p > 1 - low) {
                return -quantile(1 - p);
            }
            double q = p - 0.5;
            double r = q * q;
            return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
                    / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
        }
    }
}
