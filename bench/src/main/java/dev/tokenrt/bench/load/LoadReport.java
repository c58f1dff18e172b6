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
        String gatewayLog, List<String> discarded) {

    LoadReport {
        rows = List.copyOf(rows);
        gatewayCommand = List.copyOf(gatewayCommand);
        discarded = List.copyOf(discarded);
    }

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
                .append("(200 % = both cores); bench CPU is the generator and the fake upstream together; other CPU is ")
                .append("every other process on the machine (from /proc/stat), which on a shared machine tells a ")
                .append("disturbed run.\n\n");

        targetLine(sb);
        summary(sb);
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
        sb.append("- Uncorrected p99 (from the actual send, as a closed-loop tool measures) by run: ")
                .append(rows.stream().map(r -> r.scenario() + "/" + r.path() + "@" + fmtRate(r.result().ratePerSecond())
                        + " " + ms(r.result().service().p99())).collect(Collectors.joining(", "))).append(" ms.\n");
        sb.append("- The gateway's own overhead timer (`tokenrt.gateway.overhead`, total minus upstream time, ")
                .append("non-streamed, mean over the run including warm-up): ")
                .append(rows.stream().filter(r -> r.gatewayOverheadMeanMicros().isPresent())
                        .map(r -> r.scenario() + "@" + fmtRate(r.result().ratePerSecond()) + " "
                                + String.format(Locale.ROOT, "%.3f", r.gatewayOverheadMeanMicros().getAsDouble() / 1000))
                        .collect(Collectors.joining(", "))).append(" ms.\n");
        sb.append("- Shared machine: pairs run only when other processes used under ")
                .append(String.format(Locale.ROOT, "%.0f", options.quietPercent())).append(" % of a core; ")
                .append(discarded.isEmpty() ? "no pair had to be run again.\n"
                        : "run again because others were busy: " + String.join("; ", discarded) + ".\n");
        sb.append("- Gateway log: ").append(gatewayLog.lines().count()).append(" lines, ").append(gatewayWarnings())
                .append(" WARN/ERROR.\n");
        return sb.toString();
    }

    long gatewayWarnings() {
        return gatewayLog.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).count();
    }

    private void targetLine(StringBuilder sb) {
        List<LoadResult.Percentiles> all = added("chat", 1000);
        if (all.isEmpty()) {
            return;
        }
        LoadResult.Percentiles added = median(all);
        sb.append("## Target: at 1,000 requests/s, p50 added ≤ 0.5 ms and p99 added ≤ 3 ms\n\n");
        sb.append("Measured").append(all.size() > 1 ? " (median of " + all.size() + " repeats)" : "")
                .append(": p50 added **").append(ms(added.p50())).append(" ms** (")
                .append(added.p50() <= 500 ? "met" : "missed").append("), p99 added **").append(ms(added.p99()))
                .append(" ms** (").append(added.p99() <= 3000 ? "met" : "missed").append(")");
        long errors = rows.stream().filter(r -> r.scenario().equals("chat") && r.path().equals("gateway")
                && r.result().ratePerSecond() == 1000).mapToLong(r -> r.result().errorCount()).sum();
        sb.append(errors == 0 ? ", no errors.\n\n" : ", " + errors + " errors.\n\n");
        if (all.size() > 1) {
            sb.append("Each repeat's p50 / p99 added: ").append(all.stream().map(p -> ms(p.p50()) + " / " + ms(p.p99()))
                    .collect(Collectors.joining(", "))).append(" ms.\n\n");
        }
    }

    private void summary(StringBuilder sb) {
        List<Double> rates = rows.stream().filter(r -> r.scenario().equals("chat")).map(r -> r.result().ratePerSecond())
                .distinct().toList();
        int repeats = rows.stream().mapToInt(Row::repeat).max().orElse(1);
        if (rates.isEmpty()) {
            return;
        }
        sb.append("## Added latency by rate (non-streamed, small prompt").append(repeats > 1 ? ", median of " + repeats
                + " repeats" : "").append(")\n\n");
        sb.append("| rate/s | p50 | p90 | p99 | p99.9 | max | gateway CPU | gateway CPU per request |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (double rate : rates) {
            List<LoadResult.Percentiles> all = added("chat", rate);
            if (all.isEmpty()) {
                continue;
            }
            LoadResult.Percentiles m = median(all);
            double[] cpu = rows.stream().filter(r -> r.scenario().equals("chat") && r.path().equals("gateway")
                    && r.result().ratePerSecond() == rate && r.gatewayCpuPercent().isPresent())
                    .mapToDouble(r -> r.gatewayCpuPercent().getAsDouble()).sorted().toArray();
            String cpuText = cpu.length == 0 ? "" : String.format(Locale.ROOT, "%.0f%%", cpu[cpu.length / 2]);
            String perReq = cpu.length == 0 ? "" : String.format(Locale.ROOT, "%.0f µs",
                    cpu[cpu.length / 2] / 100 * 1e6 / rate);
            sb.append("| ").append(fmtRate(rate)).append(" | ").append(ms(m.p50())).append(" | ").append(ms(m.p90()))
                    .append(" | ").append(ms(m.p99())).append(" | ").append(ms(m.p999())).append(" | ").append(ms(m.max()))
                    .append(" | ").append(cpuText).append(" | ").append(perReq).append(" |\n");
        }
        sb.append('\n');
    }

    private Optional<Row> find(String scenario, String path, double rate, int repeat) {
        return rows.stream().filter(r -> r.scenario().equals(scenario) && r.path().equals(path)
                && r.result().ratePerSecond() == rate && r.repeat() == repeat).findFirst();
    }

    /** What the gateway added in each repeat at this rate (gateway minus the direct run just before it). */
    private List<LoadResult.Percentiles> added(String scenario, double rate) {
        List<LoadResult.Percentiles> out = new ArrayList<>();
        for (Row g : rows) {
            if (g.scenario().equals(scenario) && g.path().equals("gateway") && g.result().ratePerSecond() == rate) {
                find(scenario, "direct", rate, g.repeat())
                        .ifPresent(d -> out.add(g.result().latency().minus(d.result().latency())));
            }
        }
        return out;
    }

    /** The median of each percentile over the repeats (the upper median for an even count). */
    static LoadResult.Percentiles median(List<LoadResult.Percentiles> ps) {
        java.util.function.ToLongFunction<java.util.function.ToLongFunction<LoadResult.Percentiles>> med = f -> {
            long[] v = ps.stream().mapToLong(f).sorted().toArray();
            return v[v.length / 2];
        };
        return new LoadResult.Percentiles(ps.size(), med.applyAsLong(LoadResult.Percentiles::p50),
                med.applyAsLong(LoadResult.Percentiles::p90), med.applyAsLong(LoadResult.Percentiles::p99),
                med.applyAsLong(LoadResult.Percentiles::p999), med.applyAsLong(LoadResult.Percentiles::max));
    }

    private void table(StringBuilder sb, String scenario, String title, boolean stream) {
        List<Row> rs = rows.stream().filter(r -> r.scenario().equals(scenario)).toList();
        if (rs.isEmpty()) {
            return;
        }
        sb.append("## ").append(title).append(", ").append(rs.getFirst().promptTokens()).append(" prompt tokens\n\n");
        if (stream) {
            sb.append("| rate/s | path | ok/s | errors | first chunk p50 | p90 | p99 | p99.9 | max | total p50 | total p99 | total max | gateway CPU | gateway RSS MiB | bench CPU | other CPU |\n");
            sb.append("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        } else {
            sb.append("| rate/s | path | ok/s | errors | p50 | p90 | p99 | p99.9 | max | gateway CPU | gateway RSS MiB | bench CPU | other CPU |\n");
            sb.append("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        }
        for (Row r : rs) {
            LoadResult x = r.result();
            String label = r.path() + (r.repeat() > 1 || rows.stream().anyMatch(o -> o.repeat() > 1) ? " #" + r.repeat() : "");
            sb.append("| ").append(fmtRate(x.ratePerSecond())).append(" | ").append(label).append(" | ")
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
                    .append(pct(r.benchCpuPercent())).append(" | ").append(pct(r.otherCpuPercent())).append(" |\n");
            if (r.path().equals("gateway")) {
                Optional<Row> direct = find(scenario, "direct", x.ratePerSecond(), r.repeat());
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
                    sb.append(" | | | |\n");
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
        lines.add("scenario,path,repeat,rate_per_s,prompt_tokens,seconds,sent,ok,ok_per_s,errors,error_kinds,"
                + "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,first_chunk_p50_ms,first_chunk_p90_ms,first_chunk_p99_ms,"
                + "first_chunk_p999_ms,first_chunk_max_ms,send_lag_p99_ms,send_lag_max_ms,gateway_cpu_pct,gateway_rss_mib,"
                + "bench_cpu_pct,other_cpu_pct,gateway_overhead_mean_ms,uncorrected_p50_ms,uncorrected_p99_ms");
        for (Row r : rows) {
            LoadResult x = r.result();
            lines.add(String.join(",", r.scenario(), r.path(), Integer.toString(r.repeat()), fmtRate(x.ratePerSecond()), Integer.toString(r.promptTokens()),
                    String.format(Locale.ROOT, "%.0f", x.seconds()), Long.toString(x.sent()), Long.toString(x.ok()),
                    String.format(Locale.ROOT, "%.1f", x.okPerSecond()), Long.toString(x.errorCount()), x.errorSummary(),
                    csvPcts(x.latency()), csvPcts(x.firstChunk()), ms(x.sendLag().p99()), ms(x.sendLag().max()),
                    num(r.gatewayCpuPercent()), r.gatewayRssKb().map(kb -> Long.toString(kb / 1024)).orElse(""),
                    num(r.benchCpuPercent()), num(r.otherCpuPercent()),
                    r.gatewayOverheadMeanMicros().isPresent()
                            ? String.format(Locale.ROOT, "%.3f", r.gatewayOverheadMeanMicros().getAsDouble() / 1000) : "",
                    ms(x.service().p50()), ms(x.service().p99())));
            if (r.path().equals("gateway")) {
                find(r.scenario(), "direct", x.ratePerSecond(), r.repeat()).ifPresent(d -> lines.add(String.join(",",
                        r.scenario(), "added", Integer.toString(r.repeat()), fmtRate(x.ratePerSecond()), Integer.toString(r.promptTokens()), "", "", "", "", "", "",
                        csvPcts(x.latency().minus(d.result().latency())),
                        csvPcts(x.firstChunk().minus(d.result().firstChunk())), "", "", "", "", "", "", "", "", "")));
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

    private static String num(OptionalDouble d) {
        return d.isPresent() ? String.format(Locale.ROOT, "%.1f", d.getAsDouble()) : "";
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
