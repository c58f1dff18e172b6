package dev.tokenrt.cache;

import dev.tokenrt.cache.semantic.SemanticCache;
import dev.tokenrt.cache.semantic.VectorIndex;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The semantic cache ({@link SemanticCache}) in the pipeline's terms. A request is compared by its last user turn
 * ({@link RequestFingerprint#comparedText}) only with entries of the same namespace whose context is identical: the
 * partition is {@code namespace + ":" + }{@link RequestFingerprint#contextHash} (provider, model, parameters, system
 * prompt, earlier turns, tools). An entry's id names the exact-cache entry holding its answer.
 */
public final class SemanticCacheStage implements SemanticStage {

    /** The length of a {@link RequestFingerprint} hash, which ends every entry id. */
    private static final int HASH_LENGTH = 22;

    private final SemanticCache cache;
    private final VectorIndex index;

    public SemanticCacheStage(SemanticCache cache, VectorIndex index) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.index = Objects.requireNonNull(index, "index");
    }

    public SemanticCache cache() {
        return cache;
    }

    /** {@code namespace|hash}: readable, and free of NUL (which PostgreSQL text cannot hold). */
    static String entryId(CacheKey key) {
        return key.namespace() + "|" + key.hash();
    }

    static CacheKey key(String entryId) {
        if (entryId.length() < HASH_LENGTH + 2 || entryId.charAt(entryId.length() - HASH_LENGTH - 1) != '|') {
            throw new IllegalArgumentException("not a semantic cache entry id: " + entryId);
        }
        return new CacheKey(entryId.substring(0, entryId.length() - HASH_LENGTH - 1),
                entryId.substring(entryId.length() - HASH_LENGTH));
    }

    private static Optional<String> partition(String namespace, ChatRequest request, String provider, String model) {
        return RequestFingerprint.contextHash(request, provider, model).map(ctx -> namespace + ":" + ctx);
    }

    @Override
    public Optional<Candidate> find(String namespace, ChatRequest request, String provider, String model, Instant now) {
        Optional<String> partition = partition(namespace, request, provider, model);
        if (partition.isEmpty()) {
            return Optional.empty();
        }
        String text = RequestFingerprint.comparedText(request).orElseThrow();
        return cache.lookup(partition.get(), text, now)
                .map(m -> new Candidate(key(m.entryId()), m.similarity(), m.mustVerify(), m));
    }

    @Override
    public void remember(String namespace, ChatRequest request, String provider, String model, CacheKey entry,
            Instant expiresAt) {
        Optional<String> partition = partition(namespace, request, provider, model);
        if (partition.isPresent()) {
            cache.add(partition.get(), entryId(entry), RequestFingerprint.comparedText(request).orElseThrow(), expiresAt);
        }
    }

    @Override
    public void verified(Candidate candidate, ChatResponse cached, ChatResponse fresh) {
        cache.feedback((SemanticCache.Match) candidate.handle(), cache.sameAnswer(answerText(cached), answerText(fresh)));
    }

    @Override
    public void stale(Candidate candidate) {
        index.remove(entryId(candidate.entry()));
    }

    @Override
    public long forget(Optional<String> namespace) {
        return index.removePartitions(namespace.map(ns -> ns + ":").orElse(""));
    }

    @Override
    public void sweep(Instant now) {
        index.sweep(now);
    }

    @Override
    public String summary() {
        return cache.report().summary();
    }

    /** What an answer says: its text, and its tool calls by name and arguments. */
    static String answerText(ChatResponse r) {
        StringBuilder sb = new StringBuilder();
        for (Part p : r.content()) {
            switch (p) {
                case Part.Text t -> sb.append(t.text());
                case Part.ToolCall c -> sb.append('\n').append(c.name()).append(' ').append(c.arguments());
                default -> { }
            }
        }
        return sb.toString();
    }
}
