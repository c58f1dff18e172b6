package dev.tokenrt.bench.load;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The shared machine as the harness sees it: whether other processes are busy (the figures are only worth
 * something on a quiet machine), and what a server under test and the bench cost during a measurement window.
 */
final class Machine {

    private Machine() {
    }

    /**
     * Waits ({@code limit} at most) until processes other than {@code ours} use at most {@code quietPercent} of one
     * core, sampled over a second.
     */
    static void awaitQuiet(double quietPercent, Duration limit, List<Long> ours) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            long m0 = ProcStats.machineBusyNanos().orElse(-1L);
            long o0 = cpuOf(ours);
            long t0 = System.nanoTime();
            Thread.sleep(1000);
            long m1 = ProcStats.machineBusyNanos().orElse(-1L);
            if (m0 < 0 || m1 < 0) {
                return;
            }
            double other = 100.0 * ((m1 - m0) - (cpuOf(ours) - o0)) / (System.nanoTime() - t0);
            if (other <= quietPercent) {
                return;
            }
            log(String.format(Locale.ROOT, "  waiting for a quiet machine: other processes use %.0f%%", other));
            Thread.sleep(2000);
        }
        log("  the machine stayed busy for " + limit.toSeconds() + " s; measuring anyway");
    }

    static long cpuOf(List<Long> pids) {
        return pids.stream().mapToLong(p -> ProcStats.cpuNanos(p).orElse(0L)).sum();
    }

    /**
     * CPU of the server under test (if any), of the bench itself and of every other process over a measurement
     * window, and the server's resident memory at its end. {@code ours} are the bench and every server it
     * started (idle ones included): the rest of the machine is "other".
     */
    static final class Window implements LoadGenerator.Phases {
        private final Optional<? extends ServerProcess> server;
        private final Optional<Path> gcLog;
        private final List<Long> ours;
        private final long self = ProcessHandle.current().pid();
        private long wall0;
        private long wall1;
        private long server0 = -1;
        private long server1 = -1;
        private Optional<ProcStats.Threads> threads0 = Optional.empty();
        private Optional<ProcStats.Threads> threads1 = Optional.empty();
        private long bench0 = -1;
        private long bench1 = -1;
        private long ours0;
        private long ours1;
        private long machine0 = -1;
        private long machine1 = -1;
        private Optional<Long> rss = Optional.empty();
        private Optional<GcLog.Mark> gc0 = Optional.empty();
        private Optional<GcLog.Stats> gc = Optional.empty();

        Window(Optional<? extends ServerProcess> server, List<Long> ours) {
            this(server, Optional.empty(), ours);
        }

        /** With the server's GC log, to tell what its collector did during the window. */
        Window(Optional<? extends ServerProcess> server, Optional<Path> gcLog, List<Long> ours) {
            this.server = server;
            this.gcLog = gcLog;
            this.ours = List.copyOf(ours);
        }

        @Override
        public void measuring() {
            wall0 = System.nanoTime();
            server0 = server.flatMap(ServerProcess::cpuNanos).orElse(-1L);
            threads0 = server.flatMap(sp -> ProcStats.threads(sp.pid()));
            bench0 = ProcStats.cpuNanos(self).orElse(-1L);
            ours0 = cpuOf(ours);
            machine0 = ProcStats.machineBusyNanos().orElse(-1L);
            gc0 = gcLog.flatMap(log -> {
                try {
                    return Optional.of(GcLog.mark(log));
                } catch (IOException e) {
                    return Optional.empty();
                }
            });
        }

        @Override
        public void measured() {
            wall1 = System.nanoTime();
            server1 = server.flatMap(ServerProcess::cpuNanos).orElse(-1L);
            threads1 = server.flatMap(sp -> ProcStats.threads(sp.pid()));
            bench1 = ProcStats.cpuNanos(self).orElse(-1L);
            ours1 = cpuOf(ours);
            machine1 = ProcStats.machineBusyNanos().orElse(-1L);
            rss = server.flatMap(ServerProcess::rssKb);
            gc = gc0.flatMap(mark -> {
                try {
                    return Optional.of(GcLog.since(gcLog.orElseThrow(), mark));
                } catch (IOException e) {
                    return Optional.empty();
                }
            });
        }

        /** The server's GC pauses during the window, when its GC log was given. */
        Optional<GcLog.Stats> serverGc() {
            return gc;
        }

        private double seconds() {
            return (wall1 - wall0) / 1e9;
        }

        /** % of one core. */
        OptionalDouble serverCpuPercent() {
            OptionalLong n = serverCpuNanos();
            return n.isPresent() ? OptionalDouble.of(100.0 * n.getAsLong() / 1e9 / seconds()) : OptionalDouble.empty();
        }

        /** The server's CPU time over the window, nanoseconds. */
        OptionalLong serverCpuNanos() {
            return server0 >= 0 && server1 >= 0 ? OptionalLong.of(server1 - server0) : OptionalLong.empty();
        }

        /** The server's context switches over the window, all threads. */
        OptionalLong serverSwitches() {
            return threads0.isPresent() && threads1.isPresent() && threads1.get().switches() >= threads0.get().switches()
                    ? OptionalLong.of(threads1.get().switches() - threads0.get().switches()) : OptionalLong.empty();
        }

        /** Nanoseconds the server's threads spent runnable but waiting for a core over the window, all threads. */
        OptionalLong serverCoreWaitNanos() {
            return threads0.isPresent() && threads1.isPresent() && threads0.get().coreWaitNanos() >= 0
                    && threads1.get().coreWaitNanos() >= threads0.get().coreWaitNanos()
                    ? OptionalLong.of(threads1.get().coreWaitNanos() - threads0.get().coreWaitNanos())
                    : OptionalLong.empty();
        }

        OptionalDouble benchCpuPercent() {
            return bench0 >= 0 && bench1 >= 0 ? OptionalDouble.of(100.0 * (bench1 - bench0) / 1e9 / seconds())
                    : OptionalDouble.empty();
        }

        /** Every process but ours (from /proc/stat): on a shared machine, what tells a disturbed run. */
        OptionalDouble otherCpuPercent() {
            return machine0 >= 0 && machine1 >= 0
                    ? OptionalDouble.of(Math.max(0, 100.0 * ((machine1 - machine0) - (ours1 - ours0)) / 1e9 / seconds()))
                    : OptionalDouble.empty();
        }

        Optional<Long> serverRssKb() {
            return rss;
        }
    }

    /** The busiest other processes right now ({@code ps}), for the report's account of the machine. */
    static String otherProcesses() {
        return run(List.of("ps", "-eo", "pid,pcpu,rss,etime,comm", "--sort=-pcpu")).lines().limit(8)
                .reduce((a, b) -> a + "\n" + b).orElse("") + "\nload average: " + run(List.of("cat", "/proc/loadavg")).trim();
    }

    static String nodeVersion(String node) {
        return run(List.of(node, "--version")).trim();
    }

    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "(" + String.join(" ", cmd) + ": " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void log(String s) {
        System.err.println("[bench] " + s);
    }
}
