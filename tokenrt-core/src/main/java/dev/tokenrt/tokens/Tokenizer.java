package dev.tokenrt.tokens;

/**
 * Turns text into the tokens a model sees. One interface for exact tokenizers (JTokkit's tiktoken
 * encodings, Hugging Face vocabularies) and calibrated estimators for providers whose tokenizer is not
 * public, so that counting, budgeting and context fitting never care which kind they hold; {@link #exact()}
 * and the {@link TokenCount} it yields keep the difference visible in every report.
 */
public interface Tokenizer {

    /** A short stable name for logs and reports, such as {@code o200k_base} or {@code llama3}. */
    String name();

    /** True when counts are the model's own, false when they are estimates. */
    boolean exact();

    /** Number of tokens in {@code text}, without special tokens. */
    int countTokens(String text);

    /** Token ids of {@code text}, without special tokens. */
    int[] encode(String text);

    /** The count of {@code text}, flagged exact or estimated. */
    default TokenCount count(String text) {
        return new TokenCount(countTokens(text), exact());
    }
}
