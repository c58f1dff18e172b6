/**
 * Budgets, tiers and rate limits: the engine that decides whether a request may spend, and keeps score.
 *
 * <p>{@link dev.tokenrt.budget.Budget}s attach to a {@link dev.tokenrt.budget.Scope} and count a
 * {@link dev.tokenrt.budget.Metric} per calendar-aligned {@link dev.tokenrt.budget.Period};
 * {@link dev.tokenrt.budget.BudgetStep} reserves every request's worst case on all of them at once through a
 * {@link dev.tokenrt.budget.CounterStore} and settles to the actual usage afterwards;
 * {@link dev.tokenrt.budget.ThresholdAlerts} fires warn, critical and exceeded once per window, de-duplicated
 * through an {@link dev.tokenrt.budget.AlertLog} the replicas share.
 * {@link dev.tokenrt.budget.GcraRateLimiter} enforces smooth per-minute and per-hour rates on buckets in a
 * {@link dev.tokenrt.budget.RateLimitStore}, and a budget with a {@link dev.tokenrt.budget.PriorityPool} is a pool
 * split between the {@link dev.tokenrt.budget.Tier} priorities of the requests (see BudgetStep's "Pools").
 */
package dev.tokenrt.budget;
