/**
 * The admin API's budgets on the ledger's SQL database ({@link dev.tokenrt.store.budget.JdbcBudgetRegistry}):
 * SQLite on one machine, PostgreSQL shared by every gateway replica, cached in memory for the request path.
 */
package dev.tokenrt.store.budget;
