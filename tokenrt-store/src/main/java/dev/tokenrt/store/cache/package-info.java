/**
 * The exact response cache's shared layers on real engines: Redis (L2, Lua scripts for atomic writes and
 * invalidation) and the SQL database the ledger uses (L3, SQLite or PostgreSQL).
 */
package dev.tokenrt.store.cache;
