package dev.tokenrt.pricing;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Canonical provider ids and the names people use for them. The catalog, configuration and lookups all
 * speak the canonical id, so "gemini", "google_ai_studio" and "google" are one provider and "aws" and
 * "bedrock_converse" are "bedrock". LiteLLM's own provider names (including its split of Vertex AI into
 * {@code vertex_ai-*} families) map here too.
 */
public final class Providers {

    /** Providers whose first-party API a bare model name most likely means, in order of preference. */
    private static final List<String> FIRST_PARTY = List.of(
            "openai", "anthropic", "google", "mistral", "deepseek", "xai", "cohere", "ai21", "moonshot", "zai",
            "minimax", "dashscope", "voyage", "perplexity", "groq", "cerebras");

    /** Clouds that resell first-party models; preferred after the first parties, before aggregators. */
    private static final List<String> CLOUDS = List.of("azure", "vertex_ai", "bedrock");

    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("gemini", "google"),
            Map.entry("google_ai_studio", "google"),
            Map.entry("google-ai-studio", "google"),
            Map.entry("googleai", "google"),
            Map.entry("vertex", "vertex_ai"),
            Map.entry("vertexai", "vertex_ai"),
            Map.entry("vertex-ai", "vertex_ai"),
            Map.entry("google-vertex", "vertex_ai"),
            Map.entry("aws", "bedrock"),
            Map.entry("amazon_bedrock", "bedrock"),
            Map.entry("amazon-bedrock", "bedrock"),
            Map.entry("bedrock_converse", "bedrock"),
            Map.entry("azure_openai", "azure"),
            Map.entry("azure-openai", "azure"),
            Map.entry("azure_text", "azure"),
            Map.entry("x-ai", "xai"),
            Map.entry("x_ai", "xai"),
            Map.entry("mistralai", "mistral"),
            Map.entry("together", "together_ai"),
            Map.entry("together-ai", "together_ai"),
            Map.entry("togetherai", "together_ai"),
            Map.entry("fireworks", "fireworks_ai"),
            Map.entry("fireworks-ai", "fireworks_ai"),
            Map.entry("fireworks_ai-embedding-models", "fireworks_ai"),
            Map.entry("moonshotai", "moonshot"),
            Map.entry("voyageai", "voyage"),
            Map.entry("cohere_chat", "cohere"),
            Map.entry("zhipuai", "zai"),
            Map.entry("text-completion-openai", "openai"),
            Map.entry("text-completion-codestral", "codestral"),
            Map.entry("text-completion-inception", "inception"));

    private Providers() {
    }

    /**
     * The canonical id of a provider name: lower-cased, trimmed, aliases resolved, LiteLLM's
     * {@code vertex_ai-<family>} names folded into {@code vertex_ai}. Unknown names pass through lower-cased.
     */
    public static String canonical(String provider) {
        String name = provider.trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("vertex_ai-")) {
            return "vertex_ai";
        }
        return ALIASES.getOrDefault(name, name);
    }

    /**
     * Preference when a bare model name exists at several providers: first parties (the model's maker most
     * likely), then the big clouds, then everyone else alphabetically. Lower is preferred.
     */
    static int rank(String canonicalProvider) {
        int first = FIRST_PARTY.indexOf(canonicalProvider);
        if (first >= 0) {
            return first;
        }
        int cloud = CLOUDS.indexOf(canonicalProvider);
        if (cloud >= 0) {
            return FIRST_PARTY.size() + cloud;
        }
        return FIRST_PARTY.size() + CLOUDS.size();
    }
}
