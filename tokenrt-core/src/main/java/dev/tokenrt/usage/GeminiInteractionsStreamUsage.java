package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * Usage of a Gemini Interactions API stream: the {@code interaction.completed} event carries the interaction with
 * its {@code usage}; the latest usage wins.
 */
public final class GeminiInteractionsStreamUsage extends AbstractStreamUsage implements StreamUsage {

    private static final Set<String> TERMINAL_STATUS = Set.of("completed", "failed", "cancelled", "incomplete");

    public GeminiInteractionsStreamUsage() {
    }

    @Override
    public UsageFormat format() {
        return UsageFormat.GEMINI_INTERACTIONS;
    }

    @Override
    void onEvent(JsonNode event) {
        JsonNode interaction = event.get("interaction");
        if (interaction == null || !interaction.isObject()) {
            return;
        }
        JsonNode usage = interaction.get("usage");
        if (usage != null && usage.isObject() && JsonCounts.hasAny(usage, "total_input_tokens")) {
            update(UsageParser.geminiInteractions(usage));
        }
        if ("interaction.completed".equals(event.path("event_type").asText())
                || TERMINAL_STATUS.contains(interaction.path("status").asText())) {
            markFinished();
        }
    }
}
