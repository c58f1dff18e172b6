package dev.tokenrt.gateway;

import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.RateLimit;
import dev.tokenrt.budget.Tier;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How budgets, tiers, rate limits and alerts behave in this gateway.
 *
 * @param zone          budget periods (day, week, month) are calendar-aligned in this zone
 * @param redisUrl      budget counters in Redis (shared by replicas) when set; else in the SQL database
 * @param failOpen      when the counter store is unreachable: false answers 503 (fail_closed); true counts locally,
 *                      alerts loudly and raises a metric (fail_open)
 * @param queueMaxWait  how long a {@code queue} budget holds a request for its window to reopen
 * @param webhooks      where budget alerts (warn, critical, exceeded) are posted, Slack-compatible JSON
 * @param tiers         named tiers that keys refer to
 * @param rateLimits    rate limits that apply to every request (keys may add their own)
 * @param definitions   budgets declared in the configuration file (the admin API adds more at run time)
 * @param holdTtl       a hold not settled by then (its process died) is swept
 * @param redisTimeout  how long one Redis counter operation may take before it counts as the store failing
 *                      (then {@code failOpen} decides); 1 s by default: at 200 ms a loaded 2-core machine answered
 *                      503 to some of 1,000 racing requests (bench/results/budget-race-2026-11-23.md)
 * @param poolIdleAfter a priority of a shared pool that made no request for this long is idle, and its share
 *                      flows to the others ({@link dev.tokenrt.budget.BudgetStep.Builder#poolIdleAfter}); 1 minute
 *                      by default
 * @param databaseCounters {@code budgets.counters: database}: without Redis, keep the counters in the SQL database
 *                      itself, transactionally, so that several processes on one SQLite file share them (slower: two
 *                      write transactions a request). By default ({@code memory}) a SQLite-backed gateway counts in
 *                      memory and persists in the background ({@code EmbeddedCounterStore}); a PostgreSQL one always
 *                      counts in the database
 */
public record BudgetSettings(ZoneId zone, Optional<String> redisUrl, boolean failOpen, Duration queueMaxWait,
        List<URI> webhooks, Map<String, Tier> tiers, List<RateLimit> rateLimits, List<Budget> definitions,
        Duration holdTtl, Duration redisTimeout, Duration poolIdleAfter, boolean databaseCounters) {

    public static final BudgetSettings DEFAULTS = new BudgetSettings(ZoneId.of("UTC"), Optional.empty(), false,
            Duration.ofSeconds(30), List.of(), Map.of(), List.of(), List.of(), Duration.ofMinutes(15),
            Duration.ofMillis(1000), Duration.ofMinutes(1), false);

    public BudgetSettings {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(queueMaxWait, "queueMaxWait");
        webhooks = List.copyOf(webhooks);
        tiers = Map.copyOf(tiers);
        rateLimits = List.copyOf(rateLimits);
        definitions = List.copyOf(definitions);
        Objects.requireNonNull(holdTtl, "holdTtl");
        Objects.requireNonNull(redisTimeout, "redisTimeout");
        if (redisTimeout.isNegative() || redisTimeout.isZero()) {
            throw new IllegalArgumentException("redisTimeout must be positive, got " + redisTimeout);
        }
        Objects.requireNonNull(poolIdleAfter, "poolIdleAfter");
        if (poolIdleAfter.isNegative() || poolIdleAfter.isZero()) {
            throw new IllegalArgumentException("poolIdleAfter must be positive, got " + poolIdleAfter);
        }
    }

    public BudgetSettings(ZoneId zone, Optional<String> redisUrl, boolean failOpen, Duration queueMaxWait,
            List<URI> webhooks, Map<String, Tier> tiers, List<RateLimit> rateLimits, List<Budget> definitions,
            Duration holdTtl, Duration redisTimeout, Duration poolIdleAfter) {
        this(zone, redisUrl, failOpen, queueMaxWait, webhooks, tiers, rateLimits, definitions, holdTtl, redisTimeout,
                poolIdleAfter, false);
    }

    public BudgetSettings withDatabaseCounters(boolean on) {
        return new BudgetSettings(zone, redisUrl, failOpen, queueMaxWait, webhooks, tiers, rateLimits, definitions, holdTtl,
                redisTimeout, poolIdleAfter, on);
    }

    public BudgetSettings withRedisUrl(Optional<String> url) {
        return new BudgetSettings(zone, url, failOpen, queueMaxWait, webhooks, tiers, rateLimits, definitions, holdTtl,
                redisTimeout, poolIdleAfter, databaseCounters);
    }

    public BudgetSettings withFailOpen(boolean open) {
        return new BudgetSettings(zone, redisUrl, open, queueMaxWait, webhooks, tiers, rateLimits, definitions, holdTtl,
                redisTimeout, poolIdleAfter, databaseCounters);
    }

    public BudgetSettings withWebhooks(List<URI> urls) {
        return new BudgetSettings(zone, redisUrl, failOpen, queueMaxWait, urls, tiers, rateLimits, definitions, holdTtl,
                redisTimeout, poolIdleAfter, databaseCounters);
    }

    public BudgetSettings withTiers(Map<String, Tier> byName) {
        return new BudgetSettings(zone, redisUrl, failOpen, queueMaxWait, webhooks, byName, rateLimits, definitions,
                holdTtl, redisTimeout, poolIdleAfter, databaseCounters);
    }

    public BudgetSettings withRateLimits(List<RateLimit> limits) {
        return new BudgetSettings(zone, redisUrl, failOpen, queueMaxWait, webhooks, tiers, limits, definitions, holdTtl,
                redisTimeout, poolIdleAfter, databaseCounters);
    }

    public BudgetSettings withDefinitions(List<Budget> budgets) {
        return new BudgetSettings(zone, redisUrl, failOpen, queueMaxWait, webhooks, tiers, rateLimits, budgets, holdTtl,
                redisTimeout, poolIdleAfter, databaseCounters);
    }

    public BudgetSettings withRedisTimeout(Duration timeout) {
        return new BudgetSettings(zone, redisUrl, failOpen, queueMaxWait, webhooks, tiers, rateLimits, definitions,
                holdTtl, timeout, poolIdleAfter, databaseCounters);
    }

    @Override
    public String toString() {
        return "BudgetSettings[zone=" + zone + ", redis=" + (redisUrl.isPresent() ? "<set>" : "<none>") + ", failOpen="
                + failOpen + ", queueMaxWait=" + queueMaxWait + ", webhooks=" + webhooks.size() + ", tiers=" + tiers.keySet()
                + ", rateLimits=" + rateLimits.size() + ", definitions=" + definitions.size() + ", holdTtl=" + holdTtl + ", redisTimeout=" + redisTimeout + ", poolIdleAfter=" + poolIdleAfter + "]";
    }
}
