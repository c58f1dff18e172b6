package dev.tokenrt.provider;

import dev.tokenrt.chat.ChatResponse;
import java.util.Objects;

/**
 * A provider's complete answer.
 *
 * @param usageReported false when the provider's body carried no usage (the response's usage is then
 *                      zero and the pipeline counts the tokens itself, marking them estimated)
 */
public record ProviderResponse(ChatResponse response, boolean usageReported) {
    public ProviderResponse {
        Objects.requireNonNull(response, "response");
    }
}
