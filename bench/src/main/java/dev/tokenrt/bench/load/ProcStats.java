package dev.tokenrt.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU time and resident memory of a process, read from Linux's /proc (the figures {@code top} shows), so that the
 * gateway's cost is measured from outside its JVM. Empty where /proc is not there.
 */
final class ProcStats {

    /** Clock ticks a second, as {@code getconf CLK_TCK} reports (100 on every Linux we run on). */
    static final long TICKS = clockTicks();

    /** Whether this kernel keeps per-thread scheduler statistics ({@code /proc/<pid>/task/<tid>/schedstat}). */
    private static final boolean SCHEDSTAT = Files.exists(Path.of("/proc/self/schedstat"));

    private ProcStats() {
    }

    /** user + system CPU time of the process, in nanoseconds. */
    static Optional<Long> cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Field 2 (the command) is in parentheses and may hold spaces: split after its closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 (utime) and 15 (stime)
            return Optional.of(ticks * 1_000_000_000L / TICKS);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * CPU time every process on the machine has used (from /proc/stat's first line: user, nice, system, steal),
     * in nanoseconds; with the bench's and the gateway's own time subtracted it shows whether something else was
     * running during a measurement. Interrupt and softirq time are left out: the loopback traffic of a run at
     * thousands of requests a second is processed there, charged to no process, and would otherwise read as
     * another process being busy.
     */
    static Optional<Long> machineBusyNanos() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    long busy = 0;
                    for (int i : new int[] {0, 1, 2, 7}) {
                        busy += Long.parseLong(f[i]);
                    }
                    return Optional.of(busy * 1_000_000_000L / TICKS);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Optional.empty();
    }

    /**
     * What a process's threads have been through so far, summed over them.
     *
     * @param switches       context switches, voluntary and not (each {@code /proc/<pid>/task/<tid>/status}): a
     *                       thread handing work to another that sleeps costs a switch on each side, so switches a
     *                       request count the hand-offs between threads more steadily than CPU time on a shared VM
     * @param coreWaitNanos  time spent runnable but waiting for a core (the second field of each
     *                       {@code /proc/<pid>/task/<tid>/schedstat}), -1 where the kernel does not keep it: every
     *                       hand-off wakes a thread, and on a machine whose cores are busy the woken thread queues
     *                       before it runs, which adds to the request's latency without adding to its CPU time
     */
    record Threads(long switches, long coreWaitNanos) {
    }

    /**
     * {@link Threads} of all the process's threads so far. Threads that ended are not counted, so measure over a
     * window in which the process's pools are steady.
     */
    static Optional<Threads> threads(long pid) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            long switches = 0;
            long wait = SCHEDSTAT ? 0 : -1;
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                    if (SCHEDSTAT) {
                        wait += runQueueWait(t.resolve("schedstat"));
                    }
                } catch (IOException e) {
                    // the thread ended while we read
                }
            }
            return Optional.of(new Threads(switches, wait));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A thread's run-queue wait so far, ns: the second of its schedstat's three fields. */
    private static long runQueueWait(Path schedstat) throws IOException {
        return Long.parseLong(Files.readString(schedstat).trim().split("\\s+")[1]);
    }

    /** A {@code /proc/<pid>/status} field in kB ({@code VmRSS}, {@code VmHWM}). */
    static Optional<Long> statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Optional.of(Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Optional.empty();
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
