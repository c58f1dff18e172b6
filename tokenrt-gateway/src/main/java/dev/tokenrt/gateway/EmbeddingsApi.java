package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.TokenRuntime;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.pipeline.Pricing;
import dev.tokenrt.pipeline.RequestObserver;
import dev.tokenrt.pipeline.Router;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.pricing.Money;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.tokenrt.keys.VirtualKey;
import java.util.SplittableRandom;

/**
 * {@code POST /v1/embeddings} (OpenAI shape). Embeddings have no messages, tools or streams, so they take this
 * short path instead of the chat pipeline, but they are routed, counted, priced and recorded the same way.
 * OpenAI-compatible providers get the body passed through; the fake provider answers deterministic unit
 * vectors (float or base64, as the official SDKs ask).
 */
final class EmbeddingsApi {

    private final GatewayConfig config;
    private final TokenRuntime runtime;
    private final TokenCounting counting;
    private final Pricing pricing;
    private final List<RequestObserver> observers;
    private final UpstreamHttp http;
    private final ClientFace errors;

    EmbeddingsApi(GatewayConfig config, TokenRuntime runtime, TokenCounting counting, Pricing pricing,
            List<RequestObserver> observers, UpstreamHttp http, ClientFace errors) {
        this.config = config;
        this.runtime = runtime;
        this.counting = counting;
        this.pricing = pricing;
        this.observers = List.copyOf(observers);
        this.http = http;
        this.errors = errors;
    }

    void handle(HttpServerRequest req, Buffer body, Optional<VirtualKey> key, Map<String, String> headers) {
        long start = System.nanoTime();
        String requestId = TokenRuntime.newRequestId();
        var arrival = runtime.clock().instant();
        var json = GatewayServer.parseJson(body);
        if (json.isEmpty()) {
            GatewayServer.fail(req.response(), errors, bad("The request body is not a JSON object.", ""), requestId);
            return;
        }
        ObjectNode in = (ObjectNode) json.get();
        String model = in.path("model").asText("");
        if (model.isEmpty()) {
            GatewayServer.fail(req.response(), errors, bad("you must provide a model parameter", "model"), requestId);
            return;
        }
        List<String> inputs = new ArrayList<>();
        JsonNode input = in.get("input");
        if (input == null || input.isNull()) {
            GatewayServer.fail(req.response(), errors, bad("you must provide an input parameter", "input"), requestId);
            return;
        }
        if (input.isTextual()) {
            inputs.add(input.asText());
        } else if (input.isArray()) {
            for (JsonNode i : input) {
                if (!i.isTextual()) {
                    GatewayServer.fail(req.response(), errors,
                            bad("input must be a string or an array of strings", "input"), requestId);
                    return;
                }
                inputs.add(i.asText());
            }
        } else {
            GatewayServer.fail(req.response(), errors, bad("input must be a string or an array of strings", "input"), requestId);
            return;
        }
        List<Router.Target> targets = runtime.router().resolve(model);
        if (targets.isEmpty()) {
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.NOT_FOUND,
                    "The model '" + model + "' does not exist or no configured provider serves it.").withParam("model")
                    .withCode("model_not_found"), requestId);
            return;
        }
        Router.Target target = targets.get(0);
        ProviderConfig provider = config.providers().get(target.provider());
        LedgerEntry.Attribution who = Attribution.from(headers, key, in.path("user").asText(""));
        ObjectNode out;
        Usage usage;
        try {
            switch (provider.kind()) {
                case FAKE -> {
                    long tokens = 0;
                    for (String s : inputs) {
                        tokens += counting.completion(s, target.upstreamModel()).tokens();
                    }
                    out = fake(inputs, target.upstreamModel(), in.path("dimensions").asInt(1536),
                            "base64".equals(in.path("encoding_format").asText("float")), tokens);
                    usage = Usage.of(tokens, 0);
                }
                case OPENAI -> {
                    ObjectNode up = in.deepCopy();
                    up.put("model", target.upstreamModel());
                    Map<String, String> h = new HashMap<>();
                    provider.apiKey().ifPresent(k -> h.put("authorization", "Bearer " + k));
                    UpstreamHttp.Reply reply = http.post(provider.baseUrl() + "/embeddings", h,
                            GatewayServer.jsonBuffer(up, body.length() + 128), provider.timeouts(), provider.name());
                    if (reply.status() / 100 != 2) {
                        throw UpstreamHttp.error(reply.status(), reply.headers(), reply.body(), provider.name());
                    }
                    out = (ObjectNode) GatewayServer.readTree(reply.body());
                    JsonNode u = out.path("usage");
                    if (u.has("prompt_tokens")) {
                        usage = Usage.of(u.path("prompt_tokens").asLong(), 0);
                    } else {
                        long tokens = 0;
                        for (String s : inputs) {
                            tokens += counting.completion(s, target.upstreamModel()).tokens();
                        }
                        usage = new Usage(tokens, 0, 0, 0, 0, 0, UsageSource.ESTIMATED, UsageSource.PROVIDER);
                    }
                }
                default -> {
                    GatewayServer.fail(req.response(), errors, bad("The provider '" + provider.name()
                            + "' serves no embeddings on this route; use an OpenAI-compatible provider.", "model"), requestId);
                    return;
                }
            }
        } catch (UpstreamException e) {
            GatewayError err = GatewayError.of(e.isTimeout() ? GatewayError.Kind.TIMEOUT : GatewayError.Kind.UPSTREAM,
                    e.getMessage());
            if (e.status() >= 400 && e.status() < 500) {
                err = err.withStatus(e.status());
            }
            record(requestId, arrival, who, provider.name(), model, target.upstreamModel(), Usage.NONE, 0, err.status(),
                    "upstream", start);
            GatewayServer.fail(req.response(), errors, err, requestId);
            return;
        } catch (java.io.IOException e) {
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.UPSTREAM,
                    "The provider's embeddings answer is not JSON."), requestId);
            return;
        }
        long cost = pricing.costNanos(provider.name(), target.upstreamModel(), usage).orElse(0);
        record(requestId, arrival, who, provider.name(), model, target.upstreamModel(), usage, cost, 200, "", start);
        req.response().putHeader("x-tokenrt-request-id", requestId).putHeader("x-tokenrt-cost-usd", Money.format(cost));
        GatewayServer.json(req.response(), 200, out);
    }

    private void record(String requestId, java.time.Instant arrival, LedgerEntry.Attribution who, String provider,
            String requested, String served, Usage usage, long cost, int status, String errorType, long start) {
        long ms = (System.nanoTime() - start) / 1_000_000;
        LedgerEntry e = new LedgerEntry(requestId, arrival, who, provider, requested, served, usage, cost,
                LedgerEntry.CacheOutcome.BYPASS, 0, "embeddings", false, status, errorType, ms, ms);
        runtime.ledger().append(e);
        observers.forEach(o -> o.finished(e));
    }

    private static GatewayError bad(String message, String param) {
        return GatewayError.of(GatewayError.Kind.INVALID_REQUEST, message).withParam(param);
    }

    /** Deterministic unit vectors seeded by the text: the same input always embeds the same way. */
    static ObjectNode fake(List<String> inputs, String model, int dims, boolean base64, long tokens) {
        int d = Math.max(1, Math.min(dims, 4096));
        ObjectNode root = GatewayServer.JSON.createObjectNode().put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            SplittableRandom rnd = new SplittableRandom(inputs.get(i).hashCode() * 0x9E3779B97F4A7C15L);
            float[] v = new float[d];
            double norm = 0;
            for (int j = 0; j < d; j++) {
                v[j] = (float) (rnd.nextDouble() * 2 - 1);
                norm += v[j] * v[j];
            }
            float inv = (float) (1 / Math.sqrt(norm));
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                ByteBuffer bb = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    bb.putFloat(f * inv);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(bb.array()));
            } else {
                ArrayNode arr = item.putArray("embedding");
                for (float f : v) {
                    arr.add(f * inv);
                }
            }
        }
        root.put("model", "fake/" + model);
        root.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return root;
    }
}
