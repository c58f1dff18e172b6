package dev.tokenrt.gateway;

import dev.tokenrt.budget.AlertSink;
import dev.tokenrt.budget.BudgetSource;
import dev.tokenrt.budget.BudgetStep;
import dev.tokenrt.budget.CompositeBudgetSource;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.budget.KeyBudgets;
import dev.tokenrt.store.budget.CounterRebuild;
import dev.tokenrt.store.budget.JdbcAlertLog;
import dev.tokenrt.store.budget.JdbcBudgetRegistry;
import dev.tokenrt.store.ledger.LedgerOptions;
import dev.tokenrt.budget.FallbackCounterStore;
import dev.tokenrt.store.budget.EmbeddedCounterStore;
import dev.tokenrt.store.budget.JdbcCounterStore;
import dev.tokenrt.store.budget.RedisCounterStore;
import dev.tokenrt.budget.GcraRateLimiter;
import dev.tokenrt.budget.InMemoryBudgetRegistry;
import dev.tokenrt.budget.InMemoryCounterStore;
import dev.tokenrt.budget.PriceLookup;
import dev.tokenrt.budget.Priority;
import dev.tokenrt.budget.FallbackRateLimitStore;
import dev.tokenrt.budget.InMemoryRateLimitStore;
import dev.tokenrt.budget.RateLimitSource;
import dev.tokenrt.budget.RateLimitStep;
import dev.tokenrt.budget.RateLimitStore;
import dev.tokenrt.store.budget.RedisRateLimitStore;
import dev.tokenrt.budget.ThresholdAlerts;
import dev.tokenrt.budget.Tier;
import dev.tokenrt.budget.WebhookAlertSink;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pipeline.Interceptor;
import dev.tokenrt.pipeline.TokenCounting;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's budget machinery, put together from the configuration: where counters live (Redis when
 * configured, else the SQL database), which budgets apply (the admin API's registry, budgets embedded in
 * keys, tier caps), the steps that enforce them, and the alerts they raise.
 */
final class Budgets implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Budgets.class);

    private final BudgetSettings settings;
    private final CounterStore counters;
    private final RateLimitStore buckets;
    private final BudgetSource source;
    private final JdbcBudgetRegistry registry;
    private final KeyBudgets keyBudgets;
    private final ThresholdAlerts alerts;
    private final JdbcAlertLog alertLog;
    private final List<Interceptor> steps;
    private final InMemoryBudgetRegistry configured;
    private final KeyStore keys;
    private final CounterRebuild rebuild;

    private Budgets(BudgetSettings settings, CounterStore counters, RateLimitStore buckets, BudgetSource source,
            JdbcBudgetRegistry registry,
            KeyBudgets keyBudgets, ThresholdAlerts alerts, JdbcAlertLog alertLog, List<Interceptor> steps,
            InMemoryBudgetRegistry configured, KeyStore keys, CounterRebuild rebuild) {
        this.settings = settings;
        this.counters = counters;
        this.buckets = buckets;
        this.source = source;
        this.registry = registry;
        this.keyBudgets = keyBudgets;
        this.alerts = alerts;
        this.alertLog = alertLog;
        this.steps = List.copyOf(steps);
        this.configured = configured;
        this.keys = keys;
        this.rebuild = rebuild;
    }

    static Budgets open(GatewayConfig config, Clock clock, TokenCounting counting, CatalogPricing pricing, KeyStore keys,
            GatewayMetrics metrics) {
        BudgetSettings bs = config.budgets();
        CounterStore counters = openCounters(config, clock, metrics);
        // Budgets come from three places: the configuration file, the admin API (shared by every replica
        // through the database), and the keys themselves (their own budgets and their tier's daily cap).
        InMemoryBudgetRegistry configured = new InMemoryBudgetRegistry();
        bs.definitions().forEach(configured::create);
        JdbcBudgetRegistry registry = JdbcBudgetRegistry.open(config.databaseUrl(), LedgerOptions.defaults(),
                JdbcBudgetRegistry.Options.defaults());
        KeyBudgets keyBudgets = KeyBudgets.builder().keys(keys).tiers(bs.tiers()).build();
        BudgetSource source = CompositeBudgetSource.of(configured, registry, keyBudgets);
        List<AlertSink> sinks = new ArrayList<>();
        sinks.add(alert -> LOG.warn("budget alert: {}", alert.text()));
        bs.webhooks().forEach(u -> sinks.add(new WebhookAlertSink(u)));
        // Alerts are de-duplicated and recorded in the database the replicas share, so a crossing fires once.
        JdbcAlertLog alertLog = JdbcAlertLog.open(config.databaseUrl(), LedgerOptions.defaults());
        ThresholdAlerts alerts = new ThresholdAlerts(sinks, clock, alertLog);
        BudgetStep step = BudgetStep.builder().budgets(source).counters(counters).prices(PriceLookup.of(pricing))
                .counting(counting).clock(clock).zone(bs.zone()).maxQueueWait(bs.queueMaxWait()).alerts(alerts)
                .holdTtl(bs.holdTtl()).failOpen(bs.failOpen())
                // Pools shared by priority split by the priority of the key's tier; a request without one is medium.
                .priorities(a -> keyBudgets.priority(a.keyId()).orElse(Priority.MEDIUM))
                .poolIdleAfter(bs.poolIdleAfter()).build();
        List<Interceptor> steps = new ArrayList<>();
        // Rate limits from the configuration file and from the keys themselves, in buckets every replica shares
        // when Redis is configured (so N replicas admit the configured rate, not N times it).
        RateLimitStore buckets = openBuckets(config, metrics);
        GcraRateLimiter limiter = new GcraRateLimiter(clock,
                RateLimitSource.all(RateLimitSource.of(bs.rateLimits()), keyBudgets), buckets);
        steps.add(new RateLimitStep(limiter, counting, 1024, bs.failOpen()));
        steps.add(step);
        CounterRebuild rebuild = CounterRebuild.open(config.databaseUrl(), LedgerOptions.defaults());
        return new Budgets(bs, counters, buckets, source, registry, keyBudgets, alerts, alertLog, steps, configured,
                keys, rebuild);
    }

    /**
     * Redis when configured (shared by every replica), else the SQL database the ledger uses (SQLite on one
     * machine, where BEGIN IMMEDIATE makes it safe across processes too). With {@code fail_open}, an unreachable
     * store falls back to local counters, loudly; with {@code fail_closed} the budget step answers 503.
     */
    static CounterStore openCounters(GatewayConfig config, Clock clock, GatewayMetrics metrics) {
        BudgetSettings bs = config.budgets();
        CounterStore primary = openPrimaryCounters(config);
        if (!bs.failOpen()) {
            return primary;
        }
        return new FallbackCounterStore(primary, new InMemoryCounterStore(clock), loudly(
                "BUDGET COUNTER STORE UNREACHABLE: counting locally on this replica (fail_open); budgets are enforced "
                        + "per replica until it returns", metrics::budgetStoreFallback));
    }

    /**
     * The counter store itself, no fallback: Redis when configured (replicas share it); else, on SQLite, counters in
     * this process persisted to the file ({@link EmbeddedCounterStore}: no database round trip per request; one
     * process owns the file), unless {@code budgets.counters: database} asks for the transactional store that
     * processes share; on PostgreSQL, the database (shared by replicas, with row locks).
     */
    static CounterStore openPrimaryCounters(GatewayConfig config) {
        BudgetSettings bs = config.budgets();
        if (bs.redisUrl().isPresent()) {
            return connectRedis(bs.redisUrl().get(), bs.redisTimeout());
        }
        if (config.databaseUrl().startsWith("jdbc:sqlite:") && !bs.databaseCounters()) {
            return EmbeddedCounterStore.open(config.databaseUrl(), EmbeddedCounterStore.Options.defaults());
        }
        return JdbcCounterStore.open(config.databaseUrl(), JdbcCounterStore.Options.defaults());
    }

    /**
     * Rate-limit buckets: in Redis when configured (one atomic script per acquire and per correction, shared by
     * every replica), else in this process, which is exact for one machine. With {@code fail_open} an unreachable
     * Redis falls back to local buckets, loudly; with {@code fail_closed} the rate-limit step answers 503.
     */
    static RateLimitStore openBuckets(GatewayConfig config, GatewayMetrics metrics) {
        BudgetSettings bs = config.budgets();
        if (bs.redisUrl().isEmpty()) {
            return new InMemoryRateLimitStore();
        }
        RateLimitStore primary = withPatience(() -> RedisRateLimitStore.connect(bs.redisUrl().get(),
                RedisCounterStore.Options.defaults().withCommandTimeout(bs.redisTimeout())));
        if (!bs.failOpen()) {
            return primary;
        }
        return new FallbackRateLimitStore(primary, new InMemoryRateLimitStore(), loudly(
                "RATE LIMIT STORE UNREACHABLE: limiting on local buckets on this replica (fail_open); rate limits are "
                        + "enforced per replica until it returns", metrics::rateLimitStoreFallback));
    }

    /** Each fallback raises the metric; an ERROR line says so at most every 10 s. */
    private static java.util.function.Consumer<RuntimeException> loudly(String message, Runnable metric) {
        // Starts a log interval in the past: System.nanoTime() has an arbitrary origin (it may be small or negative),
        // so a zero would silence the first outage's ERROR line whenever nanoTime() < 10 s.
        java.util.concurrent.atomic.AtomicLong lastLog = new java.util.concurrent.atomic.AtomicLong(
                System.nanoTime() - 10_000_000_001L);
        return e -> {
            metric.run();
            long now = System.nanoTime();
            long last = lastLog.get();
            if (now - last > 10_000_000_000L && lastLog.compareAndSet(last, now)) {
                LOG.error("{}: {}", message, e.toString());
            }
        };
    }

    /** How long start-up keeps trying to reach Redis before the gateway gives up. */
    private static final long REDIS_CONNECT_PATIENCE_NANOS = 10_000_000_000L;

    /**
     * Connects to Redis, trying again for a few seconds. The store's handshake must finish within its command
     * timeout (200 ms by default), which a cold JVM on a busy machine can miss on its first connection (seen with three
     * gateways starting at once on two cores); the next attempt, with the classes loaded, is quick.
     */
    private static CounterStore connectRedis(String url, java.time.Duration timeout) {
        return withPatience(() -> RedisCounterStore.connect(url,
                RedisCounterStore.Options.defaults().withCommandTimeout(timeout)));
    }

    private static <T> T withPatience(java.util.function.Supplier<T> connect) {
        long deadline = System.nanoTime() + REDIS_CONNECT_PATIENCE_NANOS;
        while (true) {
            try {
                return connect.get();
            } catch (CounterStoreUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                LOG.warn("Redis not reachable yet, trying again: {}", e.getMessage());
                try {
                    Thread.sleep(250);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The pipeline steps, in order: rate limits, then budgets. Caches go before these when they arrive. */
    List<Interceptor> steps() {
        return steps;
    }

    /** The tier a key names, if any; an unknown name is an error the caller reports. */
    Optional<Tier> tierOf(VirtualKey key) {
        if (key.tier().isEmpty()) {
            return Optional.empty();
        }
        Tier t = settings.tiers().get(key.tier());
        if (t == null) {
            throw new IllegalArgumentException("the key's tier '" + key.tier() + "' is not configured");
        }
        return Optional.of(t);
    }

    CounterStore counters() {
        return counters;
    }

    BudgetSource source() {
        return source;
    }

    /** The admin API's budgets (shared through the database). */
    JdbcBudgetRegistry registry() {
        return registry;
    }

    /** A key was changed or revoked: forget its cached budgets at once. */
    void keyChanged(String keyId) {
        keyBudgets.invalidate(keyId);
    }

    BudgetSettings settings() {
        return settings;
    }

    ThresholdAlerts alerts() {
        return alerts;
    }

    /**
     * Rebuilds every counter from the ledger (flushed first by the caller), or with {@code dryRun} says what it
     * would change ({@link BudgetRebuild}).
     */
    List<CounterRebuild.Change> rebuild(Instant now, boolean dryRun) {
        return BudgetRebuild.rebuild(configured.list(), registry, keys, keyBudgets, counters, rebuild,
                settings.zone(), now, dryRun, p -> { });
    }

    /** Releases holds whose process died (run periodically). */
    int sweep(Clock clock) {
        try {
            return counters.sweep(clock.instant());
        } catch (RuntimeException e) {
            LOG.warn("sweeping expired budget holds failed: {}", e.toString());
            return 0;
        }
    }

    @Override
    public void close() {
        try (rebuild; alertLog; registry; buckets) {
            counters.close();
        }
    }
}
