package dev.tokenrt.budget;

/**
 * The place budgets are kept (a database) could not be read or written. Separate from a bad request so that
 * an admin API can answer 503 rather than 400 or 500, and a request path can decide to serve what it last
 * loaded.
 */
public final class BudgetStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BudgetStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
