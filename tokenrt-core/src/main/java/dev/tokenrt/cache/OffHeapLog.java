package dev.tokenrt.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.LongSupplier;

/**
 * The memory layer's entries, kept outside the Java heap: records appended to a ring of direct buffers
 * ("segments"), found through an open-addressing table kept in direct memory as well. Nothing here is an object per
 * entry, so the young collections that run every fraction of a second at thousands of requests a second have
 * nothing of the cache's to copy or scan. Kept on the heap, every new entry was copied between survivor spaces five
 * times before it was promoted: most of what each young pause copied, and most of the full pipeline's pause time
 * (bench/results/gateway-offheap-2026-12-07.md).
 *
 * <p>Written by hand: no library on Maven Central keeps entries off the heap through the JDK's own API without
 * committing its whole size at start. Ehcache's off-heap tier allocates it up front (measured here: a process
 * resident at 91 MB with a 16 MB layer took 1 s and 337 MB with 256 MB, 3 s and 1.1 GB with 1 GB); OHC and
 * Chronicle Map need {@code sun.misc.Unsafe} memory access, which JDK 24 and later warn about. Segments here are
 * allocated the first time they are written, so the memory held grows with what is cached.
 *
 * <p>Eviction is by segment, oldest first, with a second chance: when the ring wraps onto a segment, each record
 * in it that is still current, not expired and was read since it was written (or last spared) is written again at
 * the start of that segment; the rest are dropped. A record larger than a segment (an eighth of the layer, at most
 * 8 MiB) is not kept. Replacing a key appends a new record; the old one is dead space until its segment comes
 * round.
 *
 * <p>Not thread-safe: the owner ({@link MemoryResponseCache}) holds one lock around every call.
 *
 * <p>Record layout: {@code int length | byte flags | long fingerprint | long expiresAtMillis | short nsLength | ns
 * | short hashLength | hash | payload}, UTF-8 strings; the length counts the whole record.
 */
final class OffHeapLog {

    static final int MAX_SEGMENT_BYTES = 8 << 20;
    /** At most this many records: the table (16 bytes a slot, at most half full) stays within one buffer. */
    static final int MAX_RECORDS = 1 << 25;
    private static final int HEADER = 4 + 1 + 8 + 8;
    private static final byte READ = 1;

    private final int segmentBytes;
    private final ByteBuffer[] segments;
    /** Bytes written in each segment. */
    private final int[] used;
    private final LongSupplier nowMillis;
    private int head;
    /** Segments in use: all of them, unless direct memory ran out first. */
    private int ring;

    /**
     * The index, off the heap too: slots of two longs, the fingerprint (never 0, which marks a free slot) and
     * {@code segment << 32 | offset}. On the heap, its arrays were copied by every young collection until they
     * were old enough to be promoted, again after each time the table grew.
     */
    private ByteBuffer table = ByteBuffer.allocateDirect(1024 * 16);
    private int slots = 1024;
    private int count;
    private long liveBytes;

    OffHeapLog(long maxBytes, LongSupplier nowMillis) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the memory cache needs a positive size, got " + maxBytes);
        }
        this.segmentBytes = (int) Math.max(1, Math.min(MAX_SEGMENT_BYTES, maxBytes / 8));
        long n = Math.max(1, maxBytes / segmentBytes);
        if (n > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("the memory cache is too large: " + maxBytes + " bytes");
        }
        this.segments = new ByteBuffer[(int) n];
        this.used = new int[(int) n];
        this.ring = (int) n;
        this.nowMillis = nowMillis;
    }

    /** The key's 64-bit fingerprint: FNV-1a over its characters, then MurmurHash3's finaliser; never 0. */
    static long fingerprint(CacheKey key) {
        long h = 0xcbf29ce484222325L;
        h = mixIn(h, key.namespace());
        h *= 0x100000001b3L; // the NUL between the two
        h = mixIn(h, key.hash());
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
    }

    private static long mixIn(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }

    /**
     * Stores {@code payload} under {@code key}, replacing what was there.
     *
     * @return false if the record is larger than a segment, or the log holds {@link #MAX_RECORDS} already (nothing
     *         stored, and an older record of the key removed)
     */
    boolean put(CacheKey key, long expiresAtMillis, byte[] payload) {
        byte[] ns = key.namespace().getBytes(StandardCharsets.UTF_8);
        byte[] hash = key.hash().getBytes(StandardCharsets.UTF_8);
        long fp = fingerprint(key);
        long length = (long) HEADER + 2 + ns.length + 2 + hash.length + payload.length;
        if (length > segmentBytes || ns.length > Short.MAX_VALUE || hash.length > Short.MAX_VALUE
                || count >= MAX_RECORDS) {
            remove(key);
            return false;
        }
        int len = (int) length;
        ByteBuffer b = room(len);
        int at = used[head];
        b.putInt(at, len);
        b.put(at + 4, (byte) 0);
        b.putLong(at + 5, fp);
        b.putLong(at + 13, expiresAtMillis);
        b.putShort(at + HEADER, (short) ns.length);
        b.put(at + HEADER + 2, ns);
        int p = at + HEADER + 2 + ns.length;
        b.putShort(p, (short) hash.length);
        b.put(p + 2, hash);
        b.put(p + 2 + hash.length, payload);
        used[head] = at + len;
        index(fp, (long) head << 32 | at, len);
        return true;
    }

    /** The payload stored under {@code key}, marked as read; null if there is none. */
    byte[] get(CacheKey key) {
        int slot = slotOf(key);
        if (slot < 0) {
            return null;
        }
        long loc = loc(slot);
        ByteBuffer b = segments[(int) (loc >>> 32)];
        int at = (int) loc;
        b.put(at + 4, (byte) (b.get(at + 4) | READ));
        int p = payloadAt(b, at);
        byte[] out = new byte[at + b.getInt(at) - p];
        b.get(p, out);
        return out;
    }

    boolean contains(CacheKey key) {
        return slotOf(key) >= 0;
    }

    void remove(CacheKey key) {
        int slot = slotOf(key);
        if (slot >= 0) {
            liveBytes -= recordLength(loc(slot));
            delete(slot);
        }
    }

    /** The index slot of {@code key}'s current record, or -1 (none, or another key with the same fingerprint). */
    private int slotOf(CacheKey key) {
        int slot = slot(fingerprint(key));
        return fp(slot) != 0 && keyAt(segments[(int) (loc(slot) >>> 32)], (int) loc(slot), key) ? slot : -1;
    }

    /** Removes every current record for which {@code which(key, payload)} holds; returns how many. */
    long removeIf(BiPredicate<CacheKey, byte[]> which) {
        long removed = 0;
        for (int s = 0; s < segments.length; s++) {
            ByteBuffer b = segments[s];
            for (int at = 0; b != null && at < used[s]; at += b.getInt(at)) {
                int slot = currentSlot(s, at);
                if (slot < 0) {
                    continue;
                }
                int p = payloadAt(b, at);
                byte[] payload = new byte[at + b.getInt(at) - p];
                b.get(p, payload);
                if (which.test(keyOf(b, at), payload)) {
                    liveBytes -= b.getInt(at);
                    delete(slot);
                    removed++;
                }
            }
        }
        return removed;
    }

    void clear() {
        table = ByteBuffer.allocateDirect(slots * 16);
        Arrays.fill(used, 0);
        count = 0;
        liveBytes = 0;
        head = 0;
    }

    /** Current records, expired or not. */
    int size() {
        return count;
    }

    /** The bytes of current records. */
    long liveBytes() {
        return liveBytes;
    }

    /** Segments allocated so far (tests). */
    int segmentsAllocated() {
        int n = 0;
        for (ByteBuffer b : segments) {
            n += b != null ? 1 : 0;
        }
        return n;
    }

    int segmentBytes() {
        return segmentBytes;
    }

    /** The direct memory taken now: the segments allocated and the index (16 bytes a slot). */
    long directBytes() {
        return (long) segmentsAllocated() * segmentBytes + (long) slots * 16;
    }

    /**
     * The head segment with {@code len} bytes free, moving on to (and evicting) the next one if need be. Ends within
     * one turn of the ring: a spared record is spared once, so a segment recycled twice in a row comes back empty.
     */
    private ByteBuffer room(int len) {
        if (used[head] + len <= segmentBytes && allocated(head)) {
            return segments[head];
        }
        while (true) {
            head = (head + 1) % ring;
            if (segments[head] == null) {
                if (allocated(head)) {
                    return segments[head];
                }
                ring = head; // direct memory ran out: the ring is the segments there are
                head = 0;
            }
            recycle(head);
            if (used[head] + len <= segmentBytes) {
                return segments[head];
            }
            // the spared records filled it: the next one is evicted too
        }
    }

    /**
     * Whether segment {@code s} is there, allocating it if not. The layer's size counts against the JVM's direct
     * memory ({@code -XX:MaxDirectMemorySize}, by default the heap's maximum); when that runs out before the layer is
     * full, the layer keeps the segments it has.
     */
    private boolean allocated(int s) {
        if (segments[s] == null) {
            try {
                segments[s] = ByteBuffer.allocateDirect(segmentBytes);
            } catch (OutOfMemoryError e) {
                if (s == 0) {
                    throw new IllegalStateException("no direct memory left for the memory cache", e);
                }
                return false;
            }
        }
        return true;
    }

    /** Drops segment {@code s}'s records, writing the current, unexpired and read ones again at its start. */
    private void recycle(int s) {
        ByteBuffer b = segments[s];
        long now = nowMillis.getAsLong();
        List<byte[]> spared = new ArrayList<>();
        for (int at = 0; at < used[s]; at += b.getInt(at)) {
            int slot = currentSlot(s, at);
            if (slot < 0) {
                continue;
            }
            int len = b.getInt(at);
            if ((b.get(at + 4) & READ) != 0 && b.getLong(at + 13) > now) {
                byte[] r = new byte[len];
                b.get(at, r);
                spared.add(r);
            }
            liveBytes -= len;
            delete(slot);
        }
        used[s] = 0;
        for (byte[] r : spared) {
            int at = used[s];
            b.put(at, r);
            b.put(at + 4, (byte) 0); // one more chance, not an endless one
            used[s] = at + r.length;
            index(b.getLong(at + 5), (long) s << 32 | at, r.length);
        }
    }

    /** The index slot that points at the record at {@code (s, at)}, or -1 if the record is not current. */
    private int currentSlot(int s, int at) {
        int slot = slot(segments[s].getLong(at + 5));
        return fp(slot) != 0 && loc(slot) == ((long) s << 32 | at) ? slot : -1;
    }

    private void index(long fp, long loc, int len) {
        if ((count + 1) * 2L > slots) {
            grow();
        }
        int slot = slot(fp);
        if (fp(slot) == 0) {
            table.putLong(slot * 16, fp);
            count++;
        } else {
            liveBytes -= recordLength(loc(slot));
        }
        table.putLong(slot * 16 + 8, loc);
        liveBytes += len;
    }

    private int recordLength(long loc) {
        return segments[(int) (loc >>> 32)].getInt((int) loc);
    }

    /** Linear probing: the slot holding {@code fp}, or the free slot where it would go. */
    private int slot(long fp) {
        int mask = slots - 1;
        int i = (int) fp & mask;
        while (fp(i) != 0 && fp(i) != fp) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** Empties {@code i}, shifting later entries of the same probe run back so that every one stays findable. */
    private void delete(int i) {
        int mask = slots - 1;
        count--;
        for (int j = (i + 1) & mask; fp(j) != 0; j = (j + 1) & mask) {
            int home = (int) fp(j) & mask;
            if (((j - home) & mask) >= ((j - i) & mask)) { // i lies on j's probe path: j may move to i
                table.putLong(i * 16, fp(j));
                table.putLong(i * 16 + 8, loc(j));
                i = j;
            }
        }
        table.putLong(i * 16, 0);
        table.putLong(i * 16 + 8, 0);
    }

    private void grow() {
        ByteBuffer old = table;
        int oldSlots = slots;
        slots = oldSlots * 2;
        table = ByteBuffer.allocateDirect(slots * 16);
        for (int i = 0; i < oldSlots; i++) {
            long fp = old.getLong(i * 16);
            if (fp != 0) {
                int slot = slot(fp);
                table.putLong(slot * 16, fp);
                table.putLong(slot * 16 + 8, old.getLong(i * 16 + 8));
            }
        }
    }

    private long fp(int slot) {
        return table.getLong(slot * 16);
    }

    private long loc(int slot) {
        return table.getLong(slot * 16 + 8);
    }

    private static boolean keyAt(ByteBuffer b, int at, CacheKey key) {
        return keyOf(b, at).equals(key);
    }

    private static CacheKey keyOf(ByteBuffer b, int at) {
        int nsLen = b.getShort(at + HEADER);
        String ns = string(b, at + HEADER + 2, nsLen);
        int p = at + HEADER + 2 + nsLen;
        return new CacheKey(ns, string(b, p + 2, b.getShort(p)));
    }

    private static String string(ByteBuffer b, int at, int len) {
        byte[] bytes = new byte[len];
        b.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static int payloadAt(ByteBuffer b, int at) {
        int p = at + HEADER + 2 + b.getShort(at + HEADER);
        return p + 2 + b.getShort(p);
    }
}
