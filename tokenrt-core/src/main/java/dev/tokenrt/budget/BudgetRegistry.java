package dev.tokenrt.budget;

import java.util.List;
import java.util.Optional;

/**
 * Budgets that can be changed at run time (the admin API's budgets): a {@link BudgetSource} for the request
 * path plus the few writes an operator makes. In memory for one process and tests
 * ({@link InMemoryBudgetRegistry}); in the shared database for replicas ({@code JdbcBudgetRegistry} in
 * tokenrt-store). Counters are keyed by budget id, so replacing a budget keeps what its window has spent.
 */
public interface BudgetRegistry extends BudgetSource {

    /**
     * Adds a new budget.
     *
     * @return the budget as stored
     * @throws DuplicateBudgetException if its id is taken
     * @throws BudgetStoreException     if the store cannot be written
     */
    Budget create(Budget budget);

    /**
     * Replaces the budget with the same id (its limit, thresholds, action, even its scope); empty if there is
     * no such budget. The current window's counter stays, so raising a limit mid-day keeps the day's spend.
     */
    Optional<Budget> replace(Budget budget);

    Optional<Budget> get(String id);

    /** Every budget, in the order they were created. */
    List<Budget> list();

    /** Removes a budget; the removed budget, or empty if there was none. Its counters are left to expire. */
    Optional<Budget> delete(String id);
}
