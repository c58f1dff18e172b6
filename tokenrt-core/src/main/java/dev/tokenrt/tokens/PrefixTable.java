package dev.tokenrt.tokens;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Model-name lookup shared by every per-model table in {@code openai-models.json}: an exact name wins, otherwise the
 * longest matching prefix. Model names arrive from clients by the million, so lookup is one hash probe plus a scan of
 * a few dozen prefixes, longest first, with no allocation.
 */
final class PrefixTable<V> {

    private final Map<String, V> exact;
    private final String[] prefixes;
    private final List<V> prefixValues;

    PrefixTable(Map<String, V> exact, Map<String, V> prefixes) {
        this.exact = Map.copyOf(exact);
        List<Map.Entry<String, V>> sorted = new ArrayList<>(prefixes.entrySet());
        sorted.sort(Comparator.comparingInt((Map.Entry<String, V> e) -> e.getKey().length()).reversed()
                .thenComparing(Map.Entry::getKey));
        this.prefixes = sorted.stream().map(Map.Entry::getKey).toArray(String[]::new);
        this.prefixValues = sorted.stream().map(Map.Entry::getValue).toList();
    }

    static <V> PrefixTable<V> empty() {
        return new PrefixTable<>(Map.of(), Map.of());
    }

    /** {@code name} must already be normalised (see {@link ModelData#normalise}). */
    Optional<V> find(String name) {
        V v = exact.get(name);
        if (v != null) {
            return Optional.of(v);
        }
        for (int i = 0; i < prefixes.length; i++) {
            if (name.startsWith(prefixes[i])) {
                return Optional.of(prefixValues.get(i));
            }
        }
        return Optional.empty();
    }

    /** A table in which {@code prefix} maps to {@code value}, replacing an equal prefix. */
    PrefixTable<V> withPrefix(String prefix, V value) {
        Map<String, V> p = new LinkedHashMap<>();
        for (int i = 0; i < prefixes.length; i++) {
            p.put(prefixes[i], prefixValues.get(i));
        }
        p.put(prefix, value);
        return new PrefixTable<>(exact, p);
    }

    boolean isEmpty() {
        return exact.isEmpty() && prefixes.length == 0;
    }

    /** Every key, exact names and prefixes, for error messages. */
    List<String> keys() {
        List<String> keys = new ArrayList<>(exact.keySet());
        keys.addAll(List.of(prefixes));
        keys.sort(Comparator.naturalOrder());
        return keys;
    }
}
