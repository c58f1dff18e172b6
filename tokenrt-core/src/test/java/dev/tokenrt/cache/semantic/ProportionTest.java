package dev.tokenrt.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ProportionTest {

    @Test
    void normalQuantilesMatchTheTables() {
        assertThat(Proportion.Normal.quantile(0.975)).isCloseTo(1.959964, within(1e-6));
        assertThat(Proportion.Normal.quantile(0.95)).isCloseTo(1.644854, within(1e-6));
        assertThat(Proportion.Normal.quantile(0.5)).isCloseTo(0, within(1e-9));
        assertThat(Proportion.Normal.quantile(0.001)).isCloseTo(-3.090232, within(1e-6));
    }

    /** Reference values: Wilson's score interval as tabulated by Newcombe (1998), Table I (81/263, 15/148, 0/20). */
    @Test
    void wilsonIntervalsMatchNewcombe() {
        Proportion a = Proportion.wilson(81, 263, 0.95);
        assertThat(a.lower()).isCloseTo(0.2553, within(1e-4));
        assertThat(a.upper()).isCloseTo(0.3662, within(1e-4));
        Proportion b = Proportion.wilson(15, 148, 0.95);
        assertThat(b.lower()).isCloseTo(0.0624, within(1e-4));
        assertThat(b.upper()).isCloseTo(0.1605, within(1e-4));
        Proportion zero = Proportion.wilson(0, 20, 0.95);
        assertThat(zero.lower()).isZero();
        assertThat(zero.upper()).isCloseTo(0.1611, within(1e-4));
        assertThat(Proportion.wilson(0, 0, 0.95).upper()).isEqualTo(1);
        assertThat(Proportion.upperBound(0, 270, 0.95)).isLessThan(0.01).isGreaterThan(0.009);
        assertThat(a.times(0.5).upper()).isCloseTo(0.3662 / 2, within(1e-4));
        assertThatThrownBy(() -> Proportion.wilson(3, 2, 0.95)).isInstanceOf(IllegalArgumentException.class);
    }
}
