package dev.tokenrt.bench.load;

import dev.tokenrt.bench.load.GatewayLoadBench.Row;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The load benchmark's Markdown and CSV: the machine, the exact command, one table per scenario with the
 * direct and gateway runs and the difference between them (the latency the gateway adds), and the checks
 * that the gateway really did its accounting while under load.
 */
record LoadReport(Machine machine, GatewayLoadBench.Options options, List<Row> rows, List<String> gatewayCommand,
        long gatewayRequestsCounted, long gatewayRequestsSent, long ledgerBytes, Optional<Long> gatewayPeakRssKb,
        String gatewayLog) {

    /** Where the figures were taken. */
    record Machine(int cores, String cpu, long memoryKb, String jdk, String os, String loadAverage) {
        static Machine here() {
            String cpu = "unknown CPU";
            long mem = 0;
            String load = "";
            try {
                cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                        .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
                mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                        .findFirst().map(l -> Long.parseLong(l.replaceAll("\\D", ""))).orElse(0L);
                load = Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0] + " "
                        + Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[1] + " "
                        + Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[2];
            } catch (IOException | RuntimeException e) {
                // leave the defaults: not Linux
            }
            String jdk = System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.runtime.version");
            return new Machine(Runtime.getRuntime().availableProcessors(), cpu, mem, jdk,
                    System.getProperty("os.name") + " " + System.getProperty("os.version"), load);
        }
    }

    String markdown(String date) {
        GatewayLoadBench.Options o = options;
        StringBuilder sb = new StringBuilder();
        sb.append("# Gateway under load: the latency `tokenrt serve` adds (").append(date).append(")\n\n");
        sb.append("- Machine: ").append(machine.cores()).append(" cores (").append(machine.cpu()).append("), ")
                .append(machine.memoryKb() / 1024 / 1024).append(" GiB RAM, ").append(machine.os())
                .append("; load average at start ").append(machine.loadAverage())
                .append(". Generator, fake upstream and gateway all share these cores.\n");
        sb.append("- JDK: ").append(machine.jdk()).append('\n');
        sb.append("- Command: `").append(o.command()).append("`\n");
        sb.append("- Gateway: its own JVM, `").append(String.join(" ", shorten(gatewayCommand))).append("`; the OpenAI ")
                .append("provider from OPENAI_BASE_URL (the fake upstream), SQLite ledger in a fresh data directory, ")
                .append("Prometheus metrics on, auth off (--insecure-dev).\n");
        sb.append("- Upstream: `FakeUpstream`, scenario `synthetic`, ").append(o.upstreamLatencyMs())
                .append(" ms before each answer, ").append(o.chunks()).append(" one-word chunks (streams: ")
                .append(o.streamChunkIntervalMs()).append(" ms between chunks), in the bench JVM beside the generator.\n");
        sb.append("- Generator: open loop (fixed arrival rate; latency from each request's intended send time, so ")
                .append("coordinated omission is corrected as wrk2 does), one Vert.x event loop, up to ").append(o.pool())
                .append(" keep-alive connections. Each run: ").append(o.warmup().toSeconds()).append(" s warm-up, then ")
                .append(o.duration().toSeconds()).append(" s measured; before all runs, ")
                .append(o.jitWarmup().toSeconds()).append(" s through the gateway to warm its JIT.\n");
        sb.append("- Requests: model `").append(o.model()).append("`, a system message and a user message of English ")
                .append("prose; `max_tokens` 256.\n\n");
        sb.append("Latencies are in milliseconds. **added** = gateway − direct at the same rate and percentile (a ")
                .append("difference of percentiles, not a percentile of differences; at the tail it is noisy). ")
                .append("CPU is the process's user+system time over the measured window in % of one core ")
                .append("(200 % = both cores); bench CPU is the generator and the fake upstream together.\n\n");

        targetLine(sb);
        table(sb, "chat", "Non-streamed chat, small prompt", false);
        table(sb, "stream", "Streamed chat, small prompt (first chunk = first body bytes of the SSE response)", true);
        table(sb, "chat-large", "Non-streamed chat, large prompt", false);

        sb.append("## Checks\n\n");
        sb.append("- The gateway's `tokenrt_requests_total` counted ").append(gatewayRequestsCounted).append(" requests; ")
                .append("about ").append(gatewayRequestsSent).append(" were sent through it (warm-ups included). ")
                .append("The SQLite ledger (database + WAL) held ").append(String.format(Locale.ROOT, "%.1f", ledgerBytes / 1e6))
                .append(" MB after shutdown.\n");
        gatewayPeakRssKb.ifPresent(kb -> sb.append("- Gateway peak RSS (VmHWM): ").append(kb / 1024).append(" MiB.\n"));
        sb.append("- Generator health: send lag p99 (how late the generator itself sent) by run: ")
                .append(rows.stream().map(r -> r.scenario() + "/" + r.path() + "@" + fmtRate(r.result().ratePerSecond())
                        + " " + ms(r.result().sendLag().p99())).collect(Collectors.joining(", "))).append(" ms.\n");
        sb.append("- The gateway's own overhead timer (`tokenrt.gateway.overhead`, total minus upstream time, ")
                .append("non-streamed, mean over the run including warm-up): ")
                .append(rows.stream().filter(r -> r.gatewayOverheadMeanMicros().isPresent())
                        .map(r -> r.scenario() + "@" + fmtRate(r.result().ratePerSecond()) + " "
                                + String.format(Locale.ROOT, "%.3f", r.gatewayOverheadMeanMicros().getAsDouble() / 1000))
                        .collect(Collectors.joining(", "))).append(" ms.\n");
        long warnings = gatewayLog.lines().filter(l -> l.contains("WARN") || l.contains("ERROR")).count();
        sb.append("- Gateway log: ").append(gatewayLog.lines().count()).append(" lines, ").append(warnings)
                .append(" WARN/ERROR.\n");
        return sb.toString();
    }

    private void targetLine(StringBuilder sb) {
        Optional<Row> d = find("chat", "direct", 1000);
        Optional<Row> g = find("chat", "gateway", 1000);
        if (d.isEmpty() || g.isEmpty()) {
            return;
        }
        LoadResult.Percentiles added = g.get().result().latency().minus(d.get().result().latency());
        sb.append("## Target: at 1,000 requests/s, p50 added ≤ 0.5 ms and p99 added ≤ 3 ms\n\n");
        sb.append("Measured: p50 added **").append(ms(added.p50())).append(" ms** (")
                .append(added.p50() <= 500 ? "met" : "missed").append("), p99 added **").append(ms(added.p99()))
                .append(" ms** (").append(added.p99() <= 3000 ? "met" : "missed").append(")");
        long errors = g.get().result().errorCount();
        sb.append(errors == 0 ? ", no errors.\n\n" : ", " + errors + " errors (" + g.get().result().errorSummary() + ").\n\n");
    }

    private Optional<Row> find(String scenario, String path, double rate) {
        return rows.stream().filter(r -> r.scenario().equals(scenario) && r.path().equals(path)
                && r.result().ratePerSecond() == rate).findFirst();
    }

    private void table(StringBuilder sb, String scenario, String title, boolean stream) {
        List<Row> rs = rows.stream().filter(r -> r.scenario().equals(scenario)).toList();
        if (rs.isEmpty()) {
            return;
        }
        sb.append("## ").append(title).append(", ").append(rs.getFirst().promptTokens()).append(" prompt tokens\n\n");
        if (stream) {
            sb.append("| rate/s | path | ok/s | errors | first chunk p50 | p90 | p99 | p99.9 | max | total p50 | total p99 | total max | gateway CPU | gateway RSS MiB | bench CPU |\n");
            sb.append("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        } else {
            sb.append("| rate/s | path | ok/s | errors | p50 | p90 | p99 | p99.9 | max | gateway CPU | gateway RSS MiB | bench CPU |\n");
            sb.append("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        }
        for (Row r : rs) {
            LoadResult x = r.result();
            sb.append("| ").append(fmtRate(x.ratePerSecond())).append(" | ").append(r.path()).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f", x.okPerSecond())).append(" | ")
                    .append(x.errorCount() == 0 ? "0" : x.errorCount() + " (" + x.errorSummary() + ")").append(" | ");
            if (stream) {
                pcts(sb, x.firstChunk());
                sb.append(ms(x.latency().p50())).append(" | ").append(ms(x.latency().p99())).append(" | ")
                        .append(ms(x.latency().max())).append(" | ");
            } else {
                pcts(sb, x.latency());
            }
            sb.append(pct(r.gatewayCpuPercent())).append(" | ")
                    .append(r.gatewayRssKb().map(kb -> Long.toString(kb / 1024)).orElse("")).append(" | ")
                    .append(pct(r.benchCpuPercent())).append(" |\n");
            if (r.path().equals("gateway")) {
                Optional<Row> direct = find(scenario, "direct", x.ratePerSecond());
                if (direct.isPresent()) {
                    LoadResult base = direct.get().result();
                    sb.append("| ").append(fmtRate(x.ratePerSecond())).append(" | **added** | | | ");
                    if (stream) {
                        boldPcts(sb, x.firstChunk().minus(base.firstChunk()));
                        LoadResult.Percentiles t = x.latency().minus(base.latency());
                        sb.append("**").append(ms(t.p50())).append("** | **").append(ms(t.p99())).append("** | ")
                                .append(ms(t.max())).append(" | ");
                    } else {
                        boldPcts(sb, x.latency().minus(base.latency()));
                    }
                    sb.append(" | | |\n");
                }
            }
        }
        sb.append('\n');
    }

    private static void pcts(StringBuilder sb, LoadResult.Percentiles p) {
        sb.append(ms(p.p50())).append(" | ").append(ms(p.p90())).append(" | ").append(ms(p.p99())).append(" | ")
                .append(ms(p.p999())).append(" | ").append(ms(p.max())).append(" | ");
    }

    private static void boldPcts(StringBuilder sb, LoadResult.Percentiles p) {
        sb.append("**").append(ms(p.p50())).append("** | **").append(ms(p.p90())).append("** | **").append(ms(p.p99()))
                .append("** | ").append(ms(p.p999())).append(" | ").append(ms(p.max())).append(" | ");
    }

    String csv() {
        List<String> lines = new ArrayList<>();
        lines.add("scenario,path,rate_per_s,prompt_tokens,seconds,sent,ok,ok_per_s,errors,error_kinds,"
                + "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,first_chunk_p50_ms,first_chunk_p90_ms,first_chunk_p99_ms,"
                + "first_chunk_p999_ms,first_chunk_max_ms,send_lag_p99_ms,send_lag_max_ms,gateway_cpu_pct,gateway_rss_mib,"
                + "bench_cpu_pct,gateway_overhead_mean_ms");
        for (Row r : rows) {
            LoadResult x = r.result();
            lines.add(String.join(",", r.scenario(), r.path(), fmtRate(x.ratePerSecond()), Integer.toString(r.promptTokens()),
                    String.format(Locale.ROOT, "%.0f", x.seconds()), Long.toString(x.sent()), Long.toString(x.ok()),
                    String.format(Locale.ROOT, "%.1f", x.okPerSecond()), Long.toString(x.errorCount()), x.errorSummary(),
                    csvPcts(x.latency()), csvPcts(x.firstChunk()), ms(x.sendLag().p99()), ms(x.sendLag().max()),
                    pct(r.gatewayCpuPercent()), r.gatewayRssKb().map(kb -> Long.toString(kb / 1024)).orElse(""),
                    pct(r.benchCpuPercent()),
                    r.gatewayOverheadMeanMicros().isPresent()
                            ? String.format(Locale.ROOT, "%.3f", r.gatewayOverheadMeanMicros().getAsDouble() / 1000) : ""));
            if (r.path().equals("gateway")) {
                find(r.scenario(), "direct", x.ratePerSecond()).ifPresent(d -> lines.add(String.join(",", r.scenario(),
                        "added", fmtRate(x.ratePerSecond()), Integer.toString(r.promptTokens()), "", "", "", "", "", "",
                        csvPcts(x.latency().minus(d.result().latency())),
                        csvPcts(x.firstChunk().minus(d.result().firstChunk())), "", "", "", "", "", "")));
            }
        }
        return String.join("\n", lines) + "\n";
    }

    private static String csvPcts(LoadResult.Percentiles p) {
        return String.join(",", ms(p.p50()), ms(p.p90()), ms(p.p99()), ms(p.p999()), ms(p.max()));
    }

    private static String ms(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }

    private static String pct(OptionalDouble d) {
        return d.isPresent() ? String.format(Locale.ROOT, "%.0f%%", d.getAsDouble()) : "";
    }

    private static String fmtRate(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }

    /** The gateway command with the JDK's and the jar's directories left out, for reading. */
    private static List<String> shorten(List<String> cmd) {
        return cmd.stream().map(s -> s.endsWith("/bin/java") ? "java"
                : s.endsWith("tokenrt-cli.jar") ? "tokenrt-cli/target/tokenrt-cli.jar" : s).toList();
    }
}
