package dev.tokenrt.keys;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A key store that remembers, for a short time, the keys it found by secret hash, so that a request does not
 * cost a database lookup (on SQLite a native call that holds one of the machine's carrier threads, and a parse of
 * the key's JSON columns: a tenth of what the full pipeline allocated a request).
 *
 * <p><b>What a revocation waits for.</b> A change made through this store (update, revoke) drops the key's
 * entries before the call returns, so this process refuses a revoked key at once. A change made elsewhere (another
 * replica on the shared database, or the CLI on the same file) is seen within {@code ttl}; {@code ttl} zero means
 * no cache at all (look up every request). Budgets already reload their definitions on the same kind of clock
 * (one second by default).
 *
 * <p>Only keys that exist are remembered: an unknown secret is looked up every time, so a key made on another
 * replica works at once, and guessed secrets cannot fill the cache.
 */
public final class CachingKeyStore implements KeyStore {

    private final KeyStore inner;
    private final Cache<String, VirtualKey> byHash;
    /**
     * Bumped by every change made through this store, before its entries are dropped: a lookup that raced a change
     * (read the old row, then stored it after the drop) sees the bump and drops what it stored.
     */
    private final AtomicLong changes = new AtomicLong();

    /**
     * @param ttl      how long a key found is served without looking again (positive)
     * @param maxKeys  how many keys are remembered at most
     * @param nanoTime the monotonic clock the ttl is measured on (injectable, so tests need not wait)
     */
    public CachingKeyStore(KeyStore inner, Duration ttl, long maxKeys, LongSupplier nanoTime) {
        this.inner = Objects.requireNonNull(inner, "inner");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("the key cache needs a positive ttl, got " + ttl);
        }
        this.byHash = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumSize(maxKeys)
                .ticker(nanoTime::getAsLong)
                .executor(Runnable::run)
                .build();
    }

    /** {@code inner} itself when {@code ttl} is zero, else a cache of {@code ttl} in front of it (system time). */
    public static KeyStore of(KeyStore inner, Duration ttl) {
        return ttl.isZero() ? inner : new CachingKeyStore(inner, ttl, 100_000, System::nanoTime);
    }

    @Override
    public Optional<VirtualKey> findBySecretHash(String secretHash) {
        VirtualKey cached = byHash.getIfPresent(secretHash);
        if (cached != null) {
            return Optional.of(cached);
        }
        long before = changes.get();
        Optional<VirtualKey> found = inner.findBySecretHash(secretHash);
        if (found.isPresent()) {
            byHash.put(secretHash, found.get());
            if (changes.get() != before) {
                byHash.invalidate(secretHash); // a change may have come between the read and the put
            }
        }
        return found;
    }

    @Override
    public void create(VirtualKey key, String secretHash) {
        inner.create(key, secretHash);
    }

    @Override
    public Optional<VirtualKey> get(String id) {
        return inner.get(id);
    }

    @Override
    public List<VirtualKey> list() {
        return inner.list();
    }

    @Override
    public Optional<VirtualKey> update(String id, KeyPatch patch) {
        try {
            return inner.update(id, patch);
        } finally {
            forget(id);
        }
    }

    @Override
    public Optional<VirtualKey> revoke(String id, Instant at) {
        try {
            return inner.revoke(id, at);
        } finally {
            forget(id);
        }
    }

    private void forget(String id) {
        changes.incrementAndGet();
        byHash.asMap().values().removeIf(k -> k.id().equals(id));
    }

    @Override
    public void close() {
        byHash.invalidateAll();
        inner.close();
    }
}
