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
}
