package dev.tokenrt.store.ledger;

/**
 * A ledger operation failed in the database (open, migrate, query, retention). Unchecked because the
 * {@link dev.tokenrt.ledger.UsageLedger} SPI declares no checked exceptions; the cause keeps the JDBC detail.
 */
public final class LedgerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LedgerException(String message, Throwable cause) {
        super(message, cause);
    }

    public LedgerException(String message) {
        super(message);
    }
}
