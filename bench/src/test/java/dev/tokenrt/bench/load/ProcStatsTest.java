package dev.tokenrt.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The thread figures the comparison reports a request, read from this JVM's own /proc entries. */
class ProcStatsTest {

    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void countsTheSwitchesOfAThreadThatSleepsAndWakes() throws Exception {
        ProcStats.Threads before = ProcStats.threads(SELF).orElseThrow();
        Thread live = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 50; i++) {
                sleepMillis(1);
            }
            sleepMillis(60_000); // stay alive, so that the thread's switches stay in the sum
        });
        try {
            waitUntil(() -> live.getState() == Thread.State.TIMED_WAITING
                    && ProcStats.threads(SELF).orElseThrow().switches() - before.switches() >= 50);
        } finally {
            live.interrupt();
            live.join();
        }
    }

    @Test
    void countsTheTimeThreadsWaitForACoreWhenThereAreMoreRunnableThreadsThanCores() throws Exception {
        ProcStats.Threads before = ProcStats.threads(SELF).orElseThrow();
        assertThat(before.coreWaitNanos()).as("schedstat is kept by this kernel").isGreaterThanOrEqualTo(0);
        int cores = Runtime.getRuntime().availableProcessors();
        List<Thread> spinners = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
        for (int i = 0; i < 2 * cores; i++) {
            spinners.add(Thread.ofPlatform().start(() -> {
                long x = 0;
                while (System.nanoTime() < end) {
                    x += System.nanoTime() & 1;
                }
                if (x == -1) {
                    throw new AssertionError();
                }
                sleepMillis(60_000); // stay alive, so that the thread's figures stay in the sum
            }));
        }
        try {
            // Twice as many spinners as cores for 400 ms: together they wait at least ~400 ms × cores for a core.
            waitUntil(() -> ProcStats.threads(SELF).orElseThrow().coreWaitNanos() - before.coreWaitNanos()
                    >= TimeUnit.MILLISECONDS.toNanos(100) * cores);
        } finally {
            spinners.forEach(Thread::interrupt);
            for (Thread t : spinners) {
                t.join();
            }
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition reached within 20 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
