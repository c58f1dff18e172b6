package dev.tokenrt.cache;

import java.util.Objects;

/**
 * Where a response is cached: the namespace it may never leave (the tenant: a project, a team or a key) and
 * a short hash of everything in the request that can change the answer ({@link RequestFingerprint}).
 *
 * @param namespace the isolation boundary, e.g. {@code project:search}
 * @param hash      the request's fingerprint, 22 base64url characters (128 bits of SHA-256)
 */
public record CacheKey(String namespace, String hash) {

    public CacheKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(hash, "hash");
        if (hash.isEmpty()) {
            throw new IllegalArgumentException("empty cache hash");
        }
    }

    /** {@code namespace + '\u0000' + hash}: the one string form the layers store under (NUL cannot occur in either). */
    public String storageKey() {
        return namespace + '\u0000' + hash;
    }

    @Override
    public String toString() {
        return namespace + "/" + hash;
    }
}
