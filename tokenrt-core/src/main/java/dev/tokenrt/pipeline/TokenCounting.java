package dev.tokenrt.pipeline;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.tokens.TokenCount;

/**
 * Local token counting as the pipeline needs it: the prompt of a request (for budgets, and for usage when
 * a provider reports none) and generated text (for usage when a stream is cut or unreported).
 */
public interface TokenCounting {

    /** The prompt tokens of {@code request} as {@code model}'s provider would bill them. */
    TokenCount prompt(ChatRequest request, String model);

    /** The tokens of generated text (visible text plus tool-call arguments) for {@code model}. */
    TokenCount completion(String text, String model);
}
