package dev.tokenrt.pipeline;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.tokens.TokenCount;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request in flight through the pipeline: the neutral request plus what the steps have learned or
 * decided about it. Immutable: a step that changes something passes a new exchange to the next step,
 * so what each step saw is never rewritten behind its back.
 *
 * @param requestId    the id returned in {@code x-tokenrt-request-id}
 * @param request      the request as the next step should see it (model, messages, max_tokens may have changed)
 * @param clientFormat the wire format the client spoke ({@code openai.chat}, {@code anthropic.messages})
 * @param clientModel  the model the client asked for, before aliases, routing or degrade
 * @param attribution  key, user, project, team, session and tags
 * @param headers      the client's request headers, names lower-cased; secrets already removed
 * @param arrival      when the request arrived (from the injected clock)
 * @param startNanos   {@link System#nanoTime()} at arrival, for latency
 * @param route        where the request goes, once routing has decided
 * @param inputCount   the locally counted prompt tokens, once counted
 * @param decisions    policy decisions taken so far ("alias:fast->gpt-4o-mini", "fallback:…", "clamp:max_tokens=…")
 * @param cache        how the response cache took part: {@code BYPASS} until the cache step says otherwise; a
 *                     {@code HIT} or {@code SEMANTIC} exchange was answered from the cache, so it is recorded as
 *                     saving its usage rather than spending it
 */
public record Exchange(
        String requestId,
        ChatRequest request,
        String clientFormat,
        String clientModel,
        Attribution attribution,
        Map<String, String> headers,
        Instant arrival,
        long startNanos,
        Optional<Route> route,
        Optional<TokenCount> inputCount,
        List<String> decisions,
        CacheOutcome cache) {

    public Exchange {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(clientFormat, "clientFormat");
        Objects.requireNonNull(clientModel, "clientModel");
        Objects.requireNonNull(attribution, "attribution");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(arrival, "arrival");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(inputCount, "inputCount");
        decisions = List.copyOf(decisions);
        Objects.requireNonNull(cache, "cache");
    }

    public static Exchange start(String requestId, ChatRequest request, String clientFormat, Attribution attribution,
            Map<String, String> headers, Instant arrival, long startNanos) {
        return new Exchange(requestId, request, clientFormat, request.model(), attribution, headers, arrival, startNanos,
                Optional.empty(), Optional.empty(), List.of(), CacheOutcome.BYPASS);
    }

    public Optional<String> header(String lowerCaseName) {
        return Optional.ofNullable(headers.get(lowerCaseName));
    }

    public Exchange withRequest(ChatRequest r) {
        return new Exchange(requestId, r, clientFormat, clientModel, attribution, headers, arrival, startNanos, route,
                inputCount, decisions, cache);
    }

    public Exchange withRoute(Route r) {
        return new Exchange(requestId, request, clientFormat, clientModel, attribution, headers, arrival, startNanos,
                Optional.of(r), inputCount, decisions, cache);
    }

    public Exchange withInputCount(TokenCount c) {
        return new Exchange(requestId, request, clientFormat, clientModel, attribution, headers, arrival, startNanos,
                route, Optional.of(c), decisions, cache);
    }

    public Exchange withAttribution(Attribution a) {
        return new Exchange(requestId, request, clientFormat, clientModel, a, headers, arrival, startNanos, route,
                inputCount, decisions, cache);
    }

    public Exchange withDecision(String decision) {
        List<String> d = new ArrayList<>(decisions);
        d.add(decision);
        return new Exchange(requestId, request, clientFormat, clientModel, attribution, headers, arrival, startNanos,
                route, inputCount, d, cache);
    }

    public Exchange withCache(CacheOutcome c) {
        return new Exchange(requestId, request, clientFormat, clientModel, attribution, headers, arrival, startNanos,
                route, inputCount, decisions, c);
    }

    /** True when the answer came from the response cache (exact or semantic), not from a provider. */
    public boolean servedFromCache() {
        return cache == CacheOutcome.HIT || cache == CacheOutcome.SEMANTIC;
    }

    /**
     * Where a request is sent.
     *
     * @param provider      the configured provider's name
     * @param upstreamModel the model id the provider is asked for
     */
    public record Route(String provider, String upstreamModel) {
        public Route {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(upstreamModel, "upstreamModel");
        }
    }
}
