package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * Usage of an OpenAI Responses API stream. Every event that embeds the response object carries its {@code usage},
 * which is null until the terminal event ({@code response.completed}, {@code response.incomplete} or
 * {@code response.failed}) fills it in. The latest non-null usage wins.
 */
public final class OpenAiResponsesStreamUsage extends AbstractStreamUsage implements StreamUsage {

    private static final Set<String> TERMINAL = Set.of("response.completed", "response.incomplete",
            "response.failed");

    public OpenAiResponsesStreamUsage() {
    }

    @Override
    public UsageFormat format() {
        return UsageFormat.OPENAI_RESPONSES;
    }

    @Override
    void onEvent(JsonNode event) {
        JsonNode response = event.get("response");
        if (response != null && response.isObject()) {
            JsonNode usage = response.get("usage");
            if (usage != null && usage.isObject() && JsonCounts.hasAny(usage, "input_tokens")) {
                update(UsageParser.openAi(usage));
            }
        }
        if (TERMINAL.contains(event.path("type").asText())) {
            markFinished();
        }
    }
}
