package dev.tokenrt.tokens;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizersTest {

    private final Tokenizers tokenizers = Tokenizers.defaults();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "gpt-4o, o200k_base",
            "gpt-4o-mini, o200k_base",
            "gpt-4o-2024-08-06, o200k_base",
            "chatgpt-4o-latest, o200k_base",
            "gpt-4.1, o200k_base",
            "gpt-4.1-nano-2025-04-14, o200k_base",
            "gpt-4.5-preview, o200k_base",
            "gpt-5, o200k_base",
            "gpt-5-mini, o200k_base",
            "o1, o200k_base",
            "o1-mini, o200k_base",
            "o3-mini-2025-01-31, o200k_base",
            "o4-mini, o200k_base",
            "gpt-oss-120b, o200k_base",
            "gpt-4, cl100k_base",
            "gpt-4-0613, cl100k_base",
            "gpt-4-turbo, cl100k_base",
            "gpt-4-32k, cl100k_base",
            "gpt-3.5-turbo, cl100k_base",
            "gpt-3.5-turbo-0301, cl100k_base",
            "gpt-3.5-turbo-instruct, cl100k_base",
            "gpt-35-turbo, cl100k_base",
            "text-embedding-3-small, cl100k_base",
            "text-embedding-3-large, cl100k_base",
            "text-embedding-ada-002, cl100k_base",
            "text-davinci-003, p50k_base",
            "text-davinci-002, p50k_base",
            "code-davinci-002, p50k_base",
            "code-cushman-001, p50k_base",
            "code-search-ada-code-001, r50k_base",
            "davinci, r50k_base",
            "curie, r50k_base",
            "babbage, r50k_base",
            "ada, r50k_base",
            "gpt2, r50k_base",
            "text-davinci-001, r50k_base",
            // provider prefixes, case and fine-tuned names
            "openai/gpt-4o, o200k_base",
            "azure/gpt-4o-mini, o200k_base",
            "OpenAI/GPT-4o, o200k_base",
            "openai/gpt-4-0613, cl100k_base",
            "ft:gpt-4o-mini-2024-07-18:acme::abc123, o200k_base",
    })
    void modelMapsToItsEncoding(String model, String encoding) {
        assertThat(tokenizers.encodingForModel(model)).contains(encoding);
        assertThat(tokenizers.forModel(model)).get().extracting(Tokenizer::name).isEqualTo(encoding);
    }

    @Test
    void gpt4WithoutDashIsNotAPrefixOfNewerFamilies() {
        // "gpt-4" is an exact name; gpt-4o, gpt-4.1 and gpt-4.5 must never fall back to cl100k via a "gpt-4" prefix.
        assertThat(tokenizers.encodingForModel("gpt-4o")).contains("o200k_base");
        assertThat(tokenizers.encodingForModel("gpt-4.1-mini")).contains("o200k_base");
        assertThat(tokenizers.encodingForModel("gpt-4.9-future")).isEmpty();
    }

    @Test
    void unknownModelIsEmptyOrAClearError() {
        assertThat(tokenizers.forModel("llama-3-70b")).isEmpty();
        assertThat(tokenizers.encodingForModel("llama-3-70b")).isEmpty();
        assertThatThrownBy(() -> tokenizers.forModelOrThrow("llama-3-70b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown model 'llama-3-70b': ")
                .hasMessageContaining("gpt-4o")
                .hasMessageContaining("Tokenizers.withModel");
    }

    @Test
    void unknownEncodingNamesTheKnownOnes() {
        assertThatThrownBy(() -> tokenizers.forEncoding("gpt3_base"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown encoding 'gpt3_base'")
                .hasMessageContaining("cl100k_base, o200k_base, p50k_base, r50k_base");
        assertThat(tokenizers.encodings()).containsExactly("cl100k_base", "o200k_base", "p50k_base", "r50k_base");
    }

    @Test
    void encodersAreSharedSingletons() {
        Tokenizer a = tokenizers.forModel("gpt-4o").orElseThrow();
        Tokenizer b = tokenizers.forModel("gpt-5-nano").orElseThrow();
        Tokenizer c = tokenizers.forEncoding("o200k_base");
        Tokenizer d = tokenizers.withModel("llama", a).forModel("gpt-4o-mini").orElseThrow();
        assertThat(a).isSameAs(b).isSameAs(c).isSameAs(d);
        assertThat(((JTokkitTokenizer) a).encoding()).isSameAs(((JTokkitTokenizer) c).encoding());
    }

    @Test
    void concurrentFirstUseBuildsOneEncoder() throws Exception {
        Tokenizer p50k = tokenizers.forEncoding("p50k_base");
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object>> encoders = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<Object> task = () -> {
                    start.await();
                    assertThat(p50k.countTokens("antidisestablishmentarianism")).isEqualTo(5);
                    return ((JTokkitTokenizer) p50k).encoding();
                };
                encoders.add(pool.submit(task));
            }
            start.countDown();
            Set<Object> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Future<Object> f : encoders) {
                distinct.add(f.get());
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withModelRegistersWithoutChangingTheOriginal() {
        Tokenizer estimator = new FixedEstimator();
        Tokenizers extended = tokenizers.withModel("claude-", estimator).withModel("openai/gpt-4o-mini", estimator);

        assertThat(extended.forModel("claude-sonnet-4")).containsSame(estimator);
        assertThat(extended.encodingForModel("claude-sonnet-4")).contains("chars/4");
        // a registered name wins over the built-in table, and was normalised like a looked-up name
        assertThat(extended.forModel("gpt-4o-mini-2024-07-18")).containsSame(estimator);
        assertThat(extended.forModel("gpt-4o").orElseThrow().name()).isEqualTo("o200k_base");
        // the original registry is untouched
        assertThat(tokenizers.forModel("claude-sonnet-4")).isEmpty();
        assertThat(tokenizers.forModel("gpt-4o-mini").orElseThrow().name()).isEqualTo("o200k_base");
        assertThatThrownBy(() -> extended.forModelOrThrow("mistral-large"))
                .hasMessageContaining("registered: claude-, gpt-4o-mini");
    }

    @Test
    void estimatorsMayRefuseToEncode() {
        Tokenizer estimator = new FixedEstimator();
        assertThat(estimator.count("abcdefgh")).isEqualTo(TokenCount.estimated(2));
        assertThatThrownBy(() -> estimator.encode("abc")).isInstanceOf(UnsupportedOperationException.class);
    }

    /** A stand-in estimator as another module would register one. */
    private static final class FixedEstimator implements Tokenizer {
        @Override
        public String name() {
            return "chars/4";
        }

        @Override
        public boolean exact() {
            return false;
        }

        @Override
        public int countTokens(String text) {
            return (text.length() + 3) / 4;
        }

        @Override
        public int[] encode(String text) {
            throw new UnsupportedOperationException("an estimator has no token ids");
        }
    }
}
