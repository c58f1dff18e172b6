/**
 * The durable usage ledger on SQL engines: {@link dev.tokenrt.store.ledger.JdbcUsageLedger} implements the
 * core {@link dev.tokenrt.ledger.UsageLedger} SPI on SQLite (one machine) and PostgreSQL (many replicas),
 * with batched off-hot-path writes, a daily rollup for fast reports, and retention.
 */
package dev.tokenrt.store.ledger;
