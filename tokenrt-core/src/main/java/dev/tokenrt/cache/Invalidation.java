package dev.tokenrt.cache;

import java.time.Instant;
import java.util.Objects;
import java.util.Collection;
import java.util.Optional;

/**
 * Which cache entries to remove ({@code DELETE /admin/v1/cache?namespace=…&model=…&tag=…&older_than=…}).
 * Every condition given must hold (they are ANDed); with none given, everything goes.
 *
 * @param namespace    only this namespace (e.g. {@code project:search})
 * @param model        only entries of this upstream model
 * @param tag          only entries whose request carried this tag
 * @param storedBefore only entries stored before this instant ("older than")
 */
public record Invalidation(Optional<String> namespace, Optional<String> model, Optional<String> tag,
        Optional<Instant> storedBefore) {

    public static final Invalidation ALL = new Invalidation(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());

    public Invalidation {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(storedBefore, "storedBefore");
    }

    public static Invalidation namespace(String ns) {
        return ALL.withNamespace(ns);
    }

    public Invalidation withNamespace(String ns) {
        return new Invalidation(Optional.of(ns), model, tag, storedBefore);
    }

    public Invalidation withModel(String m) {
        return new Invalidation(namespace, Optional.of(m), tag, storedBefore);
    }

    public Invalidation withTag(String t) {
        return new Invalidation(namespace, model, Optional.of(t), storedBefore);
    }

    public Invalidation withStoredBefore(Instant t) {
        return new Invalidation(namespace, model, tag, Optional.of(t));
    }

    public boolean everything() {
        return namespace.isEmpty() && model.isEmpty() && tag.isEmpty() && storedBefore.isEmpty();
    }

    public boolean matches(CacheKey key, CachedResponse value) {
        return matches(key, value.model(), value.tags(), value.storedAt());
    }

    /** The same test on an entry's metadata alone, for a layer that keeps it apart from the answer. */
    public boolean matches(CacheKey key, String entryModel, Collection<String> entryTags, Instant storedAt) {
        return namespace.map(ns -> ns.equals(key.namespace())).orElse(true)
                && model.map(m -> m.equals(entryModel)).orElse(true)
                && tag.map(entryTags::contains).orElse(true)
                && storedBefore.map(storedAt::isBefore).orElse(true);
    }
}
