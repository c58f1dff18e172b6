package dev.tokenrt.provider;

import dev.tokenrt.sse.SseEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Upstream response bodies to the neutral model and out to each client format, OpenAI's checked against its spec. */
class ResponseTranslationTest {

    private static final OpenAiChatFormat OPENAI = new OpenAiChatFormat();
    private static final AnthropicMessagesFormat ANTHROPIC = new AnthropicMessagesFormat();
    private static final GeminiFormat GEMINI = new GeminiFormat();

    @Test
    void theSchemaAcceptsRealOpenAiChunksAndRejectsBrokenOnes() {
        int checked = 0;
        for (String f : Fixtures.list("openai-python", ".bin")) {
            for (SseEvent e : Fixtures.events(f)) {
                if (!e.data().equals("[DONE]")) {
                    assertThat(OpenAiSchemas.errors(OpenAiSchemas.CHUNK, Fixtures.parse(e.data()))).as(f).isEmpty();
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(300);
        ObjectNode chunk = (ObjectNode) Fixtures.parse(Fixtures.events(
                "openai-python/83b060bae42eb41c4f1edbb7c1542b954b37d9dfd1910b964ddebc9677e6ae85.bin").get(1).data());
        ObjectNode noObject = chunk.deepCopy();
        noObject.remove("object");
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.CHUNK, noObject)).isNotEmpty();
        ObjectNode badReason = chunk.deepCopy();
        ((ObjectNode) badReason.at("/choices/0")).put("finish_reason", "done");
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.CHUNK, badReason)).isNotEmpty();
        ObjectNode noChoices = chunk.deepCopy();
        noChoices.remove("choices");
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.CHUNK, noChoices)).isNotEmpty();
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.RESPONSE,
                Fixtures.json("vercel-ai/openai/src/chat/__fixtures__/openai-text.json"))).isEmpty();
    }

    /** Every recorded response body, in its provider's format. */
    static Stream<Object[]> recordedResponses() {
        List<Object[]> all = new ArrayList<>();
        all.add(new Object[] {"openai", "vercel-ai/openai/src/chat/__fixtures__/openai-text.json",
                Fixtures.json("vercel-ai/openai/src/chat/__fixtures__/openai-text.json")});
        all.add(new Object[] {"openai", "vercel-ai/openai-compatible/src/chat/__fixtures__/xai-tool-call.json",
                Fixtures.json("vercel-ai/openai-compatible/src/chat/__fixtures__/xai-tool-call.json")});
        all.add(new Object[] {"anthropic", "vercel-ai/anthropic/src/__fixtures__/anthropic-text.json",
                Fixtures.json("vercel-ai/anthropic/src/__fixtures__/anthropic-text.json")});
        for (String f : Fixtures.list("anthropic-sdk-python", ".json")) {
            JsonNode exchanges = Fixtures.json(f);
            for (JsonNode exchange : exchanges) {
                JsonNode body = exchange.path("response").path("body");
                if (body.isObject() && body.path("type").asText().equals("message")) {
                    all.add(new Object[] {"anthropic", f, body});
                }
            }
        }
        all.add(new Object[] {"gemini", "vercel-ai/google/src/__fixtures__/google-tool-call.json",
                Fixtures.json("vercel-ai/google/src/__fixtures__/google-tool-call.json")});
        for (String f : Fixtures.list("gemini", ".json")) {
            JsonNode body = Fixtures.json(f);
            if (!body.has("error")) {
                all.add(new Object[] {"gemini", f, body});
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("recordedResponses")
    void recordedResponseTranslatesToEveryClientFormat(String provider, String fixture, JsonNode body) {
        WireFormat source = switch (provider) {
            case "openai" -> OPENAI;
            case "anthropic" -> ANTHROPIC;
            default -> GEMINI;
        };
        ParsedResponse parsed = source.parseResponse(body);
        ChatResponse resp = parsed.response();
        List<Part.ToolCall> calls = resp.content().stream().filter(p -> p instanceof Part.ToolCall)
                .map(p -> (Part.ToolCall) p).toList();

        // OpenAI client: valid against OpenAI's schema, same text, calls and stop, complete usage
        ObjectNode openAi = OPENAI.writeResponse(resp, "client-model");
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.RESPONSE, openAi)).isEmpty();
        assertThat(openAi.get("model").asText()).isEqualTo("client-model");
        assertThat(openAi.get("id").asText()).startsWith("chatcmpl-");
        assertThat(openAi.at("/choices/0/message/content").asText("")).isEqualTo(resp.text());
        assertThat(openAi.at("/choices/0/message/tool_calls")).hasSize(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            assertThat(openAi.at("/choices/0/message/tool_calls/" + i + "/function/name").asText())
                    .isEqualTo(calls.get(i).name());
            assertThat(Fixtures.parse(openAi.at("/choices/0/message/tool_calls/" + i + "/function/arguments").asText()))
                    .isEqualTo(Fixtures.parse(calls.get(i).arguments()));
        }
        assertThat(openAi.at("/choices/0/finish_reason").asText()).isEqualTo(OPENAI.stopReason(resp.stopReason()));
        JsonNode usage = openAi.get("usage");
        assertThat(usage.get("prompt_tokens").asLong()).isEqualTo(resp.usage().inputTokens());
        assertThat(usage.get("completion_tokens").asLong()).isEqualTo(resp.usage().outputTokens());
        assertThat(usage.get("total_tokens").asLong()).isEqualTo(resp.usage().totalTokens());
        assertThat(usage.at("/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(resp.usage().cacheReadTokens());
        assertThat(usage.at("/completion_tokens_details/reasoning_tokens").asLong())
                .isEqualTo(resp.usage().reasoningTokens());
        // and reading it back gives the same neutral response
        ChatResponse again = OPENAI.parseResponse(openAi).response();
        assertThat(again.text()).isEqualTo(resp.text());
        assertThat(again.usage()).isEqualTo(resp.usage());

        // Anthropic client: usage split back out, same content
        ObjectNode anthropic = ANTHROPIC.writeResponse(resp, "client-model");
        assertThat(anthropic.get("id").asText()).startsWith("msg_");
        assertThat(anthropic.at("/usage/input_tokens").asLong()).isEqualTo(resp.usage().uncachedInputTokens());
        assertThat(anthropic.at("/usage/cache_read_input_tokens").asLong()).isEqualTo(resp.usage().cacheReadTokens());
        ChatResponse fromAnthropic = ANTHROPIC.parseResponse(anthropic).response();
        assertThat(fromAnthropic.text()).isEqualTo(resp.text());
        // Anthropic's usage names thinking tokens only in newer responses; the totals and cache split must survive
        assertThat(fromAnthropic.usage()).usingRecursiveComparison().ignoringFields("reasoningTokens")
                .isEqualTo(resp.usage());
        assertThat(fromAnthropic.content().stream().filter(p -> p instanceof Part.ToolCall).count())
                .isEqualTo(calls.size());

        // Gemini client
        ObjectNode gemini = GEMINI.writeResponse(resp, "client-model");
        ChatResponse fromGemini = GEMINI.parseResponse(gemini).response();
        assertThat(fromGemini.text()).isEqualTo(resp.text());
        assertThat(fromGemini.usage()).isEqualTo(resp.usage());
    }

    @Test
    void literalValuesFromRecordedBodies() {
        ParsedResponse openAi = OPENAI.parseResponse(
                Fixtures.json("vercel-ai/openai-compatible/src/chat/__fixtures__/xai-tool-call.json"));
        assertThat(openAi.usageReported()).isTrue();
        assertThat(openAi.response().id()).isEqualTo("acfa24c3-b556-0f2c-731e-64fb836d544b");
        assertThat(openAi.response().stopReason()).isEqualTo(StopReason.TOOL_CALLS);
        assertThat(openAi.response().content()).contains(
                new Part.ToolCall("call_46427107", "weather", "{\"location\":\"San Francisco\"}"));
        assertThat(openAi.response().content().get(0)).isInstanceOf(Part.Thinking.class);

        JsonNode exchanges = Fixtures.json(
                "anthropic-sdk-python/lib__tools____inline_snapshot____test_runners__TestSyncRunTools__10e53c1d-51be-4c64-b5bf-99adb3fa4719.json");
        ParsedResponse anthropic = ANTHROPIC.parseResponse(exchanges.get(0).path("response").path("body"));
        JsonNode rawBlock = exchanges.get(0).at("/response/body/content/0");
        assertThat(anthropic.response().content()).containsExactly(new Part.ToolCall(rawBlock.get("id").asText(),
                "get_weather", rawBlock.get("input").toString()));
        assertThat(anthropic.response().stopReason()).isEqualTo(StopReason.TOOL_CALLS);

        ParsedResponse gemini = GEMINI.parseResponse(
                Fixtures.json("gemini/vertexai/unary-success-function-call-parallel-calls.json"));
        assertThat(gemini.response().content()).hasSizeGreaterThan(1).allMatch(p -> p instanceof Part.ToolCall);
        assertThat(gemini.response().stopReason()).isEqualTo(StopReason.TOOL_CALLS);

        ParsedResponse safety = GEMINI.parseResponse(
                Fixtures.json("gemini/vertexai/unary-failure-finish-reason-safety.json"));
        assertThat(safety.response().stopReason()).isEqualTo(StopReason.CONTENT_FILTER);

        ParsedResponse cached = GEMINI.parseResponse(Fixtures.json("gemini/vertexai/unary-success-implicit-caching.json"));
        JsonNode meta = Fixtures.json("gemini/vertexai/unary-success-implicit-caching.json").get("usageMetadata");
        assertThat(cached.response().usage().cacheReadTokens()).isEqualTo(meta.get("cachedContentTokenCount").asLong())
                .isPositive();
    }

    @Test
    void usageIsWrittenInEachFormatsOwnShape() {
        Usage usage = new Usage(1000, 50, 600, 100, 50, 10, UsageSource.PROVIDER, UsageSource.PROVIDER);
        ChatResponse resp = new ChatResponse("msg_01XFDUDYJgAACzvnptvVoYEL", "claude-sonnet-4-5",
                List.of(new Part.Text("hi")), StopReason.STOP, usage, 1_700_000_000L);

        ObjectNode openAi = OPENAI.writeResponse(resp, "gpt-4o");
        RequestTranslationTest.assertJsonEquals(openAi.get("usage"), Fixtures.parse("""
                {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050,
                 "prompt_tokens_details": {"cached_tokens": 600, "cache_write_tokens": 150},
                 "completion_tokens_details": {"reasoning_tokens": 10}}"""));
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.RESPONSE, openAi)).isEmpty();

        ObjectNode anthropic = ANTHROPIC.writeResponse(resp, "claude");
        assertThat(anthropic.get("id").asText()).isEqualTo("msg_01XFDUDYJgAACzvnptvVoYEL");
        RequestTranslationTest.assertJsonEquals(anthropic.get("usage"), Fixtures.parse("""
                {"input_tokens": 250, "cache_creation_input_tokens": 150, "cache_read_input_tokens": 600,
                 "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 50},
                 "output_tokens": 50, "output_tokens_details": {"thinking_tokens": 10}}"""));
        assertThat(ANTHROPIC.parseResponse(anthropic).response().usage()).usingRecursiveComparison()
                .ignoringFields("reasoningTokens").isEqualTo(usage);

        RequestTranslationTest.assertJsonEquals(GEMINI.writeResponse(resp, "gemini").get("usageMetadata"), Fixtures.parse("""
                {"promptTokenCount": 1000, "candidatesTokenCount": 40, "totalTokenCount": 1050,
                 "thoughtsTokenCount": 10, "cachedContentTokenCount": 600}"""));
    }

    @Test
    void idsAreKeptInTheirOwnFormatAndMadeInTheTargetsStyleOtherwise() {
        ChatResponse fromOpenAi = new ChatResponse("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "gpt-4.1",
                List.of(new Part.Text("x")), StopReason.STOP, Usage.of(1, 1), 1741569952L);
        assertThat(OPENAI.writeResponse(fromOpenAi, "m").get("id").asText())
                .isEqualTo("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
        assertThat(OPENAI.writeResponse(fromOpenAi, "m").get("created").asLong()).isEqualTo(1741569952L);
        assertThat(ANTHROPIC.writeResponse(fromOpenAi, "m").get("id").asText()).matches("msg_[A-Za-z0-9]{24}");
        assertThat(GEMINI.writeResponse(fromOpenAi, "m").get("responseId").asText()).doesNotStartWith("chatcmpl-");
        ChatResponse fromGemini = new ChatResponse("b36LacjwM668nsEP2tbsgQQ", "gemini-3-pro-preview",
                List.of(new Part.Text("x")), StopReason.STOP, Usage.of(1, 1), 1L);
        assertThat(OPENAI.writeResponse(fromGemini, "m").get("id").asText()).matches("chatcmpl-[A-Za-z0-9]{29}");
        assertThat(GEMINI.writeResponse(fromGemini, "m").get("responseId").asText()).isEqualTo("b36LacjwM668nsEP2tbsgQQ");
    }

    @Test
    void aResponseWithoutUsageIsFlaggedForLocalCounting() {
        ParsedResponse parsed = OPENAI.parseResponse(Fixtures.parse("""
                {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "local-llama",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}"""));
        assertThat(parsed.usageReported()).isFalse();
        assertThat(parsed.response().usage()).isEqualTo(Usage.NONE);
        assertThat(GEMINI.parseResponse(Fixtures.parse(
                "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"hi\"}]}, \"finishReason\": \"STOP\"}]}"))
                .usageReported()).isFalse();
    }

    @Test
    void errorBodiesAreThrownAsProviderErrors() {
        assertThatThrownBy(() -> OPENAI.parseResponse(Fixtures.parse("""
                {"error": {"message": "Rate limit reached for requests. Please try again later.",
                 "type": "rate_limit_error", "param": null, "code": "rate_limit_exceeded"}}""")))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.type()).isEqualTo("rate_limit_error");
                });
        assertThatThrownBy(() -> ANTHROPIC.parseResponse(Fixtures.parse(
                "{\"type\": \"error\", \"error\": {\"type\": \"not_found_error\", \"message\": \"model: claude-x\"}}")))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> assertThat(e.status()).isEqualTo(404));
        JsonNode notFound = Fixtures.json("gemini/vertexai/unary-failure-model-not-found.json");
        assertThatThrownBy(() -> GEMINI.parseResponse(notFound))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                    assertThat(e.status()).isEqualTo(notFound.at("/error/code").asInt());
                    assertThat(e.type()).isEqualTo(notFound.at("/error/status").asText());
                });
    }
}
