package dev.tokenrt.budget;

/**
 * A {@link CounterStore} or {@link RateLimitStore} could not do an operation: its engine could not be reached, did not answer within
 * the store's bounded timeout, or failed. Nothing is known about whether a hold was taken, so the caller
 * must apply its configured policy (fail closed with 503, or fail open with local counters and an alert)
 * rather than retry blindly; a store never falls back silently on its own. A refused reservation is not an
 * error and never raises this. Unchecked because the SPI declares no checked exceptions.
 */
public final class CounterStoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CounterStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public CounterStoreUnavailableException(String message) {
        super(message);
    }
}
