package dev.tokenrt.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The off-heap log: what is put comes back until it is replaced, removed or evicted, within its size. */
class OffHeapLogTest {

    private final AtomicLong now = new AtomicLong(1_000_000);

    private static CacheKey key(int i) {
        return new CacheKey("project:" + (i % 7), "h" + i);
    }

    private static byte[] value(int i, int version) {
        return ("value " + i + " v" + version + " " + "x".repeat(i % 50)).getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void agreesWithAMapUnderRandomPutsAndRemovesWhenNothingIsEvicted() {
        // Large enough never to wrap: every get must equal the model exactly, which exercises the probe table's
        // growth and its backward-shift deletion over tens of thousands of keys.
        OffHeapLog log = new OffHeapLog(256L << 20, now::get);
        Map<CacheKey, String> model = new HashMap<>();
        SplittableRandom r = new SplittableRandom(7);
        for (int op = 0; op < 200_000; op++) {
            int i = r.nextInt(30_000);
            CacheKey k = key(i);
            switch (r.nextInt(4)) {
                case 0, 1 -> {
                    byte[] v = value(i, op);
                    assertThat(log.put(k, Long.MAX_VALUE, v)).isTrue();
                    model.put(k, text(v));
                }
                case 2 -> {
                    log.remove(k);
                    model.remove(k);
                }
                default -> assertThat(text(log.get(k))).as("op %d key %s", op, k).isEqualTo(model.get(k));
            }
        }
        assertThat(log.size()).isEqualTo(model.size());
        for (var e : model.entrySet()) {
            assertThat(text(log.get(e.getKey()))).isEqualTo(e.getValue());
            assertThat(log.contains(e.getKey())).isTrue();
        }
        assertThat(log.contains(new CacheKey("project:0", "never"))).isFalse();
    }

    @Test
    void staysWithinItsSizeAndNeverAnswersWithAnotherKeysOrAnOlderValue() {
        OffHeapLog log = new OffHeapLog(64 * 1024, now::get);
        Map<CacheKey, String> latest = new HashMap<>();
        SplittableRandom r = new SplittableRandom(11);
        int found = 0;
        for (int op = 0; op < 50_000; op++) {
            int i = r.nextInt(2_000);
            CacheKey k = key(i);
            if (r.nextBoolean()) {
                byte[] v = value(i, op);
                log.put(k, Long.MAX_VALUE, v);
                latest.put(k, text(v));
            } else {
                String got = text(log.get(k));
                if (got != null) {
                    found++;
                    assertThat(got).as("op %d", op).isEqualTo(latest.get(k));
                }
            }
            assertThat(log.liveBytes()).isLessThanOrEqualTo(64 * 1024);
        }
        assertThat(log.segmentsAllocated()).isEqualTo(8);
        assertThat(found).as("some gets hit").isGreaterThan(1_000);
        long live = 0;
        for (CacheKey k : latest.keySet()) {
            live += log.contains(k) ? 1 : 0;
        }
        assertThat(log.size()).isEqualTo(live);
    }

    @Test
    void segmentsAreAllocatedAsTheyAreFirstWritten() {
        OffHeapLog log = new OffHeapLog(1L << 30, now::get);
        assertThat(log.segmentsAllocated()).isZero();
        log.put(key(1), Long.MAX_VALUE, value(1, 1));
        assertThat(log.segmentsAllocated()).isEqualTo(1);
        assertThat(log.segmentBytes()).isEqualTo(OffHeapLog.MAX_SEGMENT_BYTES);
    }

    @Test
    void readRecordsGetASecondChanceAndUnreadOrExpiredOnesDoNot() {
        OffHeapLog big = new OffHeapLog(16 * 1024, now::get); // 8 segments of 2 kB, records of 50-110 bytes
        assertThat(big.segmentBytes()).isEqualTo(2048);
        int i = 0;
        // Fill the first segment, read every third record, expire one of those.
        for (; i < 15; i++) {
            big.put(key(i), i == 3 ? now.get() + 10 : Long.MAX_VALUE, value(i, 0));
        }
        for (int j = 0; j < 15; j += 3) {
            assertThat(big.get(key(j))).isNotNull();
        }
        now.addAndGet(100); // record 3 is now expired
        // Write until the ring comes back round to the first segment: record 1, never read, goes then.
        for (; big.contains(key(1)); i++) {
            big.put(key(i), Long.MAX_VALUE, value(i, 0));
        }
        assertThat(i).as("the ring wrapped").isGreaterThan(150);
        for (int j = 0; j < 15; j++) {
            boolean spared = j % 3 == 0 && j != 3;
            assertThat(big.contains(key(j))).as("record %d", j).isEqualTo(spared);
        }
        assertThat(text(big.get(key(6)))).isEqualTo(text(value(6, 0)));
    }

    @Test
    void aRecordLargerThanASegmentIsNotKeptAndTakesTheOlderValueWithIt() {
        OffHeapLog log = new OffHeapLog(64 * 1024, now::get); // 8 kB segments
        CacheKey k = key(1);
        assertThat(log.put(k, Long.MAX_VALUE, value(1, 1))).isTrue();
        assertThat(log.put(k, Long.MAX_VALUE, new byte[9 * 1024])).isFalse();
        assertThat(log.get(k)).isNull();
        assertThat(log.size()).isZero();
        assertThat(log.liveBytes()).isZero();
    }

    @Test
    void removeIfSeesOnlyCurrentRecordsAndCountsThem() {
        OffHeapLog log = new OffHeapLog(1L << 20, now::get);
        for (int i = 0; i < 100; i++) {
            log.put(key(i), Long.MAX_VALUE, value(i, 0));
        }
        for (int i = 0; i < 100; i += 2) {
            log.put(key(i), Long.MAX_VALUE, ("replaced " + i).getBytes(StandardCharsets.UTF_8)); // old one is dead
        }
        long removed = log.removeIf((k, payload) -> text(payload).startsWith("value"));
        assertThat(removed).isEqualTo(50);
        assertThat(log.size()).isEqualTo(50);
        assertThat(text(log.get(key(4)))).isEqualTo("replaced 4");
        assertThat(log.get(key(5))).isNull();
        log.clear();
        assertThat(log.size()).isZero();
        assertThat(log.get(key(4))).isNull();
    }
}
