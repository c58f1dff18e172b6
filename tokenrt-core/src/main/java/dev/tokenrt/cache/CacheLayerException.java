package dev.tokenrt.cache;

/** A cache layer could not be read or written (its store is unreachable or returned garbage). */
public class CacheLayerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CacheLayerException(String message, Throwable cause) {
        super(message, cause);
    }

    public CacheLayerException(String message) {
        super(message);
    }
}
