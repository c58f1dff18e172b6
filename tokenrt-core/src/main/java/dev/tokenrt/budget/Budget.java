package dev.tokenrt.budget;

import dev.tokenrt.pricing.Money;
import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;

/**
 * One spending rule: "team acme may spend 50 USD a day, warn at 80 %, deny beyond". Immutable
 * configuration; the figures it limits live in a {@link CounterStore}, one counter per window.
 *
 * @param id         unique and stable: counters and alerts are keyed by it
 * @param scope      who it applies to
 * @param scopeId    the member of the scope ({@code "acme"}); {@code ""} for {@link Scope#GLOBAL};
 *                   {@value #EACH} for "each member separately" (every user gets their own 5 USD a day)
 * @param period     how often it starts afresh
 * @param metric     what it counts
 * @param limit      the most it allows per window, in the metric's unit (nano-USD for cost)
 * @param warnAt     the fraction of the limit at which a warning alert fires (0.8 by default)
 * @param criticalAt the fraction at which a critical alert fires (0.95 by default)
 * @param action     what happens to a request that does not fit
 * @param degradeTo  the cheaper model for {@link Action#DEGRADE}; empty for every other action
 * @param pool       present when the budget is a pool shared by priority: the limit is split between the
 *                   priorities of the requests' tiers by these weights (see {@link BudgetStep}'s "Pools")
 */
public record Budget(String id, Scope scope, String scopeId, Period period, Metric metric, long limit,
        BigDecimal warnAt, BigDecimal criticalAt, Action action, Optional<String> degradeTo,
        Optional<PriorityPool> pool) {

    /** The scope id meaning "each member of the scope, counted separately". */
    public static final String EACH = "*";
    public static final BigDecimal DEFAULT_WARN_AT = new BigDecimal("0.8");
    public static final BigDecimal DEFAULT_CRITICAL_AT = new BigDecimal("0.95");

    public Budget {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("budget id is required");
        }
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(scopeId, "scopeId");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(warnAt, "warnAt");
        Objects.requireNonNull(criticalAt, "criticalAt");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(degradeTo, "degradeTo");
        Objects.requireNonNull(pool, "pool");
        if (pool.isPresent() && !action.isHard()) {
            throw new IllegalArgumentException("budget " + id + ": a pool shared by priority needs a hard action "
                    + "(deny, degrade, throttle or queue), not allow");
        }
        if (scope == Scope.GLOBAL && !scopeId.isEmpty()) {
            throw new IllegalArgumentException("budget " + id + ": a global budget has no scope id");
        }
        if (scope != Scope.GLOBAL && scopeId.isBlank()) {
            throw new IllegalArgumentException("budget " + id + ": scope " + scope.wireName() + " needs a scope id (or "
                    + EACH + ")");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("budget " + id + ": limit cannot be negative");
        }
        if (!isFraction(warnAt) || !isFraction(criticalAt) || warnAt.compareTo(criticalAt) > 0) {
            throw new IllegalArgumentException("budget " + id + ": need 0 < warn_at <= critical_at <= 1, got "
                    + warnAt.toPlainString() + " and " + criticalAt.toPlainString());
        }
        if (action == Action.DEGRADE && degradeTo.filter(m -> !m.isBlank()).isEmpty()) {
            throw new IllegalArgumentException("budget " + id + ": action degrade needs degrade_to");
        }
        if (action != Action.DEGRADE && degradeTo.isPresent()) {
            throw new IllegalArgumentException("budget " + id + ": degrade_to is only meaningful with action degrade");
        }
    }

    /** An ordinary budget (not a pool). */
    public Budget(String id, Scope scope, String scopeId, Period period, Metric metric, long limit,
            BigDecimal warnAt, BigDecimal criticalAt, Action action, Optional<String> degradeTo) {
        this(id, scope, scopeId, period, metric, limit, warnAt, criticalAt, action, degradeTo, Optional.empty());
    }

    /** A budget with the default alert thresholds and no degrade target. */
    public static Budget of(String id, Scope scope, String scopeId, Period period, Metric metric, long limit,
            Action action) {
        return new Budget(id, scope, scopeId, period, metric, limit, DEFAULT_WARN_AT, DEFAULT_CRITICAL_AT, action,
                Optional.empty());
    }

    /** A degrading budget with the default alert thresholds. */
    public static Budget degrading(String id, Scope scope, String scopeId, Period period, Metric metric, long limit,
            String degradeTo) {
        return new Budget(id, scope, scopeId, period, metric, limit, DEFAULT_WARN_AT, DEFAULT_CRITICAL_AT,
                Action.DEGRADE, Optional.of(degradeTo));
    }

    public Budget withThresholds(BigDecimal warn, BigDecimal critical) {
        return new Budget(id, scope, scopeId, period, metric, limit, warn, critical, action, degradeTo, pool);
    }

    /** The same budget as a pool shared by priority with these weights. */
    public Budget sharedBy(PriorityPool weights) {
        return new Budget(id, scope, scopeId, period, metric, limit, warnAt, criticalAt, action, degradeTo,
                Optional.of(weights));
    }

    public boolean appliesToEachMember() {
        return EACH.equals(scopeId);
    }

    /** "team 'acme'", "each user", "global": for messages. */
    public String scopeText() {
        if (scope == Scope.GLOBAL) {
            return "global";
        }
        return appliesToEachMember() ? "each " + scope.wireName() : scope.wireName() + " '" + scopeId + "'";
    }

    /** An amount in this budget's unit, for messages: {@code 1.25 USD}, {@code 1000 tokens}, {@code 3 requests}. */
    public String format(long amount) {
        return switch (metric) {
            case COST_USD -> Money.format(amount) + " USD";
            case TOKENS -> amount + (amount == 1 ? " token" : " tokens");
            case REQUESTS -> amount + (amount == 1 ? " request" : " requests");
        };
    }

    private static boolean isFraction(BigDecimal f) {
        return f.signum() > 0 && f.compareTo(BigDecimal.ONE) <= 0;
    }
}
