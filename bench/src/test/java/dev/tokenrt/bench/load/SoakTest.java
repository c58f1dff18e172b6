package dev.tokenrt.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class SoakTest {

    private static Soak.Result result(List<Soak.Point> during, double end) {
        return new Soak.Result(2000, Duration.ofMinutes(10), List.of(), List.of(), List.of(), OptionalDouble.of(50),
                OptionalDouble.of(end), during, 10, 0, 0);
    }

    @Test
    void theLiveHeapSlopeReadsOnlyTheSecondHalfAndTheEnd() {
        // Filling (the cache) in the first half, then flat: no growth.
        List<Soak.Point> filling = List.of(new Soak.Point(2, 200), new Soak.Point(4, 350), new Soak.Point(6, 365),
                new Soak.Point(8, 366));
        assertThat(result(filling, 365).liveSlopeSecondHalf()).isCloseTo(0, within(1.0));
        // Still growing after the fill: 20 MiB a minute.
        List<Soak.Point> leaking = List.of(new Soak.Point(2, 200), new Soak.Point(6, 400), new Soak.Point(8, 440));
        assertThat(result(leaking, 480).liveSlopeSecondHalf()).isCloseTo(20, within(0.5));
    }

    @Test
    void theSlopeIsLeastSquaresInMibAMinute() {
        assertThat(Soak.slope(List.of(new Soak.Point(0, 10), new Soak.Point(1, 12), new Soak.Point(2, 14)))).isEqualTo(2.0);
        assertThat(Soak.slope(List.of(new Soak.Point(0, 10)))).isZero();
    }

    @Test
    void theFullPauseAfterTheSoakIsTheEndsEvenWhenTheClocksDisagree() {
        // The gateway's uptime runs ~0.4 s behind this process's count: the final full pause is logged at 653.6 s
        // of uptime, before the 654.0 s this process took as the soak's end.
        List<String> log = List.of(
                "[14.002s] GC(40) Pause Full (System.gc()) 300M->45M(512M) 60.100ms",
                "[20.500s] GC(41) Pause Young (Normal) (G1 Evacuation Pause) 300M->50M(512M) 4.000ms",
                "[146.000s] GC(90) Pause Full (System.gc()) 310M->44M(512M) 55.000ms",
                "[600.000s] GC(300) Pause Young (Normal) (G1 Evacuation Pause) 320M->49M(512M) 27.300ms",
                "[653.600s] GC(320) Pause Full (System.gc()) 330M->43M(512M) 50.000ms");
        Soak.Heap h = Soak.readGcLog(log, 14.5, 654.0, 2);
        assertThat(h.liveBefore()).hasValue(45);
        assertThat(h.liveDuring()).extracting(Soak.Point::mib).containsExactly(44.0);
        assertThat(h.liveAfter()).hasValue(43);
        assertThat(h.youngPauses()).isEqualTo(2);
        assertThat(h.maxPauseMs()).isEqualTo(27.3);
    }
}
