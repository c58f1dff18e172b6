/**
 * Virtual keys on the ledger's SQL database ({@link dev.tokenrt.store.keys.JdbcKeyStore}): SQLite on one
 * machine, PostgreSQL shared by every gateway replica, so that a revocation is seen by all of them at once.
 */
package dev.tokenrt.store.keys;
