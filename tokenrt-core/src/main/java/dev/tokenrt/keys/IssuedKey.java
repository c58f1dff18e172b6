package dev.tokenrt.keys;

import java.util.Objects;

/**
 * A key just made, with its secret: the one moment the secret exists outside its owner's hands. Hand it to
 * the caller and drop it; {@link #toString()} hides the secret so that logging this record leaks nothing.
 */
public record IssuedKey(VirtualKey key, String secret) {

    public IssuedKey {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "IssuedKey[key=" + key + ", secret=" + key.hint() + "]";
    }
}
