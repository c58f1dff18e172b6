package dev.tokenrt.budget;

import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.CounterStore.Hold;
import dev.tokenrt.budget.CounterStore.Reservation;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.pipeline.Interceptor;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.RoutingStep;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pricing.CostCalculator;
import dev.tokenrt.pricing.ModelPrice;
import dev.tokenrt.tokens.PromptBound;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reserve, then settle: the step that keeps hard budgets from being overshot. It runs after routing and
 * counting (TokenRuntime's {@code beforeCall} slot), so it knows the model that will answer and the prompt's
 * token count.
 *
 * <p><b>Reserve.</b> For every budget the request belongs to ({@link BudgetSource#applicable}) it computes
 * the worst case in the budget's metric: cost is the exact input cost plus {@code max_tokens} at the output
 * price (the model's maximum output when the client gave no {@code max_tokens}); tokens are input plus that
 * output; requests are one. It holds all of them at once through {@link CounterStore#reserve}: on every
 * counter or on none.
 *
 * <p><b>When a budget cannot cover it.</b> First, if what is left on every budget still pays for a useful
 * answer ({@link Builder#minUsefulOutputTokens}, 16 by default), {@code max_tokens} is clamped to what it
 * pays for (decision {@code clamp:max_tokens=N}). Otherwise the refusing budget's action applies: deny (429
 * {@code budget_exceeded}), throttle (429 with {@code retry-after} at the window's end), degrade (the same
 * provider, the budget's cheaper model, decision {@code degrade:<from>-><to>}, and the reserve is tried
 * again for it), or queue (wait on the injected sleeper, up to {@link Builder#maxQueueWait}, for in-flight
 * holds to settle or the window to reopen, then deny).
 *
 * <p><b>Settle.</b> A complete response settles at its usage at once; a stream settles when it ends, fails
 * or is closed, at the provider's usage or at the prompt plus what was generated (what the ledger records
 * for the same stream); a failure or an exception releases. Every path settles or releases exactly once;
 * a hold whose request vanished (a process died) expires after {@link Builder#holdTtl} and is swept.
 *
 * <p><b>Pools.</b> A budget with a {@link Budget#pool()} is a pool shared by priority: its limit is split between
 * the priorities of the requests' tiers ({@link Builder#priorities}, medium for a request without one) by the
 * pool's weights. Exactly:
 * <ul>
 *   <li>A priority is <em>active</em> while it has made a request in the current or the previous stretch of
 *       {@link Builder#poolIdleAfter} (one minute by default; stretches are aligned to the epoch), so for between
 *       one and two of them after its last request; else it is <em>idle</em>. The requesting priority is active.</li>
 *   <li>The pool's limit {@code L} is split by {@link PriorityPool#shares weighted water-filling}: an active
 *       priority wants as much as it can get, an idle one only what it has already used or holds in this window.
 *       So every idle priority keeps what it spent, and what it left flows to the active ones by weight; when every
 *       priority is active each is held to its weight's share of {@code L}.</li>
 *   <li>A request of priority {@code p} for amount {@code a} holds {@code a} on two counters at once, atomically
 *       in the store: the pool's ({@code used + held + a <= L}) and priority {@code p}'s
 *       ({@code used_p + held_p + a <= share_p}). Reserve-then-settle, clamping and the budget's action apply to
 *       either refusal as to an ordinary budget's.</li>
 * </ul>
 * So the hard limit is never overshot, on one process or across replicas: the pool's own counter is checked in
 * the same atomic reserve. The shares are computed from the counters read just before the reserve (one
 * {@link CounterStore#states} call); a concurrent change (another priority becoming active at the same moment)
 * can skew the split by what was in flight, never the total. Spend is not given back: a priority that wakes after
 * others spent its share while it was idle gets at most what is left of {@code L}. A priority of weight 0 never
 * draws on the pool.
 *
 * <p>Degrade re-targets the route chosen before this step: the request's model and the route's upstream
 * model both become {@code degrade_to} on the same provider. That is right when the cheaper model is sold by
 * the same provider (the common case: gpt-4o → gpt-4o-mini, claude-sonnet → claude-haiku); a degrade across
 * providers needs the budget check to move before routing, which this step does not do.
 */
public final class BudgetStep implements Interceptor {

    private static final Logger LOG = LoggerFactory.getLogger(BudgetStep.class);
    /**
     * Reserve attempts that re-plan after a refusal (clamp, or retry because room appeared). Under contention
     * each lost race means another request was granted, so progress is global; the bound only stops a store
     * whose {@code state} and {@code reserve} disagree from looping forever.
     */
    private static final int MAX_CLAMPS = 32;
    private static final int MAX_DEGRADES = 4;

    private final BudgetSource budgets;
    private final CounterStore store;
    private final PriceLookup prices;
    private final TokenCounting counting;
    private final Clock clock;
    private final ZoneId zone;
    private final int minUsefulOutputTokens;
    private final int defaultMaxOutputTokens;
    private final int inexactInputMarginPercent;
    private final Duration holdTtl;
    private final Duration maxQueueWait;
    private final Duration queuePollInterval;
    private final RoutingStep.Sleeper sleeper;
    private final Optional<ThresholdAlerts> alerts;
    private final boolean failOpen;
    private final Function<Attribution, Priority> priorities;
    private final long poolIdleMillis;
    private final AtomicLong holdSeq = new AtomicLong();

    private BudgetStep(Builder b) {
        this.budgets = Objects.requireNonNull(b.budgets, "budgets");
        this.store = Objects.requireNonNull(b.store, "counter store");
        this.prices = Objects.requireNonNull(b.prices, "prices");
        this.counting = Objects.requireNonNull(b.counting, "counting");
        this.clock = b.clock;
        this.zone = b.zone;
        this.minUsefulOutputTokens = b.minUsefulOutputTokens;
        this.defaultMaxOutputTokens = b.defaultMaxOutputTokens;
        this.inexactInputMarginPercent = b.inexactInputMarginPercent;
        this.holdTtl = b.holdTtl;
        this.maxQueueWait = b.maxQueueWait;
        this.queuePollInterval = b.queuePollInterval;
        this.sleeper = b.sleeper;
        this.alerts = b.alerts;
        this.failOpen = b.failOpen;
        this.priorities = b.priorities;
        this.poolIdleMillis = b.poolIdleAfter.toMillis();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Outcome intercept(Chain chain) {
        Exchange original = chain.exchange();
        List<Applicable> applicable;
        try {
            applicable = budgets.applicable(original.attribution());
        } catch (BudgetStoreException e) {
            // Which budgets apply cannot be known (their database is down): the same policy as for the counters.
            return storeUnavailable(chain, original, e);
        }
        if (applicable.isEmpty()) {
            return chain.proceed(original);
        }
        Priority priority = Priority.MEDIUM;
        if (applicable.stream().anyMatch(a -> a.budget().pool().isPresent())) {
            try {
                priority = priorities.apply(original.attribution());
            } catch (BudgetStoreException e) {
                return storeUnavailable(chain, original, e);
            }
        }
        Exchange base = original;
        Exchange ex = original;
        Set<String> modelsTried = new HashSet<>();
        Instant queueDeadline = null;
        Duration waited = Duration.ZERO;
        int clamps = 0;
        int degrades = 0;
        while (true) {
            Instant now = clock.instant();
            modelsTried.add(servedModel(ex));
            Plan plan;
            try {
                plan = plan(ex, applicable, priority, now);
            } catch (CounterStoreUnavailableException e) {
                return storeUnavailable(chain, ex, e); // a pool's shares could not be read
            }
            ex = plan.exchange();
            String holdId = ex.requestId() + "#" + holdSeq.incrementAndGet();
            Reservation r;
            try {
                r = store.reserve(holdId, plan.holds(), holdTtl);
            } catch (RuntimeException e) {
                releaseQuietly(holdId);
                return storeUnavailable(chain, ex, e);
            }
            if (r instanceof Reservation.Granted) {
                if (!waited.isZero()) {
                    ex = ex.withDecision("queue:waited=" + waited.toMillis() + "ms");
                }
                return run(chain, ex, plan, holdId);
            }
            Reservation.Refused refused = (Reservation.Refused) r;
            if (plan.inputBounded()) {
                // The free bound did not fit: count exactly (what the bound saved us on every request that fits) and
                // decide on the real figure.
                Optional<TokenCount> exact = UsageEstimate.prompt(ex, counting);
                if (exact.isPresent()) {
                    ex = ex.withInputCount(exact.get());
                    base = base.withInputCount(exact.get());
                    continue;
                }
            }
            Line line = plan.line(refused.key());
            OptionalLong affordable = affordableOutput(plan, refused);
            if (affordable.isPresent() && clamps < MAX_CLAMPS) {
                long n = affordable.getAsLong();
                if (n >= plan.maxOutput()) {
                    // Room appeared between the refusal and our look (holds settled): simply try again.
                    clamps++;
                    continue;
                }
                if (n >= minUsefulOutputTokens) {
                    clamps++;
                    int clamped = (int) Math.min(n, Integer.MAX_VALUE);
                    ex = ex.withRequest(ex.request().withMaxTokens(clamped)).withDecision("clamp:max_tokens=" + clamped);
                    continue;
                }
            }
            Budget budget = line.applicable().budget();
            switch (budget.action()) {
                case DEGRADE -> {
                    String from = servedModel(ex);
                    String to = budget.degradeTo().orElseThrow();
                    if (degrades < MAX_DEGRADES && !modelsTried.contains(to)) {
                        degrades++;
                        base = degrade(base, from, to);
                        ex = base;
                        continue;
                    }
                    return deny(ex, line, refused, " Its cheaper model '" + to + "' does not fit either.",
                            Optional.empty());
                }
                case QUEUE -> {
                    if (queueDeadline == null) {
                        queueDeadline = now.plus(maxQueueWait);
                    }
                    Optional<Duration> wait = queueWait(line.window(), refused, now, queueDeadline);
                    if (wait.isEmpty()) {
                        String after = waited.isZero() ? "" : " Waited " + waited.toMillis() + " ms.";
                        return deny(ex, line, refused, after, line.window().reopensIn(now));
                    }
                    try {
                        sleeper.sleep(wait.get());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return new Outcome.Failed(GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                                "interrupted while queued for budget '" + budget.id() + "'"), ex);
                    }
                    waited = waited.plus(wait.get());
                }
                case THROTTLE -> {
                    Optional<Duration> reopen = line.window().reopensIn(now);
                    if (reopen.isEmpty()) {
                        return deny(ex, line, refused, "", Optional.empty());
                    }
                    GatewayError e = GatewayError.of(GatewayError.Kind.RATE_LIMITED,
                            message(line, refused) + " Try again after " + line.window().end() + ".")
                            .withCode("budget_exceeded").withRetryAfter(reopen.get());
                    return new Outcome.Failed(e, ex);
                }
                case DENY, ALLOW -> {
                    return deny(ex, line, refused, "", Optional.empty());
                }
            }
        }
    }

    // ---------------------------------------------------------------- reserve

    /** What a line's counter is: a budget's (or a pool's total), a pool priority's share, or its activity. */
    private enum Kind { WHOLE, SHARE, ACTIVITY }

    /**
     * One counter as this request touches it.
     *
     * @param holdEnd when the counter may be forgotten (its window's end; later for an activity counter)
     */
    private record Line(Applicable applicable, Window window, String key, long limit, long amount, Kind kind,
            Priority priority, Instant holdEnd) {
        boolean hard() {
            return kind != Kind.ACTIVITY && applicable.budget().action().isHard();
        }

        Metric metric() {
            return applicable.budget().metric();
        }
    }

    /**
     * What a request would hold: the exchange it would proceed with (possibly with {@code max_tokens} set),
     * its price, the input and output it reserves for, and one line per budget.
     */
    private record Plan(Exchange exchange, Optional<ModelPrice> price, long input, boolean inputBounded, long maxOutput,
            List<Line> lines) {
        List<Hold> holds() {
            List<Hold> h = new ArrayList<>(lines.size());
            for (Line l : lines) {
                h.add(new Hold(l.key(), l.limit(), l.amount(), l.holdEnd()));
            }
            return h;
        }

        Line line(String key) {
            for (Line l : lines) {
                if (l.key().equals(key)) {
                    return l;
                }
            }
            throw new IllegalStateException("the counter store refused a key it was not given: " + key);
        }
    }

    private Plan plan(Exchange ex, List<Applicable> applicable, Priority priority, Instant now) {
        String provider = ex.route().map(Exchange.Route::provider).orElse("");
        String model = servedModel(ex);
        Optional<ModelPrice> price = prices.find(provider, model);
        OptionalLong bound = ex.inputCount().isEmpty() ? PromptBound.plainText(ex.request()) : OptionalLong.empty();
        long input = bound.isPresent() ? bound.getAsLong() : inputReserve(ex);
        boolean outputBounded = applicable.stream()
                .anyMatch(a -> a.budget().action().isHard() && a.budget().metric() != Metric.REQUESTS);
        long maxOutput;
        if (ex.request().maxTokens().isPresent()) {
            maxOutput = ex.request().maxTokens().getAsInt();
        } else if (price.isPresent() && price.get().maxOutputTokens().isPresent()) {
            maxOutput = price.get().maxOutputTokens().getAsLong();
        } else {
            maxOutput = defaultMaxOutputTokens;
            if (outputBounded) {
                // Nothing bounds the output, so a hold could not bound the spend: bound it ourselves.
                ex = ex.withRequest(ex.request().withMaxTokens(defaultMaxOutputTokens))
                        .withDecision("clamp:max_tokens=" + defaultMaxOutputTokens);
            }
        }
        long cost = price.flatMap(p -> worstCost(p, input, maxOutput)).orElse(0L);
        List<Line> lines = new ArrayList<>(applicable.size());
        for (Applicable a : applicable) {
            Budget b = a.budget();
            Window w = b.period().window(now, zone);
            long amount = switch (b.metric()) {
                case COST_USD -> cost;
                case TOKENS -> Math.addExact(input, maxOutput);
                case REQUESTS -> 1;
            };
            long limit = b.action().isHard() ? b.limit() : Long.MAX_VALUE;
            lines.add(new Line(a, w, counterKey(a, w), limit, amount, Kind.WHOLE, priority, w.end()));
            if (b.pool().isPresent()) {
                long stretch = Math.floorDiv(now.toEpochMilli(), poolIdleMillis) * poolIdleMillis;
                lines.add(new Line(a, w, shareKey(a, w, priority), share(a, w, priority, stretch), amount, Kind.SHARE,
                        priority, w.end()));
                lines.add(new Line(a, w, activityKey(a, priority, stretch), Long.MAX_VALUE, 1, Kind.ACTIVITY, priority,
                        Instant.ofEpochMilli(stretch + 2 * poolIdleMillis)));
            }
        }
        return new Plan(ex, price, input, bound.isPresent(), maxOutput, lines);
    }

    /** A pool priority's share counter: {@code <counter key>:p:<priority>}. */
    public static String shareKey(Applicable a, Window w, Priority p) {
        return counterKey(a, w) + ":p:" + p.wireName();
    }

    /** A pool priority's requests in one stretch of the idle time: {@code b:<name>:a:<priority>:<start epoch ms>}. */
    private static String activityKey(Applicable a, Priority p, long stretchStartMillis) {
        return "b:" + a.counterName() + ":a:" + p.wireName() + ":" + stretchStartMillis;
    }

    /**
     * Priority {@code p}'s share of a pool now (see the class comment): water-filling over the pool's limit, active
     * priorities wanting all of it, idle ones what they have used and hold. One read of every priority's counters.
     */
    private long share(Applicable a, Window w, Priority p, long stretch) {
        Budget b = a.budget();
        List<String> keys = new ArrayList<>(Priority.values().length * 3);
        for (Priority q : Priority.values()) {
            keys.add(shareKey(a, w, q));
            keys.add(activityKey(a, q, stretch));
            keys.add(activityKey(a, q, stretch - poolIdleMillis));
        }
        Map<String, CounterStore.State> states;
        try {
            states = store.states(keys);
        } catch (CounterStoreUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CounterStoreUnavailableException("cannot read the shares of pool " + b.id(), e);
        }
        Map<Priority, Long> demand = new EnumMap<>(Priority.class);
        for (Priority q : Priority.values()) {
            boolean active = q == p || taken(states.get(activityKey(a, q, stretch))) > 0
                    || taken(states.get(activityKey(a, q, stretch - poolIdleMillis))) > 0;
            demand.put(q, active ? b.limit() : taken(states.get(shareKey(a, w, q))));
        }
        return b.pool().orElseThrow().shares(b.limit(), demand).get(p);
    }

    private static long taken(CounterStore.State s) {
        if (s == null) {
            return 0;
        }
        long t = s.used() + s.held();
        return t < 0 ? Long.MAX_VALUE : t;
    }

    /** The counter key: {@code b:<budget id>[:<member>]:<window start epoch seconds | total>}. */
    public static String counterKey(Applicable a, Window w) {
        return "b:" + a.counterName() + ":" + w.keyPart();
    }

    /**
     * The prompt tokens to hold when the plain-text bound does not apply or did not fit: the pipeline's count,
     * plus a margin when it is an estimate (Claude and Gemini counts are calibrated, not exact); with no tokenizer
     * for the model, the bytes of its text ({@link PromptBound#anyText}).
     */
    private long inputReserve(Exchange ex) {
        Optional<TokenCount> counted = ex.inputCount().or(() -> UsageEstimate.prompt(ex, counting));
        if (counted.isEmpty()) {
            return PromptBound.anyText(ex.request());
        }
        TokenCount c = counted.get();
        if (c.exact()) {
            return c.tokens();
        }
        return ceilDiv(Math.multiplyExact(c.tokens(), 100L + inexactInputMarginPercent), 100);
    }


    /**
     * The most {@code input} prompt tokens and {@code output} generated tokens can cost: the larger of
     * billing the output as visible text or as reasoning (a model may price reasoning separately). Empty
     * when the model cannot be priced this way (no output price).
     */
    static Optional<Long> worstCost(ModelPrice price, long input, long output) {
        try {
            long visible = CostCalculator.cost(price, Usage.of(input, output)).totalNanos();
            long reasoning = CostCalculator.cost(price, new Usage(input, output, 0, 0, 0, output, UsageSource.PROVIDER,
                    UsageSource.PROVIDER)).totalNanos();
            return Optional.of(Math.max(visible, reasoning));
        } catch (IllegalArgumentException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /**
     * The largest {@code max_tokens} every hard budget can still pay for, or empty when even none would fit
     * (the prompt alone is too much, or a request budget is spent). Reads the counters afresh (the refusal's
     * figures may already be stale) and without a lock: the figure is only a proposal, the next reserve
     * decides atomically.
     */
    private OptionalLong affordableOutput(Plan plan, Reservation.Refused refused) {
        long best = plan.maxOutput();
        for (Line l : plan.lines()) {
            if (!l.hard()) {
                continue;
            }
            long room;
            try {
                CounterStore.State s = store.state(l.key());
                room = room(l.limit(), s.used(), s.held());
            } catch (RuntimeException e) {
                if (!l.key().equals(refused.key())) {
                    return OptionalLong.empty();
                }
                room = room(refused.limit(), refused.used(), refused.held());
            }
            switch (l.metric()) {
                case REQUESTS -> {
                    if (room < 1) {
                        return OptionalLong.empty();
                    }
                }
                case TOKENS -> {
                    long n = room - plan.input();
                    if (n < 0) {
                        return OptionalLong.empty();
                    }
                    best = Math.min(best, n);
                }
                case COST_USD -> {
                    if (plan.price().isEmpty()) {
                        continue;
                    }
                    long n = maxAffordable(plan.price().get(), plan.input(), room, best);
                    if (n < 0) {
                        return OptionalLong.empty();
                    }
                    best = Math.min(best, n);
                }
            }
        }
        return OptionalLong.of(best);
    }

    private static long room(long limit, long used, long held) {
        long taken = used + held;
        return taken < 0 ? Long.MIN_VALUE / 2 : limit - taken;
    }

    /** The largest n in [0, hi] with worstCost(input, n) <= room, by bisection (cost only grows with n); -1 if none. */
    private static long maxAffordable(ModelPrice price, long input, long room, long hi) {
        Optional<Long> zero = worstCost(price, input, 0);
        if (zero.isEmpty() || zero.get() > room) {
            return -1;
        }
        long lo = 0;
        long high = hi;
        while (lo < high) {
            long mid = lo + (high - lo + 1) / 2;
            Optional<Long> c = worstCost(price, input, mid);
            if (c.isPresent() && c.get() <= room) {
                lo = mid;
            } else {
                high = mid - 1;
            }
        }
        return lo;
    }

    // ---------------------------------------------------------------- actions

    private Exchange degrade(Exchange base, String from, String to) {
        ChatRequest req = base.request().withModel(to);
        Exchange ex = base.withRequest(req);
        if (base.route().isPresent()) {
            ex = ex.withRoute(new Exchange.Route(base.route().get().provider(), to));
        }
        try {
            ex = ex.withInputCount(counting.prompt(req, to));
        } catch (RuntimeException e) {
            // No tokenizer for the cheaper model: keep the count made for the original one.
        }
        return ex.withDecision("degrade:" + from + "->" + to);
    }

    /**
     * How long a queued request waits before trying again: while other requests hold part of the budget,
     * a poll interval (they may settle below their holds); else until the window reopens, if that is
     * before the deadline. Empty: waiting cannot help, deny now.
     */
    private Optional<Duration> queueWait(Window window, Reservation.Refused refused, Instant now, Instant deadline) {
        Duration left = Duration.between(now, deadline);
        if (left.isNegative() || left.isZero()) {
            return Optional.empty();
        }
        Optional<Duration> reopen = window.reopensIn(now).filter(d -> d.compareTo(left) <= 0 && !d.isZero());
        Duration wait = null;
        if (refused.held() > 0) {
            wait = min(queuePollInterval, left);
        }
        if (reopen.isPresent()) {
            wait = wait == null ? reopen.get() : min(wait, reopen.get());
        }
        return Optional.ofNullable(wait);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Outcome deny(Exchange ex, Line line, Reservation.Refused refused, String extra,
            Optional<Duration> retryAfter) {
        GatewayError e = GatewayError.of(GatewayError.Kind.BUDGET_EXCEEDED, message(line, refused) + extra)
                .withCode("budget_exceeded");
        if (retryAfter.isPresent()) {
            e = e.withRetryAfter(retryAfter.get());
        }
        return new Outcome.Failed(e, ex);
    }

    private static String message(Line line, Reservation.Refused refused) {
        Budget b = line.applicable().budget();
        String period = b.period() == Period.TOTAL ? "in total" : "per " + b.period().wireName();
        if (line.kind() == Kind.SHARE) {
            String p = line.priority().wireName();
            return "Budget '" + b.id() + "' (" + line.applicable().scopeText() + ", " + b.metric().wireName() + " "
                    + period + ", shared by priority) cannot cover this request at priority " + p + ": " + p
                    + "'s share now " + b.format(refused.limit()) + ", used " + b.format(refused.used())
                    + ", held by requests in flight " + b.format(refused.held()) + ", this request needs up to "
                    + b.format(line.amount()) + ".";
        }
        return "Budget '" + b.id() + "' (" + line.applicable().scopeText() + ", " + b.metric().wireName() + " "
                + period + ") cannot cover this request: limit " + b.format(refused.limit()) + ", used "
                + b.format(refused.used()) + ", held by requests in flight " + b.format(refused.held())
                + ", this request needs up to " + b.format(line.amount()) + ".";
    }

    /**
     * After a failed reserve the hold may exist all the same (the store applied it but its answer came too
     * late, a timeout): release it now rather than leave it to block the budget until its TTL. Best effort;
     * if the store is down the sweep removes it later.
     */
    private void releaseQuietly(String holdId) {
        try {
            store.release(holdId);
        } catch (RuntimeException e) {
            LOG.debug("releasing hold {} after a failed reserve failed too; it will expire: {}", holdId, e.toString());
        }
    }

    private Outcome storeUnavailable(Chain chain, Exchange ex, RuntimeException e) {
        if (failOpen) {
            LOG.warn("request {}: budget store unavailable, proceeding without a hold (fail open): {}", ex.requestId(),
                    e.toString());
            return chain.proceed(ex.withDecision("budget:unchecked"));
        }
        LOG.error("request {}: budget store unavailable, refusing (fail closed): {}", ex.requestId(), e.toString());
        return new Outcome.Failed(GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                "Budgets cannot be checked right now; try again shortly.").withCode("budget_store_unavailable"), ex);
    }

    // ---------------------------------------------------------------- settle

    private Outcome run(Chain chain, Exchange ex, Plan plan, String holdId) {
        HoldSettlement hold = new HoldSettlement(holdId, plan);
        Outcome outcome;
        try {
            outcome = chain.proceed(ex);
        } catch (RuntimeException | Error e) {
            hold.release();
            throw e;
        }
        return switch (outcome) {
            case Outcome.Complete c -> {
                try {
                    hold.settle(UsageEstimate.of(c, counting, plan.input()));
                } catch (RuntimeException e) {
                    hold.release();
                }
                yield c;
            }
            case Outcome.Streamed s -> {
                EventStream wrapped = new SettlingStream(s.events(), s.exchange(), counting, plan.input(), hold);
                yield new Outcome.Streamed(wrapped, s.exchange());
            }
            case Outcome.Failed f -> {
                hold.release();
                yield f;
            }
        };
    }

    /** The figures a hold settles at, per counter key. */
    private static Map<String, Long> actual(Plan plan, Usage usage) {
        long cost = plan.price().flatMap(p -> {
            try {
                return Optional.of(CostCalculator.cost(p, usage).totalNanos());
            } catch (IllegalArgumentException e) {
                return Optional.<Long>empty();
            }
        }).orElse(0L);
        Map<String, Long> m = new LinkedHashMap<>();
        for (Line l : plan.lines()) {
            long v = l.kind() == Kind.ACTIVITY ? 1 : switch (l.metric()) {
                case COST_USD -> cost;
                case TOKENS -> usage.totalTokens();
                case REQUESTS -> 1;
            };
            m.merge(l.key(), v, Math::addExact);
        }
        return m;
    }

    /** One request's hold: settled or released once, then alerts are checked. */
    private final class HoldSettlement implements Settlement {
        private final String holdId;
        private final Plan plan;
        private final AtomicBoolean done = new AtomicBoolean();

        HoldSettlement(String holdId, Plan plan) {
            this.holdId = holdId;
            this.plan = plan;
        }

        @Override
        public void settle(Usage usage) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            try {
                store.settle(holdId, actual(plan, usage));
            } catch (RuntimeException e) {
                LOG.error("budget settle failed for hold {}; it will expire and be swept", holdId, e);
                return;
            }
            alerts.ifPresent(this::checkAlerts);
        }

        @Override
        public void release() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            try {
                store.release(holdId);
            } catch (RuntimeException e) {
                LOG.error("budget release failed for hold {}; it will expire and be swept", holdId, e);
            }
        }

        private void checkAlerts(ThresholdAlerts a) {
            for (Line l : plan.lines()) {
                if (l.kind() != Kind.WHOLE) {
                    continue; // a pool alerts on its total, not on its priorities' shares
                }
                try {
                    a.observe(l.applicable(), l.window(), store.state(l.key()).used());
                } catch (RuntimeException e) {
                    LOG.warn("budget alert check failed for {}", l.key(), e);
                }
            }
        }
    }

    private static String servedModel(Exchange ex) {
        return UsageEstimate.servedModel(ex);
    }

    private static long ceilDiv(long a, long b) {
        return Math.floorDiv(a + b - 1, b);
    }

    /** Configuration of the step; only the budget source, counter store, prices and counting are required. */
    public static final class Builder {
        private BudgetSource budgets;
        private CounterStore store;
        private PriceLookup prices;
        private TokenCounting counting;
        private Clock clock = Clock.systemUTC();
        private ZoneId zone = ZoneOffset.UTC;
        private int minUsefulOutputTokens = 16;
        private int defaultMaxOutputTokens = 4096;
        private int inexactInputMarginPercent = 10;
        private Duration holdTtl = Duration.ofMinutes(15);
        private Duration maxQueueWait = Duration.ofSeconds(30);
        private Duration queuePollInterval = Duration.ofSeconds(1);
        private RoutingStep.Sleeper sleeper = d -> Thread.sleep(d);
        private Optional<ThresholdAlerts> alerts = Optional.empty();
        private boolean failOpen;
        private Function<Attribution, Priority> priorities = a -> Priority.MEDIUM;
        private Duration poolIdleAfter = Duration.ofMinutes(1);

        public Builder budgets(BudgetSource s) {
            this.budgets = s;
            return this;
        }

        public Builder counters(CounterStore s) {
            this.store = s;
            return this;
        }

        public Builder prices(PriceLookup p) {
            this.prices = p;
            return this;
        }

        /** The pipeline's counting: for prompts it did not count and for usage a provider did not report. */
        public Builder counting(TokenCounting c) {
            this.counting = c;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c);
            return this;
        }

        /** The zone periods are aligned in ("the day" of the team that owns the budgets). UTC by default. */
        public Builder zone(ZoneId z) {
            this.zone = Objects.requireNonNull(z);
            return this;
        }

        /**
         * The fewest output tokens worth clamping to (16 by default): below it an answer is too short to be
         * of use, and refusing (or degrading) is the honest answer.
         */
        public Builder minUsefulOutputTokens(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("minUsefulOutputTokens must be at least 1");
            }
            this.minUsefulOutputTokens = n;
            return this;
        }

        /**
         * The output to reserve for, and to set as {@code max_tokens}, when the client gave none and the
         * catalog knows no maximum for the model (4096 by default).
         */
        public Builder defaultMaxOutputTokens(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("defaultMaxOutputTokens must be at least 1");
            }
            this.defaultMaxOutputTokens = n;
            return this;
        }

        /** Extra prompt tokens held, in percent, when the prompt count is an estimate (10 by default). */
        public Builder inexactInputMarginPercent(int pct) {
            if (pct < 0) {
                throw new IllegalArgumentException("inexactInputMarginPercent cannot be negative");
            }
            this.inexactInputMarginPercent = pct;
            return this;
        }

        /**
         * How long a hold lives if never settled (15 minutes by default): longer than the longest request,
         * because a hold swept while its stream still runs settles at nothing.
         */
        public Builder holdTtl(Duration d) {
            this.holdTtl = Objects.requireNonNull(d);
            return this;
        }

        /** The longest a request with a {@code queue} budget waits for room (30 s by default). */
        public Builder maxQueueWait(Duration d) {
            this.maxQueueWait = Objects.requireNonNull(d);
            return this;
        }

        /** How often a queued request looks again while other requests hold the budget (1 s by default). */
        public Builder queuePollInterval(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("queuePollInterval must be positive");
            }
            this.queuePollInterval = d;
            return this;
        }

        /** Waiting in the queue, injectable so tests need not sleep. */
        public Builder sleeper(RoutingStep.Sleeper s) {
            this.sleeper = Objects.requireNonNull(s);
            return this;
        }

        public Builder alerts(ThresholdAlerts a) {
            this.alerts = Optional.of(a);
            return this;
        }

        /**
         * When the counter store cannot be reached: false (the default) answers 503; true lets the request
         * through unchecked, logged, with decision {@code budget:unchecked}.
         */
        public Builder failOpen(boolean b) {
            this.failOpen = b;
            return this;
        }

        /**
         * A request's priority in pools shared by priority: its key's tier's, typically
         * ({@code a -> keyBudgets.priority(a.keyId()).orElse(Priority.MEDIUM)}). Medium for every request by default.
         * May throw {@link BudgetStoreException} (the key cannot be read): the store policy then applies.
         */
        public Builder priorities(Function<Attribution, Priority> f) {
            this.priorities = Objects.requireNonNull(f);
            return this;
        }

        /**
         * How long a priority of a pool may go without a request before it counts as idle and its share flows to
         * the others (1 minute by default; see the class comment).
         */
        public Builder poolIdleAfter(Duration d) {
            if (d.toMillis() < 1) {
                throw new IllegalArgumentException("poolIdleAfter must be at least a millisecond");
            }
            this.poolIdleAfter = d;
            return this;
        }

        public BudgetStep build() {
            return new BudgetStep(this);
        }
    }
}
