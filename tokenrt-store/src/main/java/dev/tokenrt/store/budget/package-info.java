/**
 * The budget {@link dev.tokenrt.budget.CounterStore} on real engines: {@link
 * dev.tokenrt.store.budget.JdbcCounterStore} on SQLite (the embedded default, beside the ledger) or
 * PostgreSQL, and {@link dev.tokenrt.store.budget.RedisCounterStore} for replicas that share Redis. Both make
 * a check-and-hold over several counters atomic, keep amounts as exact 64-bit integers, and raise
 * {@link dev.tokenrt.budget.CounterStoreUnavailableException} when their engine cannot be used.
 */
package dev.tokenrt.store.budget;
