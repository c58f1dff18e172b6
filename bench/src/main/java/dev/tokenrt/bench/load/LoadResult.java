package dev.tokenrt.bench.load;

import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * What one open-loop run measured, over the requests due in its measurement window: how many were sent and
 * answered, the answers' rate, errors by kind, and latency percentiles (from each request's intended send
 * time). A value, so that the report and the CSV are written from the same figures.
 *
 * @param ratePerSecond   the offered (scheduled) rate
 * @param seconds         the measurement window
 * @param sent            requests due in the window (all were sent, however late)
 * @param ok              of those, answered completely with a 2xx status
 * @param okPerSecond     successful answers that arrived inside the window, per second: the achieved throughput
 * @param errors          failed requests by kind ({@code http_502}, {@code timeout}, {@code unfinished}, ...)
 * @param latency         until the whole response had arrived
 * @param firstChunk      until the first body chunk arrived (time to first chunk, for streams)
 * @param sendLag         how late the generator itself sent each request (its own health, not the server's)
 * @param service         from the actual send to the whole response: the uncorrected latency a closed-loop tool
 *                        reports, which leaves out the time a request waited to be sent
 */
public record LoadResult(double ratePerSecond, double seconds, long sent, long ok, double okPerSecond,
        Map<String, Long> errors, Percentiles latency, Percentiles firstChunk, Percentiles sendLag,
        Percentiles service) {

    public LoadResult {
        errors = Map.copyOf(errors);
    }

    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Errors as {@code kind=n;kind=n}, sorted by kind; empty when none. */
    public String errorSummary() {
        return errors.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";"));
    }

    /**
     * Latency percentiles in microseconds; all zero when nothing was recorded.
     *
     * @param count how many values were recorded
     */
    public record Percentiles(long count, long p50, long p90, long p99, long p999, long max) {

        static Percentiles of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Percentiles(0, 0, 0, 0, 0, 0);
            }
            return new Percentiles(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                    h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
        }

        /** This minus {@code base}, percentile by percentile (what a hop adds on top of the baseline). */
        public Percentiles minus(Percentiles base) {
            return new Percentiles(count, p50 - base.p50, p90 - base.p90, p99 - base.p99, p999 - base.p999,
                    max - base.max);
        }
    }
}
