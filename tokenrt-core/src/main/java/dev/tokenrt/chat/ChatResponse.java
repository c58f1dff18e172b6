package dev.tokenrt.chat;

import dev.tokenrt.usage.Usage;
import java.util.List;
import java.util.Objects;

/**
 * A complete (non-streamed) chat response in the neutral model.
 *
 * @param id         the provider's response id
 * @param model      the model that answered, as the provider named it
 * @param content    the assistant's parts: text, tool calls, thinking
 * @param stopReason why generation stopped
 * @param usage      what it cost in tokens
 * @param created    epoch seconds
 */
public record ChatResponse(String id, String model, List<Part> content, StopReason stopReason, Usage usage,
        long created) {
    public ChatResponse {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        content = List.copyOf(content);
        Objects.requireNonNull(stopReason, "stopReason");
        Objects.requireNonNull(usage, "usage");
    }

    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Part p : content) {
            if (p instanceof Part.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }
}
