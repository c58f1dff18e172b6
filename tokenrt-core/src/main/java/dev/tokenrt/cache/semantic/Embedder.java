package dev.tokenrt.cache.semantic;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a text into a vector whose cosine with another text's vector says how alike their meanings are.
 * Implementations: ONNX models packaged on Maven Central, run in-process ({@code tokenrt-semantic}), or a
 * remote embeddings model reached through the gateway's own providers.
 *
 * <p>Vectors are L2-normalised, so a dot product is the cosine. An embedder is safe to call from many threads.
 */
public interface Embedder extends AutoCloseable {

    /** A stable name of the model, part of every index entry, so vectors of two models are never compared. */
    String id();

    /**
     * The length of every vector this embedder returns; for an embedder that picks a model per text
     * ({@link #modelFor(String)}), the length of its default model's vectors.
     */
    int dimension();

    /**
     * The embedder that makes the vector of {@code text}: this one, or, for an embedder that picks a model per text
     * (say by language), the model it picks. A cache files the text's entry under that model's {@link #id()}, so
     * vectors of two models are never compared.
     */
    default Embedder modelFor(String text) {
        return this;
    }

    /**
     * False when the vector of {@code text} stands for a prefix of it only (the model reads a bounded number of
     * tokens and truncates the rest): two texts that differ after that point would look the same.
     */
    default boolean covers(String text) {
        return true;
    }

    /** The unit-length embedding of {@code text}. */
    float[] embed(String text);

    /** Embeddings of several texts, in order; implementations batch where the model allows. */
    default List<float[]> embedAll(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(embed(t));
        }
        return out;
    }

    @Override
    default void close() {
    }
}
