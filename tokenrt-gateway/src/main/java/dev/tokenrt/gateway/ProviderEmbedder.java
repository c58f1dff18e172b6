package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.cache.semantic.Embedder;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.pipeline.Pricing;
import dev.tokenrt.pipeline.RequestObserver;
import dev.tokenrt.TokenRuntime;
import dev.tokenrt.usage.Usage;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The semantic cache's embeddings from a remote model, through one of the gateway's own OpenAI-compatible
 * providers ({@code POST {base_url}/embeddings}). Every call is priced and recorded in the ledger like any other
 * request (route {@code semantic-cache:embedding}, attributed to no one), so what the semantic cache spends to
 * save money is counted too. Vectors are normalised here; the dimension is learnt from the first answer.
 */
final class ProviderEmbedder implements Embedder {

    /** Texts longer than this are not compared: beyond the model's input they would be cut, and look alike. */
    private static final int MAX_CHARS = 8_000;

    private final ProviderConfig provider;
    private final String model;
    private final UpstreamHttp http;
    private final Pricing pricing;
    private final List<RequestObserver> observers;
    private final TokenRuntimeLedger ledger;
    private final Clock clock;
    private volatile int dimension = -1;

    /** Where the embedding calls are recorded (the runtime's ledger, set once the runtime is built). */
    interface TokenRuntimeLedger {
        void append(LedgerEntry e);
    }

    ProviderEmbedder(ProviderConfig provider, String model, UpstreamHttp http, Pricing pricing,
            List<RequestObserver> observers, TokenRuntimeLedger ledger, Clock clock) {
        if (provider.kind() != ProviderConfig.Kind.OPENAI) {
            throw new GatewayConfig.ConfigException("cache.semantic.remote.provider: '" + provider.name()
                    + "' is not OpenAI-compatible; remote embeddings need POST /embeddings");
        }
        this.provider = provider;
        this.model = model;
        this.http = http;
        this.pricing = pricing;
        this.observers = List.copyOf(observers);
        this.ledger = ledger;
        this.clock = clock;
    }

    @Override
    public String id() {
        return "remote:" + provider.name() + "/" + model;
    }

    @Override
    public int dimension() {
        if (dimension < 0) {
            embed("dimension probe");
        }
        return dimension;
    }

    @Override
    public boolean covers(String text) {
        return text.length() <= MAX_CHARS;
    }

    @Override
    public float[] embed(String text) {
        long start = System.nanoTime();
        ObjectNode body = GatewayServer.JSON.createObjectNode().put("model", model).put("input", text);
        Map<String, String> headers = new HashMap<>();
        provider.apiKey().ifPresent(k -> headers.put("authorization", "Bearer " + k));
        UpstreamHttp.Reply reply = http.post(provider.baseUrl() + "/embeddings", headers,
                GatewayServer.jsonBuffer(body, text.length() + 128), provider.timeouts(), provider.name());
        if (reply.status() / 100 != 2) {
            throw UpstreamHttp.error(reply.status(), reply.headers(), reply.body(), provider.name());
        }
        JsonNode out;
        try {
            out = GatewayServer.readTree(reply.body());
        } catch (IOException e) {
            throw new IllegalStateException("the embeddings answer of " + provider.name() + " is not JSON", e);
        }
        JsonNode v = out.path("data").path(0).path("embedding");
        if (!v.isArray() || v.isEmpty()) {
            throw new IllegalStateException("the embeddings answer of " + provider.name() + " has no vector");
        }
        float[] vec = new float[v.size()];
        double norm = 0;
        for (int i = 0; i < vec.length; i++) {
            vec[i] = (float) v.get(i).asDouble();
            norm += (double) vec[i] * vec[i];
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < vec.length; i++) {
            vec[i] *= inv;
        }
        dimension = vec.length;
        record(out.path("usage").path("prompt_tokens").asLong(0), start);
        return vec;
    }

    private void record(long tokens, long start) {
        Usage usage = Usage.of(tokens, 0);
        long cost = pricing.costNanos(provider.name(), model, usage).orElse(0);
        long ms = (System.nanoTime() - start) / 1_000_000;
        LedgerEntry e = new LedgerEntry(TokenRuntime.newRequestId(), clock.instant(), LedgerEntry.Attribution.NONE,
                provider.name(), model, model, usage, cost, LedgerEntry.CacheOutcome.BYPASS, 0,
                "semantic-cache:embedding", false, 200, "", ms, ms);
        ledger.append(e);
        observers.forEach(o -> o.finished(e));
    }
}
