package dev.tokenrt.tokens.huggingface;

import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import dev.tokenrt.tokens.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The exact tokenizer of an open model (Llama 3, Qwen, Gemma, DeepSeek, Mistral...), read from the model's
 * Hugging Face {@code tokenizer.json} and run by the Hugging Face Rust tokenizers library through DJL. Open
 * models served by vLLM, TGI or llama.cpp count with that very library, so these counts are the server's.
 *
 * <p><b>Load once, share.</b> Parsing a vocabulary of 10-30 MB takes a noticeable fraction of a second and
 * holds native memory, so create one instance per vocabulary for the life of the process and share it.
 *
 * <p><b>Thread safety.</b> Safe for concurrent use. The native tokenizer's encode only reads it (the Rust
 * {@code Tokenizer::encode} takes {@code &self}, and the BPE cache inside has its own lock), and truncation and
 * padding are switched off once at load, never changed after. The only hazard is {@link #close()} freeing the
 * native tokenizer while a call is inside it: a read-write lock makes calls share the read side and close take
 * the write side, so close waits for calls in flight and calls after close fail with IllegalStateException.
 *
 * <p><b>Special tokens.</b> {@link #countTokens(String)} and {@link #encode(String)} add none (what a prompt
 * fragment costs); {@link #countTokens(String, boolean)} with {@code true} applies the tokenizer.json's own
 * post-processor (for example Gemma's {@code <bos>}). Chat-template framing is not added here. As in every
 * Hugging Face tokenizer, special-token text inside the input (say {@code <|im_end|>}) is matched as that one
 * token, which is what an inference server does with a rendered chat template.
 *
 * <p><b>Nothing is downloaded.</b> DJL's jar carries the native library, which is copied to DJL's cache
 * directory ({@code ~/.djl.ai}, or {@code DJL_CACHE_DIR}) on first use. Loading this class applies
 * {@link DjlSettings}: DJL offline and its usage ping off, unless the operator set them.
 */
public final class HuggingFaceTokenizer implements Tokenizer, AutoCloseable {

    static {
        DjlSettings.apply();
    }

    /**
     * Options for DJL: no special tokens by default, and no truncation or padding. DJL's own defaults truncate
     * to 512 tokens and pad, which would silently undercount any long prompt.
     */
    private static final Map<String, String> DJL_OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final String name;
    private final ai.djl.huggingface.tokenizers.HuggingFaceTokenizer delegate;
    private final NativeGuard guard;

    private HuggingFaceTokenizer(String name, ai.djl.huggingface.tokenizers.HuggingFaceTokenizer delegate) {
        this.name = name;
        this.delegate = delegate;
        this.guard = new NativeGuard("tokenizer " + name);
    }

    /**
     * Loads a {@code tokenizer.json}, naming the tokenizer after its folder when the file is called
     * {@code tokenizer.json} (so {@code .../llama3/tokenizer.json} is {@code llama3}), else after the file.
     *
     * @throws IllegalArgumentException when the file is missing, unreadable or not a Hugging Face tokenizer
     */
    public static HuggingFaceTokenizer fromFile(Path tokenizerJson) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        return fromFile(tokenizerJson, defaultName(tokenizerJson));
    }

    /**
     * Loads a {@code tokenizer.json} under the given name.
     *
     * @throws IllegalArgumentException when the file is missing, unreadable or not a Hugging Face tokenizer
     */
    public static HuggingFaceTokenizer fromFile(Path tokenizerJson, String name) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("tokenizer name must not be blank");
        }
        if (!Files.exists(tokenizerJson)) {
            throw new IllegalArgumentException("no tokenizer file at " + tokenizerJson.toAbsolutePath());
        }
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException(
                    "expected a Hugging Face tokenizer.json file, found a directory or special file: "
                            + tokenizerJson.toAbsolutePath());
        }
        if (!Files.isReadable(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file is not readable: " + tokenizerJson.toAbsolutePath());
        }
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return new HuggingFaceTokenizer(
                    name, ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(in, DJL_OPTIONS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + tokenizerJson.toAbsolutePath(), e);
        } catch (RuntimeException e) {
            // The native parser reports a malformed or unsupported file as a RuntimeException carrying serde's message.
            throw new IllegalArgumentException(
                    "not a valid Hugging Face tokenizer.json: " + tokenizerJson.toAbsolutePath() + ": " + e.getMessage(),
                    e);
        }
    }

    private static String defaultName(Path file) {
        String fileName = Objects.toString(file.getFileName(), "tokenizer.json");
        Path parent = file.toAbsolutePath().getParent();
        if (fileName.equals("tokenizer.json") && parent != null && parent.getFileName() != null) {
            return parent.getFileName().toString();
        }
        return fileName.endsWith(".json") ? fileName.substring(0, fileName.length() - ".json".length()) : fileName;
    }

    @Override
    public String name() {
        return name;
    }

    /** Always true: this is the model's own tokenizer. */
    @Override
    public boolean exact() {
        return true;
    }

    /** Number of tokens in {@code text} without special tokens. */
    @Override
    public int countTokens(String text) {
        return countTokens(text, false);
    }

    /**
     * Number of tokens in {@code text}; with {@code addSpecialTokens}, including those the tokenizer.json's
     * post-processor adds around a single sequence (none for Llama 3, Qwen 3 and DeepSeek V3, {@code <bos>} for
     * Gemma 3).
     */
    public int countTokens(String text, boolean addSpecialTokens) {
        return ids(text, addSpecialTokens).length;
    }

    /** Token ids of {@code text} without special tokens. */
    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Token ids of {@code text}, with the post-processor's special tokens when {@code addSpecialTokens}. */
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = ids(text, addSpecialTokens);
        int[] result = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            result[i] = Math.toIntExact(ids[i]);
        }
        return result;
    }

    /**
     * Calls the native encoder directly rather than DJL's {@code encode}, which also copies out every token's
     * string, offsets, type ids and masks: for counting only the ids are needed, and skipping the rest saves a
     * Java string per token. DJL's Java-side text preparation (lower-casing, accent stripping, prefix space) is
     * off for a tokenizer loaded without a tokenizer_config, so both paths feed the native encoder the same text.
     */
    private long[] ids(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        return guard.call(() -> {
            long encoding = TokenizersLibrary.LIB.encode(delegate.getHandle(), text, addSpecialTokens);
            try {
                return TokenizersLibrary.LIB.getTokenIds(encoding);
            } finally {
                TokenizersLibrary.LIB.deleteEncoding(encoding);
            }
        });
    }

    /** Frees the native tokenizer, after any call in flight; idempotent. */
    @Override
    public void close() {
        guard.close(delegate::close);
    }

    @Override
    public String toString() {
        return "HuggingFaceTokenizer[" + name + "]";
    }
}
