package dev.tokenrt.bench.load;

import dev.tokenrt.bench.load.CompareBench.Kind;
import dev.tokenrt.bench.load.CompareBench.Path3;
import dev.tokenrt.bench.load.CompareBench.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The comparison's Markdown and CSV, and the figures the plot draws: per scenario, rate and path the medians over
 * the repeats of achieved throughput and of the latency added over the direct path, the saturation throughput of
 * each path, the targets checked against them, and the soak.
 */
record CompareReport(LoadReport.Machine machine, CompareBench.Options options, List<Row> rows,
        Optional<Soak.Result> soak, CompareBench.Checks checks, List<String> disturbed, Map<Kind, Integer> promptTokens,
        String processesBefore, String processesAfter, String nodeVersion, String plotFile) {

    CompareReport {
        rows = List.copyOf(rows);
        disturbed = List.copyOf(disturbed);
        promptTokens = Map.copyOf(promptTokens);
    }

    /** The medians of one path at one rate in one scenario. */
    record Cell(Kind kind, Path3 path, double rate, int runs, double okPerSecond, long errors,
            LoadResult.Percentiles latency, Optional<LoadResult.Percentiles> added, LoadResult.Percentiles firstChunk,
            Optional<LoadResult.Percentiles> firstChunkAdded, OptionalDouble cpuPercent, OptionalDouble rssMib,
            int saturatedRuns, OptionalDouble allocKibPerRequest, OptionalDouble gcPauseMsPerSecond,
            OptionalDouble switchesPerRequest, OptionalDouble coreWaitMicrosPerRequest) {
    }

    List<Kind> kinds() {
        return rows.stream().map(Row::kind).distinct().toList();
    }

    List<Path3> paths() {
        return Arrays.stream(Path3.values()).filter(p -> rows.stream().anyMatch(r -> r.path() == p)).toList();
    }

    List<Double> rates(Kind k) {
        return new ArrayList<>(rows.stream().filter(r -> r.kind() == k).map(r -> r.result().ratePerSecond())
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    Optional<Cell> cell(Kind k, Path3 p, double rate) {
        List<Row> rs = rows.stream().filter(r -> r.kind() == k && r.path() == p && r.result().ratePerSecond() == rate)
                .toList();
        if (rs.isEmpty()) {
            return Optional.empty();
        }
        List<LoadResult.Percentiles> added = new ArrayList<>();
        List<LoadResult.Percentiles> fcAdded = new ArrayList<>();
        for (Row r : rs) {
            direct(r).ifPresent(d -> {
                added.add(r.result().latency().minus(d.result().latency()));
                fcAdded.add(r.result().firstChunk().minus(d.result().firstChunk()));
            });
        }
        return Optional.of(new Cell(k, p, rate, rs.size(), median(rs.stream().mapToDouble(r -> r.result().okPerSecond())),
                rs.stream().mapToLong(r -> r.result().errorCount()).sum(),
                LoadReport.median(rs.stream().map(r -> r.result().latency()).toList()),
                p == Path3.DIRECT || added.isEmpty() ? Optional.empty() : Optional.of(LoadReport.median(added)),
                LoadReport.median(rs.stream().map(r -> r.result().firstChunk()).toList()),
                p == Path3.DIRECT || fcAdded.isEmpty() ? Optional.empty() : Optional.of(LoadReport.median(fcAdded)),
                medianOf(rs.stream().map(Row::cpuPercent).toList()),
                medianOf(rs.stream().map(r -> r.rssKb().map(kb -> OptionalDouble.of(kb / 1024.0))
                        .orElse(OptionalDouble.empty())).toList()),
                (int) rs.stream().filter(Row::saturated).count(),
                medianOf(rs.stream().map(Row::allocKibPerRequest).toList()),
                medianOf(rs.stream().map(Row::gcPauseMsPerSecond).toList()),
                medianOf(rs.stream().map(Row::switchesPerRequest).toList()),
                medianOf(rs.stream().map(Row::coreWaitMicrosPerRequest).toList())));
    }

    private Optional<Row> direct(Row r) {
        return rows.stream().filter(d -> d.kind() == r.kind() && d.path() == Path3.DIRECT && d.repeat() == r.repeat()
                && d.result().ratePerSecond() == r.result().ratePerSecond()).findFirst();
    }

    /**
     * The highest median throughput a path achieved in a scenario, and whether it saturated (else the figure is a
     * lower bound: the path kept up with every rate tried).
     */
    record Saturation(double okPerSecond, boolean reached, double atRate) {
    }

    Optional<Saturation> saturation(Kind k, Path3 p) {
        double best = 0;
        double at = 0;
        boolean reached = false;
        for (double rate : rates(k)) {
            Optional<Cell> c = cell(k, p, rate);
            if (c.isEmpty()) {
                continue;
            }
            if (c.get().okPerSecond() > best) {
                best = c.get().okPerSecond();
                at = rate;
            }
            boolean lastRun = rates(k).stream().noneMatch(r -> r > rate && cell(k, p, r).isPresent());
            reached |= c.get().saturatedRuns() * 2 > c.get().runs() || (lastRun && c.get().saturatedRuns() > 0);
        }
        return best == 0 ? Optional.empty() : Optional.of(new Saturation(best, reached, at));
    }

    // ------------------------------------------------------------------ Markdown

    String markdown(String date) {
        CompareBench.Options o = options;
        StringBuilder sb = new StringBuilder();
        sb.append("# Token Runtime against Portkey under open-loop load (").append(date).append(")\n\n");
        sb.append("- Machine: ").append(machine.cores()).append(" cores (").append(machine.cpu()).append("), ")
                .append(machine.memoryKb() / 1024 / 1024).append(" GiB RAM, ").append(machine.os())
                .append("; load average at start ").append(machine.loadAverage())
                .append(". Generator, fake upstream and the gateways all share these cores.\n");
        sb.append("- JDK: ").append(machine.jdk()).append("; node ").append(nodeVersion)
                .append("; Portkey `@portkey-ai/gateway@1.15.2` (npm, lockfile `bench/peer/portkey/package-lock.json`).\n");
        sb.append("- Command: `").append(o.command()).append("` (inside `unshare -n`, only loopback up).\n");
        sb.append("- Paths: **direct** (client → fake upstream); **tokenrt-full** (`tokenrt serve --config`, master key ")
                .append("on, a virtual key `sk-tr-…` made through the admin API, kept in SQLite and checked on every request ")
                .append("(from the gateway's key cache, `keys.cache_ttl_ms` 1 s as shipped), ")
                .append("a hard per-project cost_usd/day budget of $1,000,000 reserved and settled on every request ")
                .append("(embedded counters: in memory, persisted to SQLite; made through the admin API; the prompt held at ")
                .append("its free upper bound, counted exactly only when a budget is close), ")
                .append(o.cache() ? "the exact cache on (`cache: {enabled: true}`, its in-process layer; requests at "
                        + "temperature 0 so that each is looked up, and every one a miss as every prompt differs, "
                        + "checked by `x-tokenrt-cache: MISS`), " : "**the exact cache off** (`--cache false`), ")
                .append("the SQLite ledger and Prometheus metrics); **tokenrt-bare** (the same gateway with ")
                .append("`pipeline: {bare: true}` and `--insecure-dev`: no auth lookup, ledger, metrics, counting, ")
                .append("pricing or budgets, only routing and the provider call); **portkey** (`node ")
                .append("build/start-server.js --port=N`, its defaults; `x-portkey-provider: openai`, ")
                .append("`x-portkey-custom-host: <fake upstream>/v1`).\n");
        sb.append("- Upstream: `FakeUpstream` in the bench JVM, scenario `synthetic`, ").append(o.upstreamLatencyMs())
                .append(" ms before each answer, ").append(o.chunks()).append(" chunks (streams: ")
                .append(o.streamChunkIntervalMs()).append(" ms apart).\n");
        sb.append("- Generator: open loop (fixed arrival rate, latency from each request's intended send time: ")
                .append("coordinated omission corrected), one Vert.x event loop, up to ").append(o.pool())
                .append(" keep-alive connections. Every request's prompt begins with its own number, so no two are ")
                .append("alike. Each run: ").append(o.warmup().toSeconds()).append(" s warm-up, ")
                .append(o.duration().toSeconds()).append(" s measured; ").append(o.repeats())
                .append(" repeats; figures are medians over the repeats. Each gateway had ")
                .append(o.jitWarmup().toSeconds()).append(" s at 500/s before anything was measured.\n");
        sb.append("- Prompts: model `").append(o.model()).append("`, ").append(promptTokens.entrySet().stream()
                .map(e -> e.getKey().label + " " + e.getValue() + " tokens").collect(Collectors.joining(", ")))
                .append(" (o200k, user message), `max_tokens` 256.\n\n");
        sb.append("Latencies in milliseconds. **added** = path − direct at the same rate, percentile and repeat (a ")
                .append("difference of percentiles), then the median over repeats. A path *saturated* at a rate when ")
                .append("its throughput fell under 95 % of the offered rate, more than 1 % of requests failed, or its ")
                .append("median latency was over twice the direct one; it was not run at higher rates in that repeat. ")
                .append("CPU is % of one core (200 % = both), over the measured window; RSS at the window's end. ")
                .append("For Token Runtime, from its GC log: **alloc** = KiB of heap allocated a request answered, ")
                .append("**GC** = ms spent in GC pauses a second (what a request arriving in one waits for). ")
                .append("From /proc, summed over the server's threads, a request answered: **switches** = context ")
                .append("switches (each hand-off between threads wakes one), **core wait** = µs its threads were ")
                .append("runnable but waiting for a core (the kernel's schedstat; on a busy machine each wake-up ")
                .append("queues, which adds latency without adding CPU time).\n\n");

        targets(sb);
        saturationTable(sb);
        for (Kind k : kinds()) {
            scenarioTable(sb, k);
        }
        soak.ifPresent(s -> soakSection(sb, s));
        machineSection(sb);
        checksSection(sb);
        if (!rows.isEmpty() || soak.isPresent()) {
            sb.append("![latency added and throughput by rate](").append(plotFile).append(")\n\n");
        }
        return sb.toString();
    }

    private void targets(StringBuilder sb) {
        sb.append("## Targets\n\n");
        Optional<Saturation> ours = saturation(Kind.CHAT, Path3.FULL);
        Optional<Saturation> peer = saturation(Kind.CHAT, Path3.PORTKEY);
        if (ours.isPresent() && peer.isPresent()) {
            double ratio = ours.get().okPerSecond() / peer.get().okPerSecond();
            sb.append("- Throughput at saturation (non-streamed, small prompt) ≥ 3× Portkey's: tokenrt-full ")
                    .append(satText(ours.get())).append(", Portkey ").append(satText(peer.get())).append(" → ")
                    .append(String.format(Locale.ROOT, "%.2f×", ratio)).append(ours.get().reached() ? "" : " (a lower bound)")
                    .append(" — **").append(ratio >= 3 ? "met" : ours.get().reached() ? "missed" : "not settled").append("**.\n");
        }
        for (Kind k : kinds()) {
            List<String> parts = new ArrayList<>();
            int met = 0;
            int n = 0;
            for (double rate : rates(k)) {
                Optional<Cell> f = cell(k, Path3.FULL, rate);
                Optional<Cell> pk = cell(k, Path3.PORTKEY, rate);
                if (f.isEmpty() || pk.isEmpty() || f.get().added().isEmpty() || pk.get().added().isEmpty()) {
                    continue;
                }
                long fp = f.get().added().get().p99();
                long pp = pk.get().added().get().p99();
                boolean ok = fp * 3 <= pp;
                n++;
                met += ok ? 1 : 0;
                parts.add(fmtRate(rate) + "/s: " + ms(fp) + " vs " + ms(pp) + (ok ? " ✓" : " ✗"));
            }
            if (n > 0) {
                sb.append("- p99 added ≤ ⅓ of Portkey's at the same rate (").append(k.label).append("): ")
                        .append(String.join("; ", parts)).append(" — **").append(met == n ? "met" : "met at " + met + " of " + n + " rates")
                        .append("**.\n");
            }
        }
        cell(Kind.CHAT, Path3.FULL, 2000).ifPresent(c -> c.added().ifPresent(a -> sb.append(
                "- Full pipeline at 2,000 requests/s non-streamed: p50 added ").append(ms(a.p50())).append(" ms (≤ 0.3: **")
                .append(a.p50() <= 300 ? "met" : "missed").append("**), p99 added ").append(ms(a.p99())).append(" ms (≤ 2: **")
                .append(a.p99() <= 2000 ? "met" : "missed").append("**), errors ").append(c.errors()).append(".\n")));
        soak.ifPresent(s -> sb.append("- Soak, full pipeline at ").append(fmtRate(s.rate())).append("/s for ")
                .append(s.length().toMinutes()).append(" min: ").append(s.errors()).append(" errors of ").append(s.sent())
                .append("; heap after GC ").append(String.format(Locale.ROOT, "%+.2f", s.heapSlope()))
                .append(" MiB/min, RSS ").append(String.format(Locale.ROOT, "%+.2f", s.rssSlope())).append(" MiB/min")
                .append(s.liveBeforeMib().isPresent() && s.liveAfterMib().isPresent()
                        ? String.format(Locale.ROOT, ", live heap after a full GC %.0f → %.0f MiB",
                                s.liveBeforeMib().getAsDouble(), s.liveAfterMib().getAsDouble()) : "")
                .append(s.liveDuring().isEmpty() ? "" : String.format(Locale.ROOT,
                        ", live heap over the second half %+.2f MiB/min", s.liveSlopeSecondHalf()))
                .append(".\n"));
        sb.append('\n');
    }

    private static String satText(Saturation s) {
        return String.format(Locale.ROOT, "%.0f/s", s.okPerSecond()) + (s.reached() ? "" : " (kept up with every rate tried)");
    }

    private void saturationTable(StringBuilder sb) {
        if (rows.isEmpty()) {
            return;
        }
        sb.append("## Saturation throughput (highest median requests/s answered)\n\n| scenario |");
        paths().forEach(p -> sb.append(' ').append(p.label).append(" |"));
        sb.append("\n|---|");
        paths().forEach(p -> sb.append("---:|"));
        sb.append('\n');
        for (Kind k : kinds()) {
            sb.append("| ").append(k.label).append(" |");
            for (Path3 p : paths()) {
                sb.append(' ').append(saturation(k, p).map(s -> String.format(Locale.ROOT, "%.0f", s.okPerSecond())
                        + (s.reached() ? " (saturated at " + fmtRate(s.atRate()) + ")" : " (≥, kept up)")).orElse(""))
                        .append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
    }

    private void scenarioTable(StringBuilder sb, Kind k) {
        sb.append("## ").append(k.label).append(" (").append(k.stream ? "streamed" : "non-streamed").append(", ")
                .append(promptTokens.getOrDefault(k, 0)).append(" prompt tokens)\n\n");
        sb.append("| rate/s | path | runs | ok/s | errors | p50 | p90 | p99 | p99.9 |")
                .append(k.stream ? " first chunk p50 | first chunk p99 |" : "")
                .append(" CPU | RSS MiB | alloc KiB | GC ms/s | switches | core wait µs | saturated |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|").append(k.stream ? "---:|---:|" : "")
                .append("---:|---:|---:|---:|---:|---:|---|\n");
        for (double rate : rates(k)) {
            for (Path3 p : paths()) {
                Optional<Cell> oc = cell(k, p, rate);
                if (oc.isEmpty()) {
                    continue;
                }
                Cell c = oc.get();
                LoadResult.Percentiles l = c.added().orElse(c.latency());
                LoadResult.Percentiles fc = c.firstChunkAdded().orElse(c.firstChunk());
                String label = c.added().isPresent() ? p.label + " (added)" : p.label + (p == Path3.DIRECT ? " (total)" : "");
                sb.append("| ").append(fmtRate(rate)).append(" | ").append(label).append(" | ").append(c.runs())
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f", c.okPerSecond())).append(" | ")
                        .append(c.errors()).append(" | ").append(ms(l.p50())).append(" | ").append(ms(l.p90()))
                        .append(" | ").append(ms(l.p99())).append(" | ").append(ms(l.p999())).append(" |");
                if (k.stream) {
                    sb.append(' ').append(ms(fc.p50())).append(" | ").append(ms(fc.p99())).append(" |");
                }
                sb.append(' ').append(c.cpuPercent().isPresent() ? String.format(Locale.ROOT, "%.0f%%", c.cpuPercent().getAsDouble()) : "")
                        .append(" | ").append(c.rssMib().isPresent() ? String.format(Locale.ROOT, "%.0f", c.rssMib().getAsDouble()) : "")
                        .append(" | ").append(num(c.allocKibPerRequest())).append(" | ").append(num(c.gcPauseMsPerSecond()))
                        .append(" | ").append(num(c.switchesPerRequest())).append(" | ").append(whole(c.coreWaitMicrosPerRequest()))
                        .append(" | ").append(c.saturatedRuns() == 0 ? "" : c.saturatedRuns() + " of " + c.runs()).append(" |\n");
            }
        }
        sb.append('\n');
    }

    private void soakSection(StringBuilder sb, Soak.Result s) {
        sb.append("## Soak: tokenrt-full at ").append(fmtRate(s.rate())).append(" requests/s, non-streamed, for ")
                .append(s.length().toMinutes()).append(" min\n\n");
        sb.append("Back-to-back windows of ").append(s.length().toSeconds() / Math.max(1, s.windows().size()))
                .append(" s (latency is the total, not added: no direct run interleaves a soak).\n\n");
        sb.append("| window | sent | ok | errors | p50 | p99 | p99.9 | max | gateway CPU | RSS MiB | other CPU |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Soak.Window w : s.windows()) {
            LoadResult r = w.result();
            sb.append("| ").append(w.index()).append(" | ").append(r.sent()).append(" | ").append(r.ok()).append(" | ")
                    .append(r.errorCount() == 0 ? "0" : r.errorCount() + " (" + r.errorSummary() + ")").append(" | ")
                    .append(ms(r.latency().p50())).append(" | ").append(ms(r.latency().p99())).append(" | ")
                    .append(ms(r.latency().p999())).append(" | ").append(ms(r.latency().max())).append(" | ")
                    .append(pct(w.cpuPercent())).append(" | ").append(w.rssKb().map(kb -> Long.toString(kb / 1024)).orElse(""))
                    .append(" | ").append(pct(w.otherCpuPercent())).append(" |\n");
        }
        sb.append("\n- Errors: ").append(s.errors()).append(" of ").append(s.sent()).append(" requests.\n");
        sb.append("- Heap after each young collection (GC log, ").append(s.youngPauses()).append(" pauses, longest ")
                .append(String.format(Locale.ROOT, "%.1f", s.maxPauseMs())).append(" ms): slope ")
                .append(String.format(Locale.ROOT, "%+.3f", s.heapSlope())).append(" MiB/min")
                .append(s.heapAfterGc().isEmpty() ? "" : String.format(Locale.ROOT, " (first %.0f MiB, last %.0f MiB)",
                        s.heapAfterGc().getFirst().mib(), s.heapAfterGc().getLast().mib())).append(".\n");
        sb.append("- Live heap after a full collection (`jcmd GC.run`) before and after the soak: ")
                .append(s.liveBeforeMib().isPresent() ? String.format(Locale.ROOT, "%.0f", s.liveBeforeMib().getAsDouble()) : "?")
                .append(" → ").append(s.liveAfterMib().isPresent() ? String.format(Locale.ROOT, "%.0f", s.liveAfterMib().getAsDouble()) : "?")
                .append(" MiB.\n");
        if (!s.liveDuring().isEmpty()) {
            sb.append("- Live heap after full collections between windows (minute: MiB): ");
            for (Soak.Point p : s.liveDuring()) {
                sb.append(String.format(Locale.ROOT, "%.1f: %.0f, ", p.minutes(), p.mib()));
            }
            sb.append(String.format(Locale.ROOT, "end: %s; slope over the second half %+.3f MiB/min.\n",
                    s.liveAfterMib().isPresent() ? String.format(Locale.ROOT, "%.0f", s.liveAfterMib().getAsDouble()) : "?",
                    s.liveSlopeSecondHalf()));
        }
        sb.append("- Resident memory, sampled every 5 s (").append(s.rss().size()).append(" samples): slope ")
                .append(String.format(Locale.ROOT, "%+.3f", s.rssSlope())).append(" MiB/min")
                .append(s.rss().isEmpty() ? "" : String.format(Locale.ROOT, " (first %.0f MiB, last %.0f MiB, max %.0f MiB)",
                        s.rss().getFirst().mib(), s.rss().getLast().mib(),
                        s.rss().stream().mapToDouble(Soak.Point::mib).max().orElse(0))).append(".\n\n");
    }

    private void machineSection(StringBuilder sb) {
        sb.append("## The machine during the runs\n\n");
        double[] other = rows.stream().filter(r -> r.otherCpuPercent().isPresent())
                .mapToDouble(r -> r.otherCpuPercent().getAsDouble()).sorted().toArray();
        if (other.length > 0) {
            sb.append(String.format(Locale.ROOT, "- Other processes' CPU over the kept runs: median %.0f %%, max %.0f %% of "
                    + "one core (runs wait for a quiet machine and are run again above %.0f %%).\n",
                    other[other.length / 2], other[other.length - 1], options.quietPercent()));
        }
        sb.append("- Run again because other processes were busy: ").append(disturbed.isEmpty() ? "none" : String.join("; ", disturbed))
                .append(".\n");
        sb.append("- Busiest processes at the start:\n\n```\n").append(processesBefore).append("\n```\n\n");
        sb.append("- and at the end:\n\n```\n").append(processesAfter).append("\n```\n\n");
    }

    private void checksSection(StringBuilder sb) {
        sb.append("## Checks\n\n");
        sb.append("- tokenrt-full's `tokenrt_requests_total` counted ").append(checks.fullRequestsCounted())
                .append(" requests; its SQLite data (ledger, keys, counters) held ")
                .append(String.format(Locale.ROOT, "%.1f", checks.fullLedgerBytes() / 1e6)).append(" MB at the end.\n");
        sb.append("- The budget after the runs (`GET /admin/v1/budgets/bench-project-day/status`): `")
                .append(checks.fullBudgetStatus().replace('\n', ' ')).append("`.\n");
        sb.append("- Peak RSS (VmHWM): ").append(checks.peakRssKb().entrySet().stream()
                .map(e -> e.getKey().label + " " + e.getValue() / 1024 + " MiB").collect(Collectors.joining(", "))).append(".\n");
        sb.append("- Warnings or errors in the logs: ").append(checks.logWarnings().entrySet().stream()
                .map(e -> e.getKey().label + " " + e.getValue()).collect(Collectors.joining(", "))).append(".\n");
        sb.append("- Commands: tokenrt-full `").append(String.join(" ", shorten(checks.fullCommand()))).append("`; tokenrt-bare `")
                .append(String.join(" ", shorten(checks.bareCommand()))).append("`; portkey `")
                .append(String.join(" ", shorten(checks.portkeyCommand()))).append("`.\n\n");
    }

    private static List<String> shorten(List<String> cmd) {
        return cmd.stream().map(s -> s.endsWith("/bin/java") ? "java" : s.endsWith("tokenrt-cli.jar")
                ? "tokenrt-cli/target/tokenrt-cli.jar" : s.replaceAll("^.*/(node_modules/)", "$1")
                        .replaceAll("/tmp/tokenrt-compare-[^/]*/", "WORK/")).toList();
    }

    // ------------------------------------------------------------------ CSV

    String csv() {
        List<String> lines = new ArrayList<>();
        lines.add("scenario,path,repeat,rate_per_s,prompt_tokens,attempt,saturated,sent,ok,ok_per_s,errors,error_kinds,"
                + "p50_ms,p90_ms,p99_ms,p999_ms,max_ms,first_chunk_p50_ms,first_chunk_p99_ms,"
                + "added_p50_ms,added_p90_ms,added_p99_ms,added_p999_ms,first_chunk_added_p50_ms,first_chunk_added_p99_ms,"
                + "server_cpu_pct,server_rss_mib,bench_cpu_pct,other_cpu_pct,send_lag_p99_ms,"
                + "server_gc_pauses,server_gc_pause_ms,server_gc_max_pause_ms,server_alloc_kib_per_request,"
                + "server_switches_per_request,server_core_wait_us_per_request");
        for (Row r : rows) {
            LoadResult x = r.result();
            Optional<Row> d = r.path() == Path3.DIRECT ? Optional.empty() : direct(r);
            Optional<LoadResult.Percentiles> a = d.map(dr -> x.latency().minus(dr.result().latency()));
            Optional<LoadResult.Percentiles> fa = d.map(dr -> x.firstChunk().minus(dr.result().firstChunk()));
            lines.add(String.join(",", r.kind().label, r.path().label, Integer.toString(r.repeat()),
                    fmtRate(x.ratePerSecond()), Integer.toString(r.promptTokens()), Integer.toString(r.attempt()),
                    Boolean.toString(r.saturated()), Long.toString(x.sent()), Long.toString(x.ok()),
                    String.format(Locale.ROOT, "%.1f", x.okPerSecond()), Long.toString(x.errorCount()), x.errorSummary(),
                    ms(x.latency().p50()), ms(x.latency().p90()), ms(x.latency().p99()), ms(x.latency().p999()),
                    ms(x.latency().max()), ms(x.firstChunk().p50()), ms(x.firstChunk().p99()),
                    a.map(p -> ms(p.p50())).orElse(""), a.map(p -> ms(p.p90())).orElse(""),
                    a.map(p -> ms(p.p99())).orElse(""), a.map(p -> ms(p.p999())).orElse(""),
                    fa.map(p -> ms(p.p50())).orElse(""), fa.map(p -> ms(p.p99())).orElse(""),
                    num(r.cpuPercent()), r.rssKb().map(kb -> Long.toString(kb / 1024)).orElse(""),
                    num(r.benchCpuPercent()), num(r.otherCpuPercent()), ms(x.sendLag().p99()),
                    r.gc().map(g -> Integer.toString(g.pauses())).orElse(""),
                    r.gc().map(g -> String.format(Locale.ROOT, "%.1f", g.pauseMs())).orElse(""),
                    r.gc().map(g -> String.format(Locale.ROOT, "%.1f", g.maxPauseMs())).orElse(""),
                    num(r.allocKibPerRequest()), num(r.switchesPerRequest()), whole(r.coreWaitMicrosPerRequest())));
        }
        soak.ifPresent(s -> {
            for (Soak.Window w : s.windows()) {
                LoadResult x = w.result();
                lines.add(String.join(",", "soak", Path3.FULL.label, Integer.toString(w.index()), fmtRate(x.ratePerSecond()),
                        "", "1", "false", Long.toString(x.sent()), Long.toString(x.ok()),
                        String.format(Locale.ROOT, "%.1f", x.okPerSecond()), Long.toString(x.errorCount()), x.errorSummary(),
                        ms(x.latency().p50()), ms(x.latency().p90()), ms(x.latency().p99()), ms(x.latency().p999()),
                        ms(x.latency().max()), "", "", "", "", "", "", "", "", num(w.cpuPercent()),
                        w.rssKb().map(kb -> Long.toString(kb / 1024)).orElse(""), "", num(w.otherCpuPercent()),
                        ms(x.sendLag().p99()), "", "", "", "", "", ""));
            }
        });
        return String.join("\n", lines) + "\n";
    }

    // ------------------------------------------------------------------ helpers

    private static double median(java.util.stream.DoubleStream values) {
        double[] v = values.sorted().toArray();
        return v.length == 0 ? 0 : v[v.length / 2];
    }

    private static OptionalDouble medianOf(List<OptionalDouble> values) {
        double[] v = values.stream().filter(OptionalDouble::isPresent).mapToDouble(OptionalDouble::getAsDouble).sorted().toArray();
        return v.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(v[v.length / 2]);
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }

    private static String pct(OptionalDouble d) {
        return d.isPresent() ? String.format(Locale.ROOT, "%.0f%%", d.getAsDouble()) : "";
    }

    private static String num(OptionalDouble d) {
        return d.isPresent() ? String.format(Locale.ROOT, "%.1f", d.getAsDouble()) : "";
    }

    private static String whole(OptionalDouble d) {
        return d.isPresent() ? String.format(Locale.ROOT, "%.0f", d.getAsDouble()) : "";
    }

    static String fmtRate(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }
}
