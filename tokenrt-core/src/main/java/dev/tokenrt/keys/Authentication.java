package dev.tokenrt.keys;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer to "may this presented secret make a request now?", from {@link KeyStore#authenticate}. A
 * refusal says why, so that the gateway can tell the caller (who holds the secret, so learns nothing new)
 * that the key expired or was revoked rather than that it is wrong.
 */
public sealed interface Authentication {

    /** The key exists and is usable now. */
    record Accepted(VirtualKey key) implements Authentication {
        public Accepted {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Not usable: unknown (or not shaped like a key), expired, or revoked; {@code key} is empty when unknown. */
    record Refused(Reason reason, Optional<VirtualKey> key) implements Authentication {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(key, "key");
        }

        /** A message for the caller; names no secret. */
        public String message() {
            return switch (reason) {
                case UNKNOWN -> "Incorrect API key provided.";
                case EXPIRED -> "This API key has expired.";
                case REVOKED -> "This API key has been revoked.";
            };
        }
    }

    /** Why a key was refused. */
    enum Reason {
        UNKNOWN, EXPIRED, REVOKED
    }
}
