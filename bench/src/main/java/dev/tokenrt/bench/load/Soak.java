package dev.tokenrt.bench.load;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

/**
 * The full pipeline held at one rate for a long time, measured in back-to-back one-minute windows, with the
 * gateway's resident memory sampled every five seconds and its heap after every collection read from its GC log.
 * A full collection ({@code jcmd GC.run}) just before and just after gives the live heap at both ends, and, when
 * asked, more between windows: the live heap along the way, which says whether memory grows without waiting for G1
 * to start a marking cycle on its own (on a large heap it may not within ten minutes). Memory that grows shows as a
 * positive slope (least squares over the soak, MiB a minute).
 */
final class Soak {

    /** A point of a memory series: minutes since the soak began, MiB. */
    record Point(double minutes, double mib) {
    }

    record Window(int index, LoadResult result, OptionalDouble cpuPercent, Optional<Long> rssKb,
            OptionalDouble otherCpuPercent) {
    }

    record Result(double rate, Duration length, List<Window> windows, List<Point> rss, List<Point> heapAfterGc,
            OptionalDouble liveBeforeMib, OptionalDouble liveAfterMib, List<Point> liveDuring, double endMinutes,
            long youngPauses, double maxPauseMs) {

        long errors() {
            return windows.stream().mapToLong(w -> w.result().errorCount()).sum();
        }

        long sent() {
            return windows.stream().mapToLong(w -> w.result().sent()).sum();
        }

        double rssSlope() {
            return slope(rss);
        }

        double heapSlope() {
            return slope(heapAfterGc);
        }

        /** The live heap over the second half of the soak (probes between windows and the one at the end). */
        double liveSlopeSecondHalf() {
            double half = endMinutes / 2;
            List<Point> ps = new ArrayList<>(liveDuring.stream().filter(p -> p.minutes() >= half).toList());
            liveAfterMib.ifPresent(v -> ps.add(new Point(endMinutes, v)));
            return slope(ps);
        }
    }

    private final CompareBench.Options options;
    private final GatewayProcess gateway;
    private final Path gcLog;
    private final URI url;
    private final Map<String, String> headers;
    private final LoadGenerator.Bodies bodies;

    Soak(CompareBench.Options options, GatewayProcess gateway, Path gcLog, URI url, Map<String, String> headers,
            LoadGenerator.Bodies bodies) {
        this.options = options;
        this.gateway = gateway;
        this.gcLog = gcLog;
        this.url = url;
        this.headers = headers;
        this.bodies = bodies;
    }

    Result run() throws InterruptedException, IOException {
        Instant processStart = ProcessHandle.of(gateway.pid()).flatMap(h -> h.info().startInstant())
                .orElseThrow(() -> new IllegalStateException("no start time for the gateway process"));
        fullGc();
        double startUptime = Duration.between(processStart, Instant.now()).toMillis() / 1000.0;
        long t0 = System.nanoTime();
        List<Point> rss = new ArrayList<>();
        Thread sampler = Thread.ofPlatform().daemon().name("soak-rss").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                gateway.rssKb().ifPresent(kb -> {
                    synchronized (rss) {
                        rss.add(new Point((System.nanoTime() - t0) / 60e9, kb / 1024.0));
                    }
                });
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        int n = (int) Math.max(1, options.soak().toSeconds() / 60);
        Duration each = Duration.ofSeconds(options.soak().toSeconds() / n);
        List<Window> windows = new ArrayList<>();
        List<Long> ours = List.of(ProcessHandle.current().pid(), gateway.pid());
        CompareBench.log(String.format(Locale.ROOT, "soak: tokenrt-full at %.0f/s for %d s (%d windows)",
                options.soakRate(), options.soak().toSeconds(), n));
        // A forced full collection leaves G1 a small heap (188 MiB of 1.8 GiB once): at the soak's rate it then
        // collects every ~50 ms for seconds while it grows the heap back, and the first window measured that
        // recovery (p99 2.3 s) rather than the gateway. So load after each forced collection starts unrecorded.
        Duration settle = Duration.ofSeconds(10);
        Duration warmup = settle;
        for (int i = 1; i <= n; i++) {
            Machine.Window w = new Machine.Window(Optional.of(gateway), ours);
            LoadResult r = LoadGenerator.run(new LoadGenerator.Spec(url, headers, bodies, false, options.soakRate(),
                    warmup, each, options.pool(), Duration.ofSeconds(30), Duration.ofSeconds(15)), w);
            warmup = Duration.ZERO;
            windows.add(new Window(i, r, w.serverCpuPercent(), w.serverRssKb(), w.otherCpuPercent()));
            long every = options.soakLiveEvery().toSeconds();
            if (every > 0 && i < n && (i * each.toSeconds()) / every > ((i - 1) * each.toSeconds()) / every) {
                fullGc(); // between windows: no measured request waits for it
                warmup = settle;
            }
            CompareBench.log(String.format(Locale.ROOT, "  soak window %d/%d: %d sent, %d ok, errors %s, p50 %.3f "
                    + "p99 %.3f ms, RSS %s MiB, gateway CPU %.0f%%, other %.0f%%", i, n, r.sent(), r.ok(), r.errors(),
                    r.latency().p50() / 1000.0, r.latency().p99() / 1000.0,
                    w.serverRssKb().map(kb -> Long.toString(kb / 1024)).orElse("?"), w.serverCpuPercent().orElse(-1),
                    w.otherCpuPercent().orElse(-1)));
        }
        sampler.interrupt();
        sampler.join();
        double endUptime = Duration.between(processStart, Instant.now()).toMillis() / 1000.0;
        long fullsBefore = Files.readAllLines(gcLog).stream().filter(Soak::isFullPause).count();
        fullGc();
        Thread.sleep(500);
        Heap h = readGcLog(Files.readAllLines(gcLog), startUptime, endUptime, fullsBefore);
        List<Point> rssCopy;
        synchronized (rss) {
            rssCopy = List.copyOf(rss);
        }
        return new Result(options.soakRate(), options.soak(), windows, rssCopy, h.afterYoung(), h.liveBefore(),
                h.liveAfter(), h.liveDuring(), (endUptime - startUptime) / 60, h.youngPauses(), h.maxPauseMs());
    }

    /** What the GC log says of the soak: the heap after each young pause, and the live heap at each full one. */
    record Heap(List<Point> afterYoung, OptionalDouble liveBefore, OptionalDouble liveAfter, List<Point> liveDuring,
            long youngPauses, double maxPauseMs) {
    }

    private static boolean isFullPause(String line) {
        Matcher m = GcLog.LINE.matcher(line);
        return m.find() && m.group(2).equals("Pause Full");
    }

    /**
     * Reads the GC log of a soak that ran from {@code startUptime} to {@code endUptime} (seconds of the gateway's
     * uptime, as this process measured it). The full pauses past the first {@code fullsBefore} are the one forced
     * after the soak: told apart by count, not by time, since this process's clock and the gateway's uptime differ
     * by the gateway's start-up (the end's full pause was once read as one between windows, and the report said
     * "end: ?").
     */
    static Heap readGcLog(List<String> lines, double startUptime, double endUptime, long fullsBefore) {
        List<Point> heap = new ArrayList<>();
        OptionalDouble liveBefore = OptionalDouble.empty();
        OptionalDouble liveAfter = OptionalDouble.empty();
        List<Point> liveDuring = new ArrayList<>();
        long young = 0;
        double maxPause = 0;
        long fulls = 0;
        for (String line : lines) {
            Matcher m = GcLog.LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            double t = Double.parseDouble(m.group(1));
            double after = Double.parseDouble(m.group(4));
            if (m.group(2).equals("Pause Full")) {
                if (fulls++ >= fullsBefore) {
                    liveAfter = OptionalDouble.of(after);
                } else if (t <= startUptime + 1) {
                    liveBefore = OptionalDouble.of(after);
                } else {
                    liveDuring.add(new Point((t - startUptime) / 60, after));
                }
            } else if (t >= startUptime && t <= endUptime) {
                heap.add(new Point((t - startUptime) / 60, after));
                young++;
                if (m.group(6) != null) {
                    maxPause = Math.max(maxPause, Double.parseDouble(m.group(6)));
                }
            }
        }
        return new Heap(heap, liveBefore, liveAfter, liveDuring, young, maxPause);
    }

    /** A full collection in the gateway, through the JDK's jcmd; its "Pause Full" line gives the live heap. */
    private void fullGc() throws InterruptedException, IOException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(gateway.pid()), "GC.run").redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** Least-squares slope, MiB a minute; 0 with fewer than two points. */
    static double slope(List<Point> ps) {
        int n = ps.size();
        if (n < 2) {
            return 0;
        }
        double sx = 0;
        double sy = 0;
        for (Point p : ps) {
            sx += p.minutes();
            sy += p.mib();
        }
        double mx = sx / n;
        double my = sy / n;
        double num = 0;
        double den = 0;
        for (Point p : ps) {
            num += (p.minutes() - mx) * (p.mib() - my);
            den += (p.minutes() - mx) * (p.minutes() - mx);
        }
        return den == 0 ? 0 : num / den;
    }
}
