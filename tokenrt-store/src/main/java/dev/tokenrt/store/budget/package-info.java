/**
 * Budgets on real engines. The {@link dev.tokenrt.budget.CounterStore}: {@link
 * dev.tokenrt.store.budget.JdbcCounterStore} on SQLite (the embedded default, beside the ledger) or
 * PostgreSQL, and {@link dev.tokenrt.store.budget.RedisCounterStore} for replicas that share Redis. Both make
 * a check-and-hold over several counters atomic, keep amounts as exact 64-bit integers, and raise
 * {@link dev.tokenrt.budget.CounterStoreUnavailableException} when their engine cannot be used. And the admin
 * API's budget definitions ({@link dev.tokenrt.store.budget.JdbcBudgetRegistry}): SQLite on one machine,
 * PostgreSQL shared by every gateway replica, cached in memory for the request path.
 */
package dev.tokenrt.store.budget;
