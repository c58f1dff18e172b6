package dev.tokenrt.bench.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

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

    /**
     * Polls {@code probe} until its status passes {@code ready}; fails, with the server's log, if the process
     * exits first or {@code limit} passes.
     */
    static void awaitAnswer(Process process, String name, URI probe, IntPredicate ready, Duration limit, Path log)
            throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with status " + process.exitValue() + "; its log ("
                        + log + "):\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (ready.test(r.statusCode())) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(name + " did not answer " + probe + " within " + limit.toSeconds()
                + " s; log: " + log);
    }

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
