package dev.tokenrt.gateway;

import dev.tokenrt.sse.SseEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Part;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.UpstreamException;
import dev.tokenrt.provider.AnthropicMessagesFormat;
import dev.tokenrt.provider.GeminiFormat;
import dev.tokenrt.provider.OpenAiChatFormat;
import dev.tokenrt.provider.ParsedResponse;
import dev.tokenrt.provider.ProviderErrorException;
import dev.tokenrt.provider.ProviderResponse;
import dev.tokenrt.provider.ProviderTransport;
import dev.tokenrt.provider.StreamDecoder;
import dev.tokenrt.provider.WireFormat;
import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * A provider reached over HTTP in its own wire format: the neutral request is written with the provider's
 * codec, sent with the provider's authentication headers, and the answer (body or stream) decoded back.
 * OpenAI-compatible servers (vLLM, Ollama, llama.cpp, DeepSeek, Azure's OpenAI surface) are the OpenAI kind
 * with their own base URL.
 */
final class HttpTransport implements ProviderTransport {

    private final ProviderConfig config;
    private final WireFormat format;
    private final UpstreamHttp http;
    private final BiFunction<String, Boolean, String> url;
    private final Map<String, String> headers;

    private HttpTransport(ProviderConfig config, WireFormat format, UpstreamHttp http,
            BiFunction<String, Boolean, String> url, Map<String, String> headers) {
        this.config = config;
        this.format = format;
        this.http = http;
        this.url = url;
        this.headers = Map.copyOf(headers);
    }

    static HttpTransport openAi(ProviderConfig p, UpstreamHttp http) {
        Map<String, String> h = new HashMap<>();
        p.apiKey().ifPresent(k -> h.put("authorization", "Bearer " + k));
        // Self-hosted OpenAI-compatible servers know max_tokens; OpenAI itself prefers max_completion_tokens.
        String maxField = p.baseUrl().contains("api.openai.com") ? OpenAiChatFormat.DEFAULT_MAX_TOKENS_FIELD : "max_tokens";
        return new HttpTransport(p, new OpenAiChatFormat(java.time.Clock.systemUTC(), maxField), http,
                (model, stream) -> p.baseUrl() + "/chat/completions", h);
    }

    static HttpTransport anthropic(ProviderConfig p, UpstreamHttp http) {
        Map<String, String> h = new HashMap<>();
        p.apiKey().ifPresent(k -> h.put("x-api-key", k));
        h.put("anthropic-version", "2023-06-01");
        String base = p.baseUrl().endsWith("/v1") ? p.baseUrl() : p.baseUrl() + "/v1";
        return new HttpTransport(p, new AnthropicMessagesFormat(), http, (model, stream) -> base + "/messages", h);
    }

    static HttpTransport gemini(ProviderConfig p, UpstreamHttp http) {
        Map<String, String> h = new HashMap<>();
        p.apiKey().ifPresent(k -> h.put("x-goog-api-key", k));
        String base = p.baseUrl().endsWith("/v1beta") ? p.baseUrl() : p.baseUrl() + "/v1beta";
        return new HttpTransport(p, new GeminiFormat(), http, (model, stream) -> base + "/models/"
                + URLEncoder.encode(model.startsWith("models/") ? model.substring(7) : model, StandardCharsets.UTF_8)
                + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent"), h);
    }

    @Override
    public String name() {
        return config.name();
    }

    /** The request in the provider's format, in the buffer that is sent, sized up front from the request's text. */
    Buffer body(ChatRequest request, String upstreamModel) {
        return GatewayServer.jsonBuffer(format.writeRequest(request, upstreamModel), sizeHint(request));
    }

    /** Room for the request's text plus its JSON around it; the buffer grows if escapes or images need more. */
    static int sizeHint(ChatRequest request) {
        long n = 512;
        for (var m : request.messages()) {
            n += 64;
            for (Part p : m.parts()) {
                n += p.chars();
            }
        }
        return (int) Math.min(n + n / 8, 1 << 24);
    }

    @Override
    public ProviderResponse complete(ChatRequest request, String upstreamModel) {
        UpstreamHttp.Reply reply = http.post(url.apply(upstreamModel, false), headers, body(request, upstreamModel),
                config.timeouts(), config.name());
        if (reply.status() / 100 != 2) {
            throw UpstreamHttp.error(reply.status(), reply.headers(), reply.body(), config.name());
        }
        JsonNode json;
        try {
            json = GatewayServer.readTree(reply.body());
        } catch (java.io.IOException e) {
            throw new UpstreamException(502, config.name() + " answered a body that is not JSON", "", Optional.empty(),
                    false, e);
        }
        try {
            ParsedResponse parsed = format.parseResponse(json);
            return new ProviderResponse(parsed.response(), parsed.usageReported());
        } catch (ProviderErrorException e) {
            throw new UpstreamException(e.status() >= 400 ? e.status() : 502, config.name() + ": " + e.getMessage(),
                    reply.body().toString(), Optional.empty(), false, e);
        } catch (RuntimeException e) {
            throw new UpstreamException(502, config.name() + " answered a response we cannot read: " + e.getMessage(),
                    "", Optional.empty(), false, e);
        }
    }

    @Override
    public EventStream stream(ChatRequest request, String upstreamModel) {
        UpstreamHttp.SseSource source = http.stream(url.apply(upstreamModel, true), headers, body(request, upstreamModel),
                config.timeouts(), config.name());
        StreamDecoder decoder = format.newStreamDecoder();
        return new EventStream() {
            private final Deque<ChatEvent> pending = new ArrayDeque<>();
            private boolean ended;

            @Override
            public Optional<ChatEvent> next() {
                while (pending.isEmpty() && !ended) {
                    Optional<SseEvent> ev = source.next();
                    try {
                        if (ev.isEmpty()) {
                            ended = true;
                            pending.addAll(decoder.end());
                        } else {
                            pending.addAll(decoder.decode(ev.get().event(), ev.get().data()));
                        }
                    } catch (ProviderErrorException e) {
                        source.close();
                        throw new UpstreamException(e.status() >= 400 ? e.status() : 502,
                                config.name() + " failed mid-stream: " + e.getMessage(), "", Optional.empty(), false, e);
                    } catch (RuntimeException e) {
                        source.close();
                        throw new UpstreamException(502, config.name() + " sent a stream event we cannot read: "
                                + e.getMessage(), "", Optional.empty(), false, e);
                    }
                }
                return Optional.ofNullable(pending.pollFirst());
            }

            @Override
            public void close() {
                source.close();
            }
        };
    }
}
