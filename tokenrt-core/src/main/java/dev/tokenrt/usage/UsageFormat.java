package dev.tokenrt.usage;

import java.util.Locale;

/**
 * The provider usage shapes Token Runtime reads. A closed set, because each one needs its own arithmetic to reach
 * the inclusive totals of {@link Usage}; an unknown shape is reported as "no usage" rather than guessed at.
 */
public enum UsageFormat {
    /** OpenAI Chat Completions {@code CompletionUsage} (also legacy completions, embeddings and compatible servers). */
    OPENAI_CHAT,
    /** OpenAI Responses API {@code ResponseUsage}. */
    OPENAI_RESPONSES,
    /** Anthropic Messages API {@code usage}. */
    ANTHROPIC,
    /** Gemini {@code generateContent} / {@code streamGenerateContent} {@code usageMetadata} (Google AI and Vertex AI). */
    GEMINI,
    /** Gemini Interactions API {@code usage} ({@code total_input_tokens}, ...). */
    GEMINI_INTERACTIONS;

    /** Stable lower-case name for logs, the ledger and configuration: {@code openai-chat}, {@code anthropic}, ... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
