package dev.tokenrt.tokens.huggingface;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.fail;

/**
 * The real vocabularies that bin/fetch-vocab.sh puts in the cache, each loaded once per test JVM and shared
 * by every test (loading one takes a noticeable fraction of a second). A missing vocabulary fails the test with
 * instructions; it never skips it.
 */
final class Vocabularies {

    static final List<String> NAMES = List.of("llama3", "qwen3", "gemma3", "deepseek_v3");

    private static final Map<String, HuggingFaceTokenizer> LOADED = new ConcurrentHashMap<>();

    private Vocabularies() {}

    /** The cache directory: the surefire property the build sets, else the script's own default. */
    static Path cacheDir() {
        String configured = System.getProperty("tokenrt.vocab.cache");
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("TOKENRT_VOCAB_CACHE");
        }
        if (configured == null || configured.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "tokenrt", "vocab");
        }
        return Path.of(configured);
    }

    static Path file(String name) {
        Path file = cacheDir().resolve(name).resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            fail("vocabulary " + name + " not found at " + file.toAbsolutePath()
                    + ": run bin/fetch-vocab.sh " + cacheDir().toAbsolutePath()
                    + " (the Maven build of tokenrt-semantic runs it in generate-test-resources)");
        }
        return file;
    }

    static HuggingFaceTokenizer get(String name) {
        return LOADED.computeIfAbsent(name, n -> HuggingFaceTokenizer.fromFile(file(n)));
    }
}
