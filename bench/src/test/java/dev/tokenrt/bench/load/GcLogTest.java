package dev.tokenrt.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcLogTest {

    // Lines as G1 on Temurin 25 writes them with -Xlog:gc:file=...:uptime.
    private static final List<String> BEFORE = List.of(
            "[0.012s] Using G1",
            "[0.625s] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->6M(256M) 3.120ms");
    private static final List<String> WINDOW = List.of(
            "[82.458s] GC(103) Pause Young (Normal) (G1 Evacuation Pause) 54M->10M(1068M) 9.294ms",
            "[82.700s] GC(104) Pause Young (Concurrent Start) (G1 Humongous Allocation) 30M->12M(1068M) 2.500ms",
            "[82.701s] GC(105) Concurrent Mark Cycle",
            "[82.720s] GC(105) Pause Remark 14M->14M(1068M) 1.000ms",
            "[82.880s] GC(106) Pause Young (Mixed) (G1 Evacuation Pause) 40M->9M(1068M) 4.206ms",
            "[83.000s] GC(107) Pause Full (System.gc()) 20M->8M(1068M) 50.000ms");

    @Test
    void readsPausesAndTheHeapAllocatedBetweenCollectionsOfTheWindowOnly(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.write(log, BEFORE);
        GcLog.Mark mark = GcLog.mark(log);
        assertThat(mark.heapAfterMib()).hasValue(6);
        Files.write(log, concat(BEFORE, WINDOW));

        GcLog.Stats s = GcLog.since(log, mark);

        // Young, mixed and remark are pauses the requests wait for; the forced full one is the harness's own.
        assertThat(s.pauses()).isEqualTo(4);
        assertThat(s.pauseMs()).isCloseTo(9.294 + 2.5 + 1.0 + 4.206, within(1e-9));
        assertThat(s.maxPauseMs()).isEqualTo(9.294);
        // (54-6) + (30-10) + (14-12) + (40-14) + (20-9)
        assertThat(s.allocatedMib()).hasValue(48 + 20 + 2 + 26 + 11);
    }

    @Test
    void withoutACollectionBeforeTheWindowTheAllocationIsUnknown() {
        GcLog.Stats s = GcLog.stats(WINDOW.subList(0, 1), OptionalDouble.empty());
        assertThat(s.pauses()).isEqualTo(1);
        assertThat(s.allocatedMib()).isEmpty();
    }

    @Test
    void aMissingLogIsAnEmptyOne(@TempDir Path dir) throws Exception {
        GcLog.Mark mark = GcLog.mark(dir.resolve("none.log"));
        assertThat(mark.lines()).isZero();
        assertThat(GcLog.since(dir.resolve("none.log"), mark).pauses()).isZero();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
