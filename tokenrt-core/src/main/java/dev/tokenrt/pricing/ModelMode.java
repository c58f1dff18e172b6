package dev.tokenrt.pricing;

import java.util.Locale;
import java.util.Optional;

/**
 * What kind of endpoint a catalog model serves. The catalog keeps only modes billed per text token;
 * image, audio, video, rerank and search models are priced per unit and have no place in a token ledger.
 */
public enum ModelMode {
    /** Chat completions (OpenAI chat, Anthropic messages, Gemini generateContent). */
    CHAT,
    /** OpenAI's Responses API only (for example o1-pro, codex models). */
    RESPONSES,
    /** Legacy text completions. */
    COMPLETION,
    /** Embeddings: input tokens only. */
    EMBEDDING;

    /** The lower-case name used in the catalog file. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ModelMode> fromWireName(String name) {
        for (ModelMode mode : values()) {
            if (mode.wireName().equals(name)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
