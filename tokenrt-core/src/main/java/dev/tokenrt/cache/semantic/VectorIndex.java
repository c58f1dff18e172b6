package dev.tokenrt.cache.semantic;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Nearest-neighbour search over unit vectors, split into partitions that never see each other: a partition
 * is a cache namespace plus everything around the compared text (model, parameters, system prompt, earlier
 * turns, tools), so a query is only ever compared with entries whose context is identical. Implementations:
 * Lucene HNSW on disk (one machine) and pgvector in PostgreSQL (shared by replicas).
 */
public interface VectorIndex extends AutoCloseable {

    /**
     * Adds (or replaces) an entry.
     *
     * @param partition the namespace and context hash the entry belongs to
     * @param id        the entry's id, unique across partitions
     * @param vector    a unit vector of the index's dimension
     * @param expiresAt after this instant the entry is never returned and may be dropped
     */
    void add(String partition, String id, float[] vector, Instant expiresAt);

    /** The {@code k} entries of {@code partition} nearest to {@code vector}, best first, none expired at {@code now}. */
    List<Neighbour> search(String partition, float[] vector, int k, Instant now);

    /** Removes one entry; true if it was there. */
    boolean remove(String id);

    /** Removes every entry of the partitions that start with {@code prefix} (a namespace); returns how many. */
    long removePartitions(String prefix);

    /** Drops expired entries; returns how many. */
    long sweep(Instant now);

    /** Entries held (expired ones not yet swept included). */
    long size();

    @Override
    void close();

    /** Rejects the arguments of {@link #add} that no index could store: nulls, and a vector not of unit length. */
    static void requireEntry(String partition, String id, float[] vector, Instant expiresAt) {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(expiresAt, "expiresAt");
        requireUnit(vector);
    }

    /** Rejects the arguments of {@link #search} that no index could answer: nulls, and {@code k} below 1. */
    static void requireSearch(String partition, float[] vector, int k, Instant now) {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(now, "now");
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
    }

    /**
     * Rejects a vector that is empty or not of unit length (within 1e-3 in squared norm): indexes compare by dot
     * product, which is the cosine only for unit vectors.
     */
    static void requireUnit(float[] vector) {
        Objects.requireNonNull(vector, "vector");
        double sum = 0;
        for (float x : vector) {
            sum += (double) x * x;
        }
        if (vector.length == 0 || Math.abs(sum - 1) > 1e-3) {
            throw new IllegalArgumentException("vectors must have unit length (the index compares by dot product), "
                    + "got " + vector.length + " components with a squared norm of " + sum);
        }
    }

    /**
     * One search result.
     *
     * @param id    the entry's id
     * @param score the cosine similarity with the query, in [-1, 1]
     */
    record Neighbour(String id, float score) {
        public Neighbour {
            Objects.requireNonNull(id, "id");
        }
    }
}
