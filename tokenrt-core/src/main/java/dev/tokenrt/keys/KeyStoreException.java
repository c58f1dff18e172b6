package dev.tokenrt.keys;

/**
 * A key store could not do its work (database unreachable, schema missing). Unchecked, like the other SPIs'
 * failures; the gateway answers 503 rather than letting any request through. Messages never carry a secret
 * or a secret's hash.
 */
public final class KeyStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public KeyStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public KeyStoreException(String message) {
        super(message);
    }
}
