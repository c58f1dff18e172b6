package dev.tokenrt.bench.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * Open-loop pacing and latency accounting, kept apart from the HTTP client so that it can be tested with a fake
 * clock. Request {@code i} is due at {@code start + i / rate}, whether or not earlier requests have answered.
 * Whatever delays its actual send (a busy event loop, an exhausted connection pool, a server that stopped
 * reading) counts in its latency, which runs from when it was <em>due</em>, not from when it left: the
 * coordinated-omission correction wrk2 applies. Only requests due inside the measurement window
 * {@code [measureFrom, end)} are recorded; those due before it are the warm-up.
 *
 * <p>Written by hand: the pacing rule is a few lines, and the load tools that have it (wrk2, Gatling) are not
 * libraries we can drive from Java. Not thread-safe: one thread (the generator's event loop) calls every method.
 */
final class OpenLoop {

    /** Sends one request; reports back through {@link #firstChunk}, {@link #succeeded} or {@link #failed}. */
    @FunctionalInterface
    interface Sender {
        void send(Shot shot);
    }

    /** One request on its way: when it was due, whether it is measured, when its first body chunk came. */
    static final class Shot {
        final long index;
        final long intendedNanos;
        final boolean measured;
        long sentNanos;
        long firstChunkNanos = -1;
        boolean done;

        Shot(long index, long intendedNanos, boolean measured) {
            this.index = index;
            this.intendedNanos = intendedNanos;
            this.measured = measured;
        }
    }

    private final long startNanos;
    private final double ratePerSecond;
    private final long measureFromNanos;
    private final long endNanos;
    private final LongSupplier clock;
    private final Sender sender;

    // Microseconds; auto-resizing, 3 significant digits (1 us resolution up to 1 ms, 0.1 % above).
    private final Histogram latency = new Histogram(3);
    private final Histogram firstChunk = new Histogram(3);
    private final Histogram sendLag = new Histogram(3);
    private final Histogram service = new Histogram(3);
    private final Map<String, Long> errors = new TreeMap<>();
    private long next;
    private long sent;
    private long ok;
    private long okInWindow;
    private long measuredInFlight;
    private long inFlight;
    private boolean finished;

    /**
     * @param startNanos     when request 0 is due (clock time)
     * @param ratePerSecond  requests per second
     * @param warmupNanos    requests due in the first {@code warmupNanos} are sent but not recorded
     * @param durationNanos  length of the measurement window after the warm-up; nothing is due after it
     */
    OpenLoop(long startNanos, double ratePerSecond, long warmupNanos, long durationNanos, LongSupplier clock,
            Sender sender) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be positive: " + ratePerSecond);
        }
        this.startNanos = startNanos;
        this.ratePerSecond = ratePerSecond;
        this.measureFromNanos = startNanos + warmupNanos;
        this.endNanos = measureFromNanos + durationNanos;
        this.clock = clock;
        this.sender = sender;
    }

    /** When request {@code i} is due. */
    long intendedNanos(long i) {
        return startNanos + (long) Math.floor(i * 1e9 / ratePerSecond);
    }

    /** The index of the first request not yet due at {@code nowNanos} (0 before the start). */
    long firstNotDue(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        long i = (long) Math.floor((nowNanos - startNanos) * ratePerSecond / 1e9);
        // Correct the floating-point guess so that intendedNanos(i - 1) <= now < intendedNanos(i).
        while (intendedNanos(i) <= nowNanos) {
            i++;
        }
        while (i > 0 && intendedNanos(i - 1) > nowNanos) {
            i--;
        }
        return i;
    }

    long measureFromNanos() {
        return measureFromNanos;
    }

    long endNanos() {
        return endNanos;
    }

    /** Sends every request due by now that has not been sent; returns how many it sent. */
    int tick() {
        if (finished) {
            return 0;
        }
        long now = clock.getAsLong();
        int n = 0;
        while (true) {
            long due = intendedNanos(next);
            if (due > now || due >= endNanos) {
                break;
            }
            boolean measured = due >= measureFromNanos;
            Shot shot = new Shot(next++, due, measured);
            shot.sentNanos = now;
            if (measured) {
                sent++;
                measuredInFlight++;
                sendLag.recordValue(micros(now - due));
            }
            inFlight++;
            n++;
            sender.send(shot);
        }
        return n;
    }

    /** True once every request of the run has been sent. */
    boolean allSent() {
        return intendedNanos(next) >= endNanos;
    }

    long inFlight() {
        return inFlight;
    }

    /** The first body chunk of the response arrived (only the first call counts). */
    void firstChunk(Shot shot) {
        if (shot.firstChunkNanos < 0 && !shot.done) {
            shot.firstChunkNanos = clock.getAsLong();
        }
    }

    /** The whole response arrived and was what was asked for. */
    void succeeded(Shot shot) {
        if (!complete(shot)) {
            return;
        }
        long now = clock.getAsLong();
        if (now >= measureFromNanos && now <= endNanos) {
            okInWindow++;
        }
        if (shot.measured) {
            ok++;
            latency.recordValue(micros(now - shot.intendedNanos));
            service.recordValue(micros(now - shot.sentNanos));
            if (shot.firstChunkNanos >= 0) {
                firstChunk.recordValue(micros(shot.firstChunkNanos - shot.intendedNanos));
            }
        }
    }

    /** The request failed; {@code kind} names how (http_500, timeout, connect, ...). */
    void failed(Shot shot, String kind) {
        if (complete(shot) && shot.measured) {
            errors.merge(kind, 1L, Long::sum);
        }
    }

    private boolean complete(Shot shot) {
        if (shot.done || finished) {
            return false;
        }
        shot.done = true;
        inFlight--;
        if (shot.measured) {
            measuredInFlight--;
        }
        return true;
    }

    /**
     * Ends the run: measured requests still unanswered count as {@code unfinished} errors, and later answers are
     * ignored.
     */
    LoadResult finish() {
        if (!finished) {
            finished = true;
            if (measuredInFlight > 0) {
                errors.merge("unfinished", measuredInFlight, Long::sum);
            }
        }
        double seconds = (endNanos - measureFromNanos) / 1e9;
        return new LoadResult(ratePerSecond, seconds, sent, ok, okInWindow / seconds, Map.copyOf(errors),
                LoadResult.Percentiles.of(latency), LoadResult.Percentiles.of(firstChunk),
                LoadResult.Percentiles.of(sendLag), LoadResult.Percentiles.of(service));
    }

    private static long micros(long nanos) {
        return Math.max(0, nanos / 1000);
    }
}
