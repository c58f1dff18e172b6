package dev.tokenrt.tokens;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.Objects;

/**
 * Remembers the counts of long texts that come back again and again (system prompts, tool definitions, few-shot
 * examples), so a gateway does not re-tokenise the same 10 kB on every request. It can never change a result: the
 * key is the text itself, compared with {@code equals}, not a hash of it, so two texts never share an entry; and the
 * value is whatever the wrapped tokenizer said for that text.
 *
 * <p>Only texts of at least {@code minLength} characters are cached: short texts are cheaper to count than to look
 * up. The cache is bounded by weight (about two bytes a character plus entry overhead) and evicts with Caffeine's
 * W-TinyLFU policy. Ids ({@link #encode}) are not cached: they are rarely asked for and cost far more memory.
 */
public final class CachingTokenizer implements Tokenizer {

    /** System prompts and tool definitions are usually longer than this; chat turns often shorter. */
    public static final int DEFAULT_MIN_LENGTH = 256;
    /** 64 MiB of cached text. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /** Object headers, the String, its array and the cache node, roughly. */
    private static final int ENTRY_OVERHEAD_BYTES = 96;

    private final Tokenizer delegate;
    private final int minLength;
    private final Cache<String, Integer> counts;

    private CachingTokenizer(Tokenizer delegate, long maxBytes, int minLength) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        if (minLength < 1) {
            throw new IllegalArgumentException("minLength must be at least 1: " + minLength);
        }
        this.minLength = minLength;
        this.counts = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String text, Integer count) -> weigh(text))
                .build();
    }

    /** Caches texts of at least {@link #DEFAULT_MIN_LENGTH} characters in up to {@link #DEFAULT_MAX_BYTES}. */
    public static CachingTokenizer wrap(Tokenizer delegate) {
        return new CachingTokenizer(delegate, DEFAULT_MAX_BYTES, DEFAULT_MIN_LENGTH);
    }

    /** Caches texts of at least {@code minLength} characters in up to about {@code maxBytes} bytes of memory. */
    public static CachingTokenizer wrap(Tokenizer delegate, long maxBytes, int minLength) {
        return new CachingTokenizer(delegate, maxBytes, minLength);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public boolean exact() {
        return delegate.exact();
    }

    @Override
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        if (text.length() < minLength) {
            return delegate.countTokens(text);
        }
        return counts.get(text, delegate::countTokens);
    }

    @Override
    public int[] encode(String text) {
        return delegate.encode(text);
    }

    /** The tokenizer whose counts are cached. */
    public Tokenizer delegate() {
        return delegate;
    }

    /** How many texts are cached now (approximate under concurrent use); for tests and metrics. */
    public long cachedTexts() {
        return counts.estimatedSize();
    }

    private static int weigh(String text) {
        long bytes = 2L * text.length() + ENTRY_OVERHEAD_BYTES;
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    @Override
    public String toString() {
        return "CachingTokenizer[" + delegate + ", minLength=" + minLength + "]";
    }
}
