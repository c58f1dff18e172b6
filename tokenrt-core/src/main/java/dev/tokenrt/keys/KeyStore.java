package dev.tokenrt.keys;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where virtual keys live (SPI): in memory for tests and embedded use, in the ledger's SQL database for a
 * gateway (one machine or many replicas). It stores a key beside the SHA-256 of its secret, never the secret.
 *
 * <p>{@link #findBySecretHash} runs on every request, so an implementation answers it with one indexed
 * lookup. Looking up by hash (rather than comparing secrets) also leaves no timing side channel: a guess's
 * lookup time can at most reveal something about the guess's own hash, which says nothing about any stored
 * secret. Stores must not cache in a way that could return a key as it was before a {@link #revoke} or
 * {@link #update} that has returned; the one place keys are kept in memory is {@link CachingKeyStore}, in front of
 * the gateway's store, which bounds that staleness by its ttl and says so.
 */
public interface KeyStore extends AutoCloseable {

    /**
     * Stores a new key with the hash of its secret.
     *
     * @param secretHash {@link KeySecrets#hash} of the secret
     * @throws IllegalArgumentException if the id or the hash is already stored, or the hash is malformed
     */
    void create(VirtualKey key, String secretHash);

    /** The key whose secret hashes to {@code secretHash}, revoked and expired ones included. */
    Optional<VirtualKey> findBySecretHash(String secretHash);

    Optional<VirtualKey> get(String id);

    /** Every key, revoked and expired ones included, oldest first (ties by id). */
    List<VirtualKey> list();

    /** Applies the patch; the key as it now is, or empty if there is no such key. */
    Optional<VirtualKey> update(String id, KeyPatch patch);

    /**
     * Revokes the key from {@code at} on; the key as it now is, or empty if there is no such key. Idempotent:
     * a key revoked before keeps its first revocation time.
     */
    Optional<VirtualKey> revoke(String id, Instant at);

    /**
     * Makes a key: a fresh id and secret, the spec's fields, {@code now} as its creation time. The returned
     * secret exists nowhere else; the store kept only its hash.
     */
    default IssuedKey issue(NewKey spec, Instant now) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(now, "now");
        String secret = KeySecrets.generate();
        VirtualKey key = new VirtualKey(KeySecrets.newId(), spec.name(), spec.user(), spec.project(), spec.team(),
                spec.models(), spec.tier(), spec.budgets(), spec.rateLimits(), KeySecrets.hint(secret), now,
                spec.expiresAt(), Optional.empty());
        create(key, KeySecrets.hash(secret));
        return new IssuedKey(key, secret);
    }

    /**
     * Whether the presented secret may make a request at {@code now}: one lookup by hash, then the key's
     * status. Something not shaped like a secret is refused without a lookup.
     */
    default Authentication authenticate(String presented, Instant now) {
        Objects.requireNonNull(now, "now");
        if (!KeySecrets.looksLikeSecret(presented)) {
            return new Authentication.Refused(Authentication.Reason.UNKNOWN, Optional.empty());
        }
        Optional<VirtualKey> found = findBySecretHash(KeySecrets.hash(presented));
        if (found.isEmpty()) {
            return new Authentication.Refused(Authentication.Reason.UNKNOWN, Optional.empty());
        }
        VirtualKey key = found.get();
        return switch (key.status(now)) {
            case ACTIVE -> new Authentication.Accepted(key);
            case EXPIRED -> new Authentication.Refused(Authentication.Reason.EXPIRED, found);
            case REVOKED -> new Authentication.Refused(Authentication.Reason.REVOKED, found);
        };
    }

    @Override
    default void close() {
    }
}
