package dev.tokenrt.store.budget;

import dev.tokenrt.budget.InMemoryRateLimitStore;
import dev.tokenrt.budget.RateLimitStore;

/**
 * The contract on the in-memory reference itself; "two replicas" share one instance, as two limiters in one
 * process would.
 */
class InMemoryRateLimitStoreTest extends RateLimitStoreContract {

    private RateLimitStore shared;

    @Override
    RateLimitStore open() {
        if (shared == null) {
            shared = new InMemoryRateLimitStore();
        }
        return shared;
    }
}
