package dev.tokenrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result of {@link CountingBenchmark} ({@code -rf json -rff file}) into the Markdown table of
 * bench/results/counting-*.md: ops/s with JMH's 99.9% error, MB/s and tokens/s from the auxiliary counters, and the
 * allocation figures of {@code -prof gc}.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.tokenrt.bench.CountingReport result.json}
 */
public final class CountingReport {

    private CountingReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CountingReport <jmh-result.json>");
            System.exit(2);
        }
        JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        StringBuilder out = new StringBuilder();
        out.append("| benchmark | encoding | ops/s | ± (99.9%) | MB/s | M tokens/s | alloc MB/s | alloc B/op |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode r : results) {
            String name = r.get("benchmark").asText();
            name = name.substring(name.lastIndexOf('.') + 1);
            JsonNode primary = r.get("primaryMetric");
            JsonNode secondary = r.path("secondaryMetrics");
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %.3f | %s | %s |%n",
                    name, r.at("/params/encoding").asText(),
                    number(primary.get("score").asDouble()), number(primary.get("scoreError").asDouble()),
                    metric(secondary, "bytes") / 1e6, metric(secondary, "tokens") / 1e6,
                    number(metric(secondary, "gc.alloc.rate")), number(metric(secondary, "gc.alloc.rate.norm"))));
        }
        System.out.print(out);
    }

    /** A secondary metric by name, ignoring JMH's decoration of profiler metric names; NaN when absent. */
    private static double metric(JsonNode secondary, String name) {
        for (Map.Entry<String, JsonNode> e : secondary.properties()) {
            String key = e.getKey().replace("·", "");
            if (key.equals(name)) {
                return e.getValue().get("score").asDouble();
            }
        }
        return Double.NaN;
    }

    private static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
