package dev.tokenrt.budget;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Splits a shared pool (a team's monthly dollars, a provider's tokens per minute) between priorities by
 * weight, so that under contention critical work gets the most and low-priority work still gets some,
 * while a priority that does not need its share leaves it to the others. A budget carries one as its
 * {@link Budget#pool()}; {@link BudgetStep} enforces it (its class comment, "Pools", says exactly how).
 *
 * <p><b>Definition</b> ({@link #shares(long, Map)}): weighted water-filling, i.e. weighted max-min fairness.
 * Start with every priority that has demand and a positive weight, and the whole pool. Split what is left
 * between them in proportion to their weights; every priority whose demand fits in its split gets exactly
 * its demand and leaves; repeat with what is left until no one leaves, then each remaining priority gets its
 * split. If demand is met everywhere and something is left over, the leftover is split by weight between
 * all priorities (as headroom), so that shares always sum to the pool exactly. A priority with weight 0 gets
 * only leftover — none, in fact, since leftover goes by weight.
 *
 * <p><b>Arithmetic.</b> Integers only (the pool is nano-USD or tokens). Weights are exact decimals scaled to
 * integers. Each split is the largest-remainder (Hamilton) method: everyone gets
 * {@code floor(amount × weight / total weight)}; the few units left over by flooring (fewer than the number of
 * parties) go one each to the largest remainders, ties to the higher priority. So every split sums to its
 * amount exactly, and no share is off its exact proportion by a whole unit.
 */
public final class PriorityPool {

    private final Map<Priority, BigInteger> weights;
    /** The weights as configured (trailing zeros stripped): for text, JSON and equality. */
    private final Map<Priority, BigDecimal> decimals;

    private PriorityPool(Map<Priority, BigInteger> weights, Map<Priority, BigDecimal> decimals) {
        this.weights = weights;
        this.decimals = decimals;
    }

    /** critical 0.5, high 0.3, medium 0.15, low 0.05. */
    public static PriorityPool defaults() {
        return of(Map.of(Priority.CRITICAL, new BigDecimal("0.5"), Priority.HIGH, new BigDecimal("0.3"),
                Priority.MEDIUM, new BigDecimal("0.15"), Priority.LOW, new BigDecimal("0.05")));
    }

    /** Weights need not sum to one (only their ratios matter); missing priorities weigh 0. */
    public static PriorityPool of(Map<Priority, BigDecimal> weights) {
        int scale = 0;
        for (Map.Entry<Priority, BigDecimal> e : weights.entrySet()) {
            Objects.requireNonNull(e.getValue(), "weight");
            if (e.getValue().signum() < 0) {
                throw new IllegalArgumentException("weight of " + e.getKey().wireName() + " cannot be negative");
            }
            scale = Math.max(scale, e.getValue().stripTrailingZeros().scale());
        }
        Map<Priority, BigInteger> w = new EnumMap<>(Priority.class);
        Map<Priority, BigDecimal> dec = new EnumMap<>(Priority.class);
        BigInteger total = BigInteger.ZERO;
        for (Priority p : Priority.values()) {
            BigDecimal d = weights.getOrDefault(p, BigDecimal.ZERO);
            BigInteger i = d.setScale(Math.max(scale, 0), java.math.RoundingMode.UNNECESSARY).unscaledValue();
            w.put(p, i);
            BigDecimal plain = d.stripTrailingZeros();
            dec.put(p, plain.scale() < 0 ? plain.setScale(0) : plain);
            total = total.add(i);
        }
        if (total.signum() == 0) {
            throw new IllegalArgumentException("at least one weight must be positive");
        }
        return new PriorityPool(w, dec);
    }

    /**
     * The weights as text, {@code critical=0.5,high=0.3,medium=0.15,low=0.05} (every priority, highest first):
     * how the database keeps them.
     */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Priority p : Priority.values()) {
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(p.wireName()).append('=').append(decimals.get(p).toPlainString());
        }
        return sb.toString();
    }

    /** Reads {@link #text()}; a priority left out weighs 0. */
    public static PriorityPool parse(String text) {
        Map<Priority, BigDecimal> w = new EnumMap<>(Priority.class);
        for (String part : text.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("expected priority=weight, got '" + part + "'");
            }
            w.put(Priority.parse(kv[0]), new BigDecimal(kv[1].trim()));
        }
        return of(w);
    }

    /** Each priority's weight as configured. */
    public Map<Priority, BigDecimal> decimalWeights() {
        return Map.copyOf(decimals);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PriorityPool other && decimals.equals(other.decimals);
    }

    @Override
    public int hashCode() {
        return decimals.hashCode();
    }

    @Override
    public String toString() {
        return "PriorityPool[" + text() + "]";
    }

    /** The weights as integers on a common scale (their ratios are the configured ones). */
    public Map<Priority, BigInteger> weights() {
        return Map.copyOf(weights);
    }

    /** Each priority's share when every priority wants as much as it can get: the pool split by weight. */
    public Map<Priority, Long> split(long pool) {
        return split(pool, List.of(Priority.values()));
    }

    /**
     * Each priority's share given what each wants now (missing = 0), by weighted water-filling (see the class
     * comment). The shares sum to {@code pool}; a priority whose demand is met gets at least its demand.
     */
    public Map<Priority, Long> shares(long pool, Map<Priority, Long> demand) {
        requireNonNegative(pool, "pool");
        Map<Priority, Long> alloc = new EnumMap<>(Priority.class);
        for (Priority p : Priority.values()) {
            alloc.put(p, 0L);
        }
        List<Priority> active = new ArrayList<>();
        for (Priority p : Priority.values()) {
            long d = demand.getOrDefault(p, 0L);
            requireNonNegative(d, "demand of " + p.wireName());
            if (d > 0 && weights.get(p).signum() > 0) {
                active.add(p);
            }
        }
        long left = pool;
        while (!active.isEmpty()) {
            Map<Priority, Long> s = split(left, active);
            List<Priority> satisfied = new ArrayList<>();
            for (Priority p : active) {
                if (demand.get(p) <= s.get(p)) {
                    satisfied.add(p);
                }
            }
            if (satisfied.isEmpty()) {
                active.forEach(p -> alloc.put(p, s.get(p)));
                left = 0;
                break;
            }
            for (Priority p : satisfied) {
                alloc.put(p, demand.get(p));
                left -= demand.get(p);
            }
            active.removeAll(satisfied);
        }
        if (left > 0) {
            Map<Priority, Long> extra = split(left);
            extra.forEach((p, v) -> alloc.merge(p, v, Math::addExact));
        }
        return alloc;
    }

    /** Largest-remainder split of {@code amount} among {@code parties} by weight; others get 0. */
    private Map<Priority, Long> split(long amount, List<Priority> parties) {
        requireNonNegative(amount, "amount");
        Map<Priority, Long> out = new EnumMap<>(Priority.class);
        for (Priority p : Priority.values()) {
            out.put(p, 0L);
        }
        BigInteger total = BigInteger.ZERO;
        for (Priority p : parties) {
            total = total.add(weights.get(p));
        }
        if (total.signum() == 0) {
            return out;
        }
        BigInteger a = BigInteger.valueOf(amount);
        Map<Priority, BigInteger> remainders = new EnumMap<>(Priority.class);
        long given = 0;
        for (Priority p : parties) {
            BigInteger[] qr = a.multiply(weights.get(p)).divideAndRemainder(total);
            out.put(p, qr[0].longValueExact());
            remainders.put(p, qr[1]);
            given += qr[0].longValueExact();
        }
        List<Priority> order = new ArrayList<>(parties);
        order.sort(Comparator.comparing((Priority p) -> remainders.get(p)).reversed()
                .thenComparing(Comparator.naturalOrder()));
        long rest = amount - given;
        for (int i = 0; rest > 0; i++, rest--) {
            Priority p = order.get(i);
            out.put(p, out.get(p) + 1);
        }
        return out;
    }

    private static void requireNonNegative(long v, String what) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " cannot be negative");
        }
    }
}
