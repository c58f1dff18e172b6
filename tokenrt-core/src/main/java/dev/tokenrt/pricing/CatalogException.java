package dev.tokenrt.pricing;

/**
 * A pricing catalog or override file that cannot be used as it stands. The message names the file, the
 * model and the field, so that a user can fix an override without reading code.
 */
public final class CatalogException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CatalogException(String message) {
        super(message);
    }

    public CatalogException(String message, Throwable cause) {
        super(message, cause);
    }
}
