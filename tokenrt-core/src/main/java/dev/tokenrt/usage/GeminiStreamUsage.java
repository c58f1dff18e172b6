package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Usage of a Gemini {@code streamGenerateContent} stream. Chunks carry cumulative {@code usageMetadata}, so the last
 * one with token counts wins (Vertex AI sends {@code usageMetadata} holding only {@code trafficType} on the chunks
 * before the last; those are skipped). Gemini has no terminal event: the stream ends when the connection does.
 */
public final class GeminiStreamUsage extends AbstractStreamUsage implements StreamUsage {

    public GeminiStreamUsage() {
    }

    @Override
    public UsageFormat format() {
        return UsageFormat.GEMINI;
    }

    @Override
    void onEvent(JsonNode chunk) {
        JsonNode metadata = chunk.get("usageMetadata");
        if (UsageParser.hasGeminiCounts(metadata)) {
            update(UsageParser.gemini(metadata));
        }
    }
}
