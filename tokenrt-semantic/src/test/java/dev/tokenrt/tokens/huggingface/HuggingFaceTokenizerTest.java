package dev.tokenrt.tokens.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.tokens.TokenCount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Checks DJL's Rust tokenizer, through our wrapper, against ids from an independent implementation (the
 * JavaScript tokenizer, see expected-ids.json and generate-expected-ids.js beside it) on four real vocabularies.
 */
class HuggingFaceTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String vocabulary, String sample, String text, int[] ids, int[] idsWithSpecialTokens) {
        @Override
        public String toString() {
            return vocabulary + "/" + sample;
        }
    }

    static List<Case> cases() throws IOException {
        JsonNode root;
        try (InputStream in = HuggingFaceTokenizerTest.class.getResourceAsStream("expected-ids.json")) {
            assertThat(in).as("expected-ids.json on the test class path").isNotNull();
            root = JSON.readTree(in);
        }
        List<Case> cases = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> vocabularies = root.get("vocabularies").fields();
                vocabularies.hasNext(); ) {
            Map.Entry<String, JsonNode> vocabulary = vocabularies.next();
            for (Iterator<Map.Entry<String, JsonNode>> samples = vocabulary.getValue().get("cases").fields();
                    samples.hasNext(); ) {
                Map.Entry<String, JsonNode> sample = samples.next();
                JsonNode c = sample.getValue();
                cases.add(new Case(vocabulary.getKey(), sample.getKey(), c.get("text").asText(),
                        ints(c.get("ids")), ints(c.get("idsWithSpecialTokens"))));
            }
        }
        return cases;
    }

    private static int[] ints(JsonNode array) {
        int[] result = new int[array.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = array.get(i).intValue();
        }
        return result;
    }

    static Stream<Arguments> expectedIds() throws IOException {
        return cases().stream().map(Arguments::of);
    }

    @Test
    void referenceCoversEveryVocabularyAndKindOfText() throws IOException {
        List<Case> cases = cases();
        assertThat(cases).extracting(Case::vocabulary).containsOnlyElementsOf(Vocabularies.NAMES)
                .containsAll(Vocabularies.NAMES);
        assertThat(cases).extracting(Case::sample).contains("english", "chinese", "code", "emoji");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expectedIds")
    void encodesLikeTheReferenceImplementation(Case c) {
        HuggingFaceTokenizer tokenizer = Vocabularies.get(c.vocabulary());

        assertThat(tokenizer.encode(c.text())).containsExactly(c.ids());
        assertThat(tokenizer.countTokens(c.text())).isEqualTo(c.ids().length);
        assertThat(tokenizer.count(c.text())).isEqualTo(TokenCount.exact(c.ids().length));
        assertThat(tokenizer.encode(c.text(), true)).containsExactly(c.idsWithSpecialTokens());
        assertThat(tokenizer.countTokens(c.text(), true)).isEqualTo(c.idsWithSpecialTokens().length);
    }

    @Test
    void onlyGemmaAddsASpecialTokenOfItsOwn() {
        // The tokenizer.json post-processors: Gemma 3's template adds <bos> (id 2); the other three add none.
        assertThat(Vocabularies.get("gemma3").encode("Hi", true)).startsWith(2);
        assertThat(Vocabularies.get("gemma3").countTokens("Hi", true))
                .isEqualTo(Vocabularies.get("gemma3").countTokens("Hi") + 1);
        for (String name : List.of("llama3", "qwen3", "deepseek_v3")) {
            assertThat(Vocabularies.get(name).countTokens("Hi", true)).as(name)
                    .isEqualTo(Vocabularies.get(name).countTokens("Hi"));
        }
    }

    @Test
    void neverTruncatesLongText() {
        // DJL truncates to 512 tokens unless told not to; a long prompt must count in full and add up.
        HuggingFaceTokenizer llama = Vocabularies.get("llama3");
        String sentence = "The quick brown fox jumps over the lazy dog. ";
        int once = llama.countTokens(sentence);
        String longText = sentence.repeat(500);

        assertThat(once).isEqualTo(11); // "The"," quick"," brown"," fox"," jumps"," over"," the"," lazy"," dog","."," "
        // Repeated, the trailing space joins the next "The": 10 tokens a sentence, and the final " " on its own.
        assertThat(llama.countTokens(longText)).isEqualTo(500 * 10 + 1).isGreaterThan(512);
        assertThat(llama.encode(longText)).hasSize(5001);
    }

    @Test
    void specialTokenTextInsideTheInputIsOneToken() {
        HuggingFaceTokenizer qwen = Vocabularies.get("qwen3");
        assertThat(qwen.encode("<|im_start|>user")).containsExactly(151644, 872);
    }

    @Test
    void emptyTextHasNoTokens() {
        for (String name : Vocabularies.NAMES) {
            assertThat(Vocabularies.get(name).encode("")).as(name).isEmpty();
            assertThat(Vocabularies.get(name).countTokens("")).as(name).isZero();
        }
    }

    @Test
    void loneSurrogateIsCountedNotFatal() {
        // Ill-formed UTF-16 reaches the native side as a replacement character rather than crashing it.
        assertThat(Vocabularies.get("llama3").countTokens("a\uD800b")).isBetween(2, 6);
    }

    @Test
    void keepsDjlOffline() {
        // Without these DJL may download a CUDA build of its library and pings cloud metadata and telemetry
        // endpoints when a tokenizer is created; nothing in this JVM set them before the class did.
        Vocabularies.get("llama3");
        assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        assertThat(System.getProperty("OPT_OUT_TRACKING")).isEqualTo("true");
    }

    @Test
    void namesTheTokenizerAfterItsFolder() {
        assertThat(Vocabularies.get("llama3").name()).isEqualTo("llama3");
        assertThat(Vocabularies.get("llama3").exact()).isTrue();
    }

    @Test
    void sharedInstanceGivesTheSameIdsOnManyThreads() throws Exception {
        List<Case> cases = cases();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Boolean>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                tasks.add(() -> {
                    for (int round = 0; round < 25; round++) {
                        for (Case c : cases) {
                            if (!java.util.Arrays.equals(Vocabularies.get(c.vocabulary()).encode(c.text()), c.ids())) {
                                return false;
                            }
                        }
                    }
                    return true;
                });
            }
            for (Future<Boolean> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedTokenizerRefusesWorkAndClosesOnce() throws IOException {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.fromFile(Vocabularies.file("qwen3"), "qwen3-copy");
        assertThat(tokenizer.countTokens("hello")).isEqualTo(1);
        tokenizer.close();
        tokenizer.close();
        assertThatThrownBy(() -> tokenizer.countTokens("hello"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("qwen3-copy");
    }

    @Test
    void missingFileIsAClearError(@TempDir Path dir) {
        Path missing = dir.resolve("nope").resolve("tokenizer.json");
        assertThatThrownBy(() -> HuggingFaceTokenizer.fromFile(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no tokenizer file").hasMessageContaining(missing.toString());
    }

    @Test
    void directoryIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> HuggingFaceTokenizer.fromFile(dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a Hugging Face tokenizer.json");
    }

    @Test
    void malformedJsonIsAClearError(@TempDir Path dir) throws IOException {
        Path broken = Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"model\": ");
        assertThatThrownBy(() -> HuggingFaceTokenizer.fromFile(broken))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid Hugging Face tokenizer.json").hasMessageContaining(broken.toString());
    }

    @Test
    void jsonThatIsNotATokenizerIsAClearError(@TempDir Path dir) throws IOException {
        Path other = Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        assertThatThrownBy(() -> HuggingFaceTokenizer.fromFile(other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid Hugging Face tokenizer.json");
    }
}
