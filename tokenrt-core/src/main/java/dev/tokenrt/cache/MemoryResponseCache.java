package dev.tokenrt.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process layer (L1). A new entry is kept on the heap as the object it was stored as, visible at once, and
 * a background thread moments later encodes it ({@link CacheCodec}) into {@link OffHeapLog}, outside the Java heap,
 * so the encoding is never on a request's path and the heap holds no entry for longer than a round. Held on the
 * heap (in Caffeine, as bytes), the entries were what every young collection copied: with every miss stored at
 * 2,000 requests/s they took the full pipeline's pause time from 2.5 to 21 ms a second
 * (bench/results/gateway-offheap-2026-12-07.md). A hit costs copying its record out, then the inflate and parse of
 * that one entry. Expiry reads the injected clock, so tests move time instead of waiting.
 *
 * <p>Bounded by bytes: the log's segments together hold at most the layer's size, allocated as they are first
 * written; what does not fit is evicted oldest segment first, sparing entries read since they were stored (see
 * {@link OffHeapLog}). Entries waiting to be encoded are bounded by count ({@link #MAX_PENDING}).
 */
public final class MemoryResponseCache implements ResponseCache {

    /** An entry not yet encoded, and what expiry and invalidation read. */
    private record Stored(CachedResponse value, String model, Instant storedAt, Instant expiresAt, String[] tags) {

        boolean matches(CacheKey key, Invalidation which) {
            return which.matches(key, model, Arrays.asList(tags), storedAt);
        }
    }

    /** Entries stored and not yet in the log; what a get looks at first. */
    private final ConcurrentHashMap<CacheKey, Stored> fresh = new ConcurrentHashMap<>();
    /** The log, and every step that must see it and {@link #fresh} agree (the encoder's commit, invalidation). */
    private final OffHeapLog log;
    private final ReentrantLock lock = new ReentrantLock();
    private final Clock clock;
    /**
     * New entries wait here to be encoded. The encoder runs {@link #ENCODE_AFTER_MS} ms after the first entry of a
     * round and encodes every entry queued by then: handing it each entry as it came woke its thread once a
     * request (a system call and a context switch each, at 2,000 requests/s); this wakes it at most 50 times a
     * second, and never when idle.
     */
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    /** Entries queued and not yet encoded (or given up); bounded by {@link #maxPending}. */
    private final AtomicInteger unencoded = new AtomicInteger();
    private final AtomicBoolean roundScheduled = new AtomicBoolean();
    private final ScheduledExecutorService encoder;
    private static final long ENCODE_AFTER_MS = 20;
    /** Beyond this many entries waiting to be encoded, a put encodes its own entry. */
    private static final int MAX_PENDING = 65_536;
    private final int maxPending;

    private record Pending(CacheKey key, Stored fresh) {
    }

    public MemoryResponseCache(long maxBytes, Clock clock) {
        this(maxBytes, clock, MAX_PENDING);
    }

    /** With a bound of its own on entries waiting to be encoded (tests). */
    MemoryResponseCache(long maxBytes, Clock clock, int maxPending) {
        this.maxPending = maxPending;
        this.clock = clock;
        this.log = new OffHeapLog(maxBytes, clock::millis);
        this.encoder = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokenrt-cache-encoder");
            t.setDaemon(true);
            return t;
        });
    }

    /** An answer's size before encoding: two bytes a character of its text, plus a fixed overhead. */
    private static int freshWeight(CachedResponse v) {
        long chars = v.model().length() + v.provider().length() + v.response().id().length();
        for (dev.tokenrt.chat.Part p : v.response().content()) {
            chars += p.chars();
        }
        return (int) Math.min(Integer.MAX_VALUE, 512 + 2 * chars);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Optional<CachedResponse> get(CacheKey key, Instant now) {
        Stored s = fresh.get(key);
        if (s != null) {
            return now.isBefore(s.expiresAt()) ? Optional.of(s.value()) : Optional.empty();
        }
        byte[] payload;
        lock.lock();
        try {
            payload = log.get(key);
        } finally {
            lock.unlock();
        }
        if (payload == null) {
            return Optional.empty();
        }
        ByteBuffer p = ByteBuffer.wrap(payload);
        if (!now.isBefore(Instant.ofEpochSecond(p.getLong(), p.getInt()))) {
            return Optional.empty();
        }
        p.position(p.position() + 12); // storedAt
        skipString(p); // model
        for (int tags = p.get(); tags > 0; tags--) {
            skipString(p);
        }
        return Optional.of(CacheCodec.decode(Arrays.copyOfRange(payload, p.position(), payload.length)));
    }

    @Override
    public void put(CacheKey key, CachedResponse value) {
        if (value.expiredAt(clock.instant())) {
            return;
        }
        Stored s = new Stored(value, value.model().intern(), value.storedAt(), value.expiresAt(),
                value.tags().toArray(String[]::new));
        if (unencoded.incrementAndGet() > maxPending) {
            unencoded.decrementAndGet();
            commit(key, s, false); // the encoder is behind: this caller encodes its own entry
            return;
        }
        fresh.put(key, s);
        pending.add(new Pending(key, s));
        if (roundScheduled.compareAndSet(false, true)) {
            try {
                encoder.schedule(this::encodeRound, ENCODE_AFTER_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                pending.clear();
                unencoded.set(0);
            }
        }
    }

    /**
     * Encodes every entry queued so far into the log; a put after the flag is cleared schedules the next round. An
     * entry replaced or invalidated since it was queued is skipped: the check and the write are one step under the
     * lock, so an invalidation never races an entry back in.
     */
    private void encodeRound() {
        roundScheduled.set(false);
        for (Pending p; (p = pending.poll()) != null; unencoded.decrementAndGet()) {
            commit(p.key(), p.fresh(), true);
        }
    }

    /**
     * Encodes {@code s} into the log and drops it from {@link #fresh}. A {@code queued} entry replaced or invalidated
     * since it was queued is skipped; one put straight here replaces any fresh one. An entry that cannot be encoded
     * (or finds no direct memory at all) is not kept, and takes the key's older answer with it.
     */
    private void commit(CacheKey key, Stored s, boolean queued) {
        byte[] payload;
        try {
            payload = payload(s);
        } catch (RuntimeException e) {
            payload = null;
        }
        lock.lock();
        try {
            if (queued && fresh.get(key) != s) {
                return;
            }
            try {
                if (payload == null || !log.put(key, expiryMillis(s.expiresAt()), payload)) {
                    log.remove(key);
                }
            } catch (RuntimeException e) {
                log.remove(key);
            }
            if (queued) {
                fresh.remove(key, s);
            } else {
                fresh.remove(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The expiry in whole milliseconds, rounded up: the log spares no entry past its time. */
    private static long expiryMillis(Instant t) {
        long ms = t.toEpochMilli();
        return t.getNano() % 1_000_000 == 0 ? ms : ms + 1;
    }

    /**
     * {@code expiresAt (long seconds, int nanos) | storedAt (the same) | model | byte tagCount | tags | encoded
     * answer}; strings as a short length and UTF-8.
     */
    private static byte[] payload(Stored s) {
        byte[] value = CacheCodec.encode(s.value());
        byte[] model = s.model().getBytes(StandardCharsets.UTF_8);
        byte[][] tags = new byte[s.tags().length][];
        int size = 24 + 2 + model.length + 1 + value.length;
        if (tags.length > Byte.MAX_VALUE || model.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("too many tags or too long a model name to keep in memory");
        }
        for (int i = 0; i < tags.length; i++) {
            tags[i] = s.tags()[i].getBytes(StandardCharsets.UTF_8);
            if (tags[i].length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("too long a tag to keep in memory");
            }
            size += 2 + tags[i].length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(s.expiresAt().getEpochSecond()).putInt(s.expiresAt().getNano());
        b.putLong(s.storedAt().getEpochSecond()).putInt(s.storedAt().getNano());
        b.putShort((short) model.length).put(model);
        b.put((byte) tags.length);
        for (byte[] t : tags) {
            b.putShort((short) t.length).put(t);
        }
        return b.put(value).array();
    }

    /** What invalidation reads of a logged entry: the payload's metadata, not its answer. */
    private static Stored meta(byte[] payload) {
        ByteBuffer p = ByteBuffer.wrap(payload);
        Instant expiresAt = Instant.ofEpochSecond(p.getLong(), p.getInt());
        Instant storedAt = Instant.ofEpochSecond(p.getLong(), p.getInt());
        String model = string(p);
        String[] tags = new String[p.get()];
        for (int i = 0; i < tags.length; i++) {
            tags[i] = string(p);
        }
        return new Stored(null, model, storedAt, expiresAt, tags);
    }

    private static String string(ByteBuffer p) {
        int len = p.getShort();
        String s = new String(p.array(), p.position(), len, StandardCharsets.UTF_8);
        p.position(p.position() + len);
        return s;
    }

    private static void skipString(ByteBuffer p) {
        int len = p.getShort();
        p.position(p.position() + len);
    }

    /** Encodes every entry stored so far now, not at the round's time, and waits for it (tests, benchmarks). */
    public boolean encoded(long timeoutMillis) {
        if (unencoded.get() > 0) {
            try {
                encoder.execute(this::encodeRound);
            } catch (RejectedExecutionException closed) {
                return false;
            }
        }
        return LayeredResponseCache.await(() -> unencoded.get() == 0, System.nanoTime() + timeoutMillis * 1_000_000L);
    }

    @Override
    public void close() {
        encoder.shutdown();
    }

    @Override
    public long invalidate(Invalidation which) {
        lock.lock();
        try {
            if (which.everything()) {
                long n = sizeLocked();
                fresh.clear();
                log.clear();
                return n;
            }
            long n = 0;
            for (var e : fresh.entrySet()) {
                if (e.getValue().matches(e.getKey(), which) && fresh.remove(e.getKey(), e.getValue())) {
                    log.remove(e.getKey()); // an older answer of the key must not come back
                    n++;
                }
            }
            // A key that is also fresh is decided by its fresh entry above: the logged one is an older answer.
            return n + log.removeIf((key, payload) -> !fresh.containsKey(key) && meta(payload).matches(key, which));
        } finally {
            lock.unlock();
        }
    }

    /** The bytes the layer holds now, fresh entries estimated at two bytes a character (tests). */
    long weightedBytes() {
        lock.lock();
        try {
            long n = log.liveBytes();
            for (Stored s : fresh.values()) {
                n += freshWeight(s.value());
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** The log's segments allocated so far (tests). */
    int segmentsAllocated() {
        lock.lock();
        try {
            return log.segmentsAllocated();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The direct memory the layer takes now: its segments, which grow as they are first written up to the layer's
     * size, and its index, 16 bytes a slot with at least two slots an entry.
     */
    public long directBytes() {
        lock.lock();
        try {
            return log.directBytes();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long size() {
        lock.lock();
        try {
            return sizeLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Entries held, expired or not; a key both fresh and logged counts once. */
    private long sizeLocked() {
        long n = log.size();
        for (CacheKey k : fresh.keySet()) {
            n += log.contains(k) ? 0 : 1;
        }
        return n;
    }
}
