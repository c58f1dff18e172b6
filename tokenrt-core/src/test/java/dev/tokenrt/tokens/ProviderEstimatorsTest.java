package dev.tokenrt.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ProviderEstimatorsTest {

    private static final String PROMPT =
            "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural experiences "
                    + "and must-see attractions."; // MT-bench question 81 (Apache-2.0)

    @Test
    void defaultsCoverAnthropicAndGoogleOnO200k() {
        ProviderEstimators estimators = ProviderEstimators.withDefaults();
        Encoding o200k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
        int base = o200k.countTokensOrdinary(PROMPT);

        assertThat(estimators.providers()).containsExactlyInAnyOrder("anthropic", "google");
        CalibratingEstimator anthropic = estimators.get("anthropic").orElseThrow();
        CalibratingEstimator google = estimators.get("google").orElseThrow();
        assertThat(anthropic.base().name()).isEqualTo("o200k_base");
        assertThat(anthropic.priorRatio()).isEqualTo(ProviderEstimators.ANTHROPIC.ratio());
        assertThat(anthropic.count(PROMPT)).isEqualTo(TokenCount.estimated(Math.round(base * 1.20)));
        assertThat(google.count(PROMPT)).isEqualTo(TokenCount.estimated(Math.round(base * 1.05)));
        assertThat(anthropic.base().encode(PROMPT)).containsExactly(o200k.encodeOrdinary(PROMPT).toArray());
        assertThat(estimators.get("openai")).isEmpty();
    }

    @Test
    void specialTokenTextIsOrdinaryTextForTheBase() {
        CalibratingEstimator anthropic = ProviderEstimators.withDefaults().get("anthropic").orElseThrow();
        assertThat(anthropic.base().countTokens("<|endoftext|>")).isGreaterThan(1);
    }

    @Test
    void estimatorsAreSharedPerProvider() {
        ProviderEstimators estimators = ProviderEstimators.withDefaults();
        estimators.get("google").orElseThrow().observe(100, 90);
        assertThat(estimators.get("google").orElseThrow().snapshot().ratio()).isEqualTo(0.9);
        assertThat(estimators.get("anthropic").orElseThrow().snapshot().calibrated()).isFalse();

        CalibratingEstimator custom = CalibratingEstimator.create("x", estimators.get("google").orElseThrow().base(), 2);
        assertThat(ProviderEstimators.of(Map.of("x", custom)).get("x")).containsSame(custom);
    }
}
