package dev.tokenrt.tokens;

import dev.tokenrt.tokens.ReferenceData.EncodingCase;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachingTokenizerTest {

    private final Tokenizers tokenizers = Tokenizers.defaults();

    @Test
    void cachedCountsEqualUncachedCountsOnAllReferenceData() {
        for (String encoding : ReferenceData.ENCODINGS) {
            Tokenizer plain = tokenizers.forEncoding(encoding);
            // a threshold of 1 caches every text, so every reference row goes through the cache
            CachingTokenizer cached = CachingTokenizer.wrap(plain, 1 << 20, 1);
            List<EncodingCase> cases = ReferenceData.encodingCases(encoding);
            for (int round = 0; round < 2; round++) { // first round fills, second round hits
                for (EncodingCase c : cases) {
                    assertThat(cached.countTokens(c.text())).as(c.toString())
                            .isEqualTo(plain.countTokens(c.text()))
                            .isEqualTo(c.ids().length);
                }
            }
            assertThat(cached.cachedTexts()).isPositive();
            assertThat(cached.name()).isEqualTo(encoding);
            assertThat(cached.exact()).isTrue();
        }
    }

    @Test
    void longTextsAreCountedOnceShortTextsAlwaysDelegate() {
        CountingTokenizer counting = new CountingTokenizer(tokenizers.forEncoding("o200k_base"));
        CachingTokenizer cached = CachingTokenizer.wrap(counting);
        String systemPrompt = "You are a careful assistant. ".repeat(20); // 580 chars
        String turn = "What is the weather in Paris?";

        for (int i = 0; i < 5; i++) {
            assertThat(cached.countTokens(systemPrompt)).isEqualTo(counting.delegate.countTokens(systemPrompt));
            assertThat(cached.countTokens(turn)).isEqualTo(7);
        }
        assertThat(counting.calls.get()).isEqualTo(1 + 5);
        assertThat(cached.cachedTexts()).isEqualTo(1);
    }

    @Test
    void equalHashCodesNeverShareAnEntry() {
        // "Aa" and "BB" have the same String.hashCode; so do any texts built from them in the same positions.
        String prefix = "x".repeat(300);
        String a = prefix + "AaAaAaAa";
        String b = prefix + "BBBBBBBB";
        assertThat(a.hashCode()).isEqualTo(b.hashCode());
        CachingTokenizer cached = CachingTokenizer.wrap(tokenizers.forEncoding("cl100k_base"));
        int countA = cached.countTokens(a);
        int countB = cached.countTokens(b);
        assertThat(countA).isEqualTo(tokenizers.forEncoding("cl100k_base").countTokens(a));
        assertThat(countB).isEqualTo(tokenizers.forEncoding("cl100k_base").countTokens(b));
        assertThat(cached.cachedTexts()).isEqualTo(2);
    }

    @Test
    void rejectsNonsenseLimits() {
        Tokenizer t = tokenizers.forEncoding("o200k_base");
        assertThatThrownBy(() -> CachingTokenizer.wrap(t, 0, 256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachingTokenizer.wrap(t, 1024, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static final class CountingTokenizer implements Tokenizer {
        final Tokenizer delegate;
        final AtomicInteger calls = new AtomicInteger();

        CountingTokenizer(Tokenizer delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public boolean exact() {
            return delegate.exact();
        }

        @Override
        public int countTokens(String text) {
            calls.incrementAndGet();
            return delegate.countTokens(text);
        }

        @Override
        public int[] encode(String text) {
            return delegate.encode(text);
        }
    }
}
