package dev.tokenrt.provider;

import dev.tokenrt.chat.ChatResponse;
import java.util.Objects;

/**
 * An upstream response translated to the neutral model, and whether the provider reported its usage.
 * When {@code usageReported} is false the response carries {@link dev.tokenrt.usage.Usage#NONE} and the
 * caller must count the tokens itself: a codec never guesses usage, so an estimate is never mistaken for
 * a reported figure.
 */
public record ParsedResponse(ChatResponse response, boolean usageReported) {
    public ParsedResponse {
        Objects.requireNonNull(response, "response");
    }
}
