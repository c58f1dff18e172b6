package dev.tokenrt.cache.semantic.onnx;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An embedding model packaged on Maven Central: where its ONNX graph and tokenizer are on the class path, how its
 * token vectors are pooled and how many tokens it reads. The two built in come from LangChain4j's model jars, which
 * tokenrt-semantic uses as carriers of these files only.
 *
 * @param id                a stable name, stored with every index entry
 * @param onnxResource      class-path resource of the ONNX graph
 * @param tokenizerResource class-path resource of the Hugging Face tokenizer.json
 * @param pooling           how token vectors become one
 * @param maxTokens         tokens read, special tokens included; longer texts are truncated
 */
public record EmbeddingModel(String id, String onnxResource, String tokenizerResource, Pooling pooling, int maxTokens) {

    /** Mean over the attention mask (sentence-transformers models) or the {@code [CLS]} token (BGE). */
    public enum Pooling { MEAN, CLS }

    /**
     * all-MiniLM-L6-v2, 8-bit quantized (Xenova's ONNX export of sentence-transformers/all-MiniLM-L6-v2): 384
     * dimensions, mean pooling, 256 word pieces (the model card's max_seq_length; the tokenizer.json says 128).
     */
    public static final EmbeddingModel ALL_MINILM_L6_V2_Q = new EmbeddingModel("all-minilm-l6-v2-q",
            "/all-minilm-l6-v2-q.onnx", "/all-minilm-l6-v2-q-tokenizer.json", Pooling.MEAN, 256);

    /** bge-small-zh-v1.5, 8-bit quantized (Xenova's ONNX export of BAAI/bge-small-zh-v1.5): 512 dimensions, CLS pooling, 512 tokens. */
    public static final EmbeddingModel BGE_SMALL_ZH_V15_Q = new EmbeddingModel("bge-small-zh-v1.5-q",
            "/bge-small-zh-v1.5-q.onnx", "/bge-small-zh-v1.5-q-tokenizer.json", Pooling.CLS, 512);

    /** The built-in models. */
    public static final List<EmbeddingModel> BUILT_IN = List.of(ALL_MINILM_L6_V2_Q, BGE_SMALL_ZH_V15_Q);

    public EmbeddingModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(onnxResource, "onnxResource");
        Objects.requireNonNull(tokenizerResource, "tokenizerResource");
        Objects.requireNonNull(pooling, "pooling");
        if (maxTokens < 2) {
            throw new IllegalArgumentException("maxTokens must be at least 2, got " + maxTokens);
        }
    }

    /**
     * A built-in model by its id or a short name: {@code all-minilm-l6-v2} (or {@code minilm}) and
     * {@code bge-small-zh} (or {@code bge-small-zh-v1.5}), case-insensitive.
     *
     * @throws IllegalArgumentException for any other name, listing the known ones
     */
    public static EmbeddingModel byName(String name) {
        Objects.requireNonNull(name, "name");
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "all-minilm-l6-v2-q", "all-minilm-l6-v2", "minilm" -> ALL_MINILM_L6_V2_Q;
            case "bge-small-zh-v1.5-q", "bge-small-zh-v1.5", "bge-small-zh" -> BGE_SMALL_ZH_V15_Q;
            default -> throw new IllegalArgumentException("unknown embedding model '" + name + "'; known: "
                    + BUILT_IN.stream().map(EmbeddingModel::id).collect(Collectors.joining(", ")));
        };
    }
}
