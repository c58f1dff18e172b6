package dev.tokenrt.keys;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keys in this process's memory: for tests, the embedded library, and a gateway whose keys come from its
 * configuration file. Lost on exit; one process only. Lookups are lock-free; writes take one lock so that the
 * two indexes (by id, by hash) never disagree.
 */
public final class InMemoryKeyStore implements KeyStore {

    private record Stored(VirtualKey key, String hash) {
    }

    private final Map<String, Stored> byId = new ConcurrentHashMap<>();
    private final Map<String, String> idByHash = new ConcurrentHashMap<>();

    @Override
    public synchronized void create(VirtualKey key, String secretHash) {
        Objects.requireNonNull(key, "key");
        if (!KeySecrets.isHash(secretHash)) {
            throw new IllegalArgumentException("secretHash must be a SHA-256 in lower-case hex");
        }
        if (byId.containsKey(key.id())) {
            throw new IllegalArgumentException("a key with id " + key.id() + " already exists");
        }
        if (idByHash.containsKey(secretHash)) {
            throw new IllegalArgumentException("another key already has this secret");
        }
        byId.put(key.id(), new Stored(key, secretHash));
        idByHash.put(secretHash, key.id());
    }

    @Override
    public Optional<VirtualKey> findBySecretHash(String secretHash) {
        Objects.requireNonNull(secretHash, "secretHash");
        String id = idByHash.get(secretHash);
        Stored s = id == null ? null : byId.get(id);
        return s == null ? Optional.empty() : Optional.of(s.key());
    }

    @Override
    public Optional<VirtualKey> get(String id) {
        Objects.requireNonNull(id, "id");
        return Optional.ofNullable(byId.get(id)).map(Stored::key);
    }

    @Override
    public List<VirtualKey> list() {
        return byId.values().stream().map(Stored::key)
                .sorted(Comparator.comparing(VirtualKey::createdAt).thenComparing(VirtualKey::id))
                .toList();
    }

    @Override
    public synchronized Optional<VirtualKey> update(String id, KeyPatch patch) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(patch, "patch");
        Stored s = byId.get(id);
        if (s == null) {
            return Optional.empty();
        }
        VirtualKey next = patch.applyTo(s.key());
        byId.put(id, new Stored(next, s.hash()));
        return Optional.of(next);
    }

    @Override
    public synchronized Optional<VirtualKey> revoke(String id, Instant at) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(at, "at");
        Stored s = byId.get(id);
        if (s == null) {
            return Optional.empty();
        }
        VirtualKey next = s.key().revokedAt(at);
        byId.put(id, new Stored(next, s.hash()));
        return Optional.of(next);
    }
}
