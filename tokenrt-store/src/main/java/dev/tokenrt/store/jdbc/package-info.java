/**
 * Plumbing shared by the store's SQL-backed SPIs (the usage ledger and the budget counters): which engine a
 * URL names, how it is opened and pooled, and the one Flyway schema history both live in. Internal to
 * tokenrt-store.
 */
package dev.tokenrt.store.jdbc;
