package dev.tokenrt.bench.load;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A server the load harness started in a process of its own (a gateway: ours or a peer), so that its CPU time and
 * memory can be read from outside it, and so that it is stopped with the harness.
 */
interface ServerProcess extends AutoCloseable {

    /** {@code http://127.0.0.1:port}, without a trailing slash. */
    String baseUrl();

    long pid();

    /** How it was started, for the report. */
    List<String> command();

    default boolean alive() {
        return ProcessHandle.of(pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    default Optional<Long> cpuNanos() {
        return ProcStats.cpuNanos(pid());
    }

    default Optional<Long> rssKb() {
        return ProcStats.statusKb(pid(), "VmRSS");
    }

    default Optional<Long> peakRssKb() {
        return ProcStats.statusKb(pid(), "VmHWM");
    }

    @Override
    void close();

    /** SIGTERM, then SIGKILL after 20 s. */
    static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
