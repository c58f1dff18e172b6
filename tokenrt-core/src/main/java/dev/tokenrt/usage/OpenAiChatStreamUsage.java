package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Usage of an OpenAI Chat Completions stream (and of OpenAI-compatible servers). OpenAI sends usage once, on a last
 * chunk with empty {@code choices}, when the request asked for {@code stream_options.include_usage}; some
 * compatible servers send cumulative usage on every chunk, and Groq puts it in {@code x_groq.usage}. The latest
 * usage object wins; they are never added up. {@code data: [DONE]} ends the stream.
 */
public final class OpenAiChatStreamUsage extends AbstractStreamUsage implements StreamUsage {

    public OpenAiChatStreamUsage() {
    }

    @Override
    public UsageFormat format() {
        return UsageFormat.OPENAI_CHAT;
    }

    @Override
    void onEvent(JsonNode chunk) {
        JsonNode usage = chunk.get("usage");
        if (usage == null || !usage.isObject()) {
            usage = chunk.path("x_groq").get("usage");
        }
        if (usage != null && usage.isObject() && JsonCounts.hasAny(usage, "prompt_tokens")) {
            update(UsageParser.openAi(usage));
        }
    }
}
