package dev.tokenrt.bench.load;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Which step of the gateway its CPU samples fall in, from a flight recording of {@code tokenrt serve} under load:
 * each sample goes to the innermost Token Runtime frame on its stack (the step that was running, whatever library
 * it had called into), or, with none, to the library at the top of the stack (the HTTP server, the JDK's
 * scheduler). Prints a Markdown table of samples and shares by step.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.tokenrt.bench.load.JfrSteps gateway.jfr [event ...]};
 * the event defaults to {@code jdk.CPUTimeSample} (JDK 25; it sees native code such as SQLite's too, where
 * {@code jdk.ExecutionSample} sees Java only). With {@code -Dsteps.detail=<step prefix>} it lists, for that step,
 * the methods its samples were in: the innermost frame of ours and the frame at the top.
 */
public final class JfrSteps {

    /** Package or class prefixes of our code and the step they belong to; the first prefix that matches wins. */
    private static final List<String[]> OURS = List.of(
            new String[] {"dev.tokenrt.store.keys", "auth: virtual-key lookup (SQLite)"},
            new String[] {"dev.tokenrt.keys", "auth: virtual-key lookup (SQLite)"},
            new String[] {"dev.tokenrt.gateway.AdminKeysApi", "auth: virtual-key lookup (SQLite)"},
            new String[] {"dev.tokenrt.store.budget", "budget: reserve and settle (SQLite counters)"},
            new String[] {"dev.tokenrt.budget", "budget: reserve and settle (SQLite counters)"},
            new String[] {"dev.tokenrt.gateway.Budgets", "budget: reserve and settle (SQLite counters)"},
            new String[] {"dev.tokenrt.store.cache", "cache: lookup and store"},
            new String[] {"dev.tokenrt.cache", "cache: lookup and store"},
            new String[] {"dev.tokenrt.gateway.Caches", "cache: lookup and store"},
            new String[] {"dev.tokenrt.store.ledger", "ledger: queue and writer thread (SQLite)"},
            new String[] {"dev.tokenrt.ledger", "ledger: queue and writer thread (SQLite)"},
            new String[] {"dev.tokenrt.tokens", "counting: prompt tokens"},
            new String[] {"dev.tokenrt.pipeline.DefaultTokenCounting", "counting: prompt tokens"},
            new String[] {"dev.tokenrt.pricing", "pricing: cost"},
            new String[] {"dev.tokenrt.pipeline.CatalogPricing", "pricing: cost"},
            new String[] {"dev.tokenrt.gateway.GatewayMetrics", "metrics"},
            new String[] {"dev.tokenrt.pipeline.AccountingStep", "accounting: settle and record"},
            new String[] {"dev.tokenrt.gateway.UpstreamHttp", "provider call: upstream HTTP client"},
            new String[] {"dev.tokenrt.gateway.HttpTransport", "provider call: upstream HTTP client"},
            new String[] {"dev.tokenrt.provider", "codecs: OpenAI JSON <-> neutral model"},
            new String[] {"dev.tokenrt.chat", "codecs: OpenAI JSON <-> neutral model"},
            new String[] {"dev.tokenrt.sse", "codecs: OpenAI JSON <-> neutral model"},
            new String[] {"dev.tokenrt.usage", "codecs: OpenAI JSON <-> neutral model"},
            new String[] {"dev.tokenrt.gateway.ClientFace", "codecs: OpenAI JSON <-> neutral model"},
            new String[] {"dev.tokenrt.gateway", "gateway: request handling (parse, headers, write)"},
            new String[] {"dev.tokenrt", "pipeline: other steps (routing, chain)"});

    /** Stacks with no frame of ours, by the library at their top. */
    private static final List<String[]> LIBRARIES = List.of(
            new String[] {"org.sqlite", "ledger: queue and writer thread (SQLite)"},
            new String[] {"com.zaxxer.hikari", "ledger: queue and writer thread (SQLite)"},
            new String[] {"io.netty", "HTTP I/O: Netty/Vert.x event loops"},
            new String[] {"io.vertx", "HTTP I/O: Netty/Vert.x event loops"},
            new String[] {"sun.nio", "HTTP I/O: Netty/Vert.x event loops"},
            new String[] {"com.fasterxml.jackson", "JSON (outside a step)"},
            new String[] {"io.micrometer", "metrics"},
            new String[] {"java.util.concurrent", "scheduling: virtual threads, pools"},
            new String[] {"java.lang.VirtualThread", "scheduling: virtual threads, pools"},
            new String[] {"jdk.internal.vm", "scheduling: virtual threads, pools"},
            new String[] {"jdk.jfr", "profiler itself"},
            new String[] {"ch.qos.logback", "logging"},
            new String[] {"org.slf4j", "logging"});

    private JfrSteps() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: JfrSteps recording.jfr [event ...]");
            System.exit(2);
        }
        List<String> events = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("jdk.CPUTimeSample");
        String detail = System.getProperty("steps.detail", "");
        System.out.print(table(steps(Path.of(args[0]), events, detail)));
    }

    static Map<String, Long> steps(Path recording, List<String> events, String detail) throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        try (RecordingFile f = new RecordingFile(recording)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (!events.contains(e.getEventType().getName()) || e.getStackTrace() == null) {
                    continue;
                }
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                String step = step(frames);
                if (detail.isEmpty()) {
                    counts.merge(step, 1L, Long::sum);
                } else if (step.startsWith(detail) && !frames.isEmpty()) {
                    String ours = frames.stream().filter(fr -> fr.getMethod().getType().getName().startsWith("dev.tokenrt"))
                            .findFirst().map(JfrSteps::name).orElse("?");
                    counts.merge(ours + " ← top " + name(frames.getFirst()), 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    private static String name(RecordedFrame fr) {
        String cls = fr.getMethod().getType().getName();
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + fr.getMethod().getName();
    }

    /** The step a stack (top frame first) belongs to. */
    static String step(List<RecordedFrame> frames) {
        for (RecordedFrame fr : frames) {
            String cls = fr.getMethod().getType().getName();
            for (String[] rule : OURS) {
                if (cls.startsWith(rule[0])) {
                    return rule[1];
                }
            }
        }
        for (RecordedFrame fr : frames) {
            String cls = fr.getMethod().getType().getName();
            for (String[] rule : LIBRARIES) {
                if (cls.startsWith(rule[0])) {
                    return rule[1];
                }
            }
        }
        return "other (JDK, JIT, GC helpers)";
    }

    static String table(Map<String, Long> counts) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Long> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        StringBuilder sb = new StringBuilder("| step | samples | share |\n|---|---:|---:|\n");
        sorted.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" | ")
                .append(String.format(Locale.ROOT, "%.1f %%", 100.0 * v / Math.max(1, total))).append(" |\n"));
        sb.append("| **total** | ").append(total).append(" | 100 % |\n");
        return sb.toString();
    }
}
