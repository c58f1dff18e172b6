package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.pipeline.Router;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/models} in OpenAI's list shape: the configured model names and aliases, then a short list of
 * well-known models for each configured provider kind. With the built-in fake provider every entry is owned
 * by {@code tokenrt-fake}, so nobody mistakes it for a real provider.
 */
final class ModelsApi {

    /** Listed for a provider kind when no model is configured for it explicitly. */
    static final Map<ProviderConfig.Kind, List<String>> WELL_KNOWN = Map.of(
            ProviderConfig.Kind.OPENAI, List.of("gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini",
                    "o3", "o4-mini", "text-embedding-3-small", "text-embedding-3-large"),
            ProviderConfig.Kind.ANTHROPIC, List.of("claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"),
            ProviderConfig.Kind.GEMINI, List.of("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"),
            ProviderConfig.Kind.FAKE, List.of("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash"));

    private final ObjectNode body;

    ModelsApi(GatewayConfig config, Router router) {
        Map<String, String> owned = new LinkedHashMap<>();
        for (Map.Entry<String, List<Router.Target>> e : router.routes().entrySet()) {
            owned.put(e.getKey(), owner(config, e.getValue().get(0).provider()));
        }
        for (ProviderConfig p : config.providers().values()) {
            for (String m : WELL_KNOWN.getOrDefault(p.kind(), List.of())) {
                owned.putIfAbsent(m, owner(config, p.name()));
            }
        }
        ObjectNode root = GatewayServer.JSON.createObjectNode().put("object", "list");
        ArrayNode data = root.putArray("data");
        owned.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> data.addObject()
                .put("id", e.getKey()).put("object", "model").put("created", 0).put("owned_by", e.getValue()));
        this.body = root;
    }

    private static String owner(GatewayConfig config, String provider) {
        ProviderConfig p = config.providers().get(provider);
        return p != null && p.kind() == ProviderConfig.Kind.FAKE ? "tokenrt-fake" : provider;
    }

    ObjectNode list() {
        return body;
    }
}
