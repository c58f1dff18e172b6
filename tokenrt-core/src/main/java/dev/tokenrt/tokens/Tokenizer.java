package dev.tokenrt.tokens;

/**
 * Turns text into tokens for one model family. It is the single seam through which every count in Token Runtime
 * passes, so an exact tokenizer (tiktoken encodings, a Hugging Face {@code tokenizer.json}) and a calibrated estimator
 * for a provider whose tokenizer is not public can stand in for each other; {@link #exact()} tells them apart.
 *
 * <p>Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /** A stable name, e.g. {@code o200k_base}, shown in reports and error messages. */
    String name();

    /** True when {@link #countTokens} gives the provider's own count; false for an estimate. */
    boolean exact();

    /**
     * The number of tokens in {@code text}, taken as plain text: special-token strings such as
     * {@code <|endoftext|>} are counted as the characters they are (tiktoken's {@code encode_ordinary}).
     */
    int countTokens(String text);

    /**
     * The token ids of {@code text}, with the same plain-text rule as {@link #countTokens}.
     *
     * @throws UnsupportedOperationException for an estimator, which has no ids to give
     */
    int[] encode(String text);

    /** {@link #countTokens} with its {@link #exact()} flag. */
    default TokenCount count(String text) {
        return new TokenCount(countTokens(text), exact());
    }
}
