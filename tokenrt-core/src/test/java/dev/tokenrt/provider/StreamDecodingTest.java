package dev.tokenrt.provider;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.sse.SseParser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.provider.Fixtures.Decoded;
import dev.tokenrt.usage.Usage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every recorded OpenAI-format, Anthropic and Gemini stream in the fixtures, decoded into neutral events.
 * Each stream is checked two ways: against a plain reading of the raw chunks written here independently of
 * the decoders (what a client that concatenates deltas would see), and, for a set of streams, against the
 * literal text, tool calls, stop reason and usage read by hand from the raw file.
 */
class StreamDecodingTest {

    private static final WireFormat OPENAI = new OpenAiChatFormat();
    private static final WireFormat ANTHROPIC = new AnthropicMessagesFormat();
    private static final WireFormat GEMINI = new GeminiFormat();

    // ------------------------------------------------------------------ every fixture, against a plain reading

    static Stream<String> openAiStreams() {
        List<String> all = new ArrayList<>(Fixtures.list("openai-python", ".bin"));
        for (String folder : List.of("vercel-ai/openai/src/chat", "vercel-ai/openai-compatible/src/chat",
                "vercel-ai/deepseek", "vercel-ai/groq", "vercel-ai/mistral", "vercel-ai/xai",
                "vercel-ai/azure")) {
            all.addAll(Fixtures.list(folder, ".chunks.txt", ".sse"));
        }
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("openAiStreams")
    void openAiStreamDecodesAsItsRawChunksRead(String fixture) {
        List<SseEvent> events = Fixtures.events(fixture);
        Decoded decoded = Fixtures.decode(OPENAI, events);
        assertContract(decoded);

        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        Map<String, String[]> calls = new LinkedHashMap<>();
        String finish = null;
        JsonNode usage = null;
        for (SseEvent e : events) {
            if (e.data().equals("[DONE]")) {
                continue;
            }
            JsonNode chunk = Fixtures.parse(e.data());
            if (chunk.path("usage").isObject()) {
                usage = chunk.get("usage");
            }
            for (JsonNode choice : chunk.path("choices")) {
                if (choice.path("index").asInt(0) != 0) {
                    continue;
                }
                JsonNode delta = choice.path("delta");
                if (delta.path("content").isTextual()) {
                    text.append(delta.get("content").asText());
                }
                delta.path("content").forEach(item -> {
                    if (item.path("type").asText().equals("text")) {
                        text.append(item.path("text").asText());
                    }
                    item.path("thinking").forEach(t -> thinking.append(t.path("text").asText()));
                });
                text.append(delta.path("refusal").asText(""));
                thinking.append(delta.path("reasoning_content").asText("")).append(delta.path("reasoning").asText(""));
                for (JsonNode call : delta.path("tool_calls")) {
                    String key = call.has("index") ? "#" + call.get("index").asInt() : call.path("id").asText();
                    String[] c = calls.computeIfAbsent(key, k -> new String[] {"", "", ""});
                    if (c[0].isEmpty()) {
                        c[0] = call.path("id").asText("");
                    }
                    if (c[1].isEmpty()) {
                        c[1] = call.path("function").path("name").asText("");
                    }
                    c[2] += call.path("function").path("arguments").asText("");
                }
                if (finish == null && choice.hasNonNull("finish_reason")) {
                    finish = choice.get("finish_reason").asText();
                }
            }
        }
        assertThat(decoded.text()).isEqualTo(text.toString());
        assertThat(decoded.thinking()).isEqualTo(thinking.toString());
        assertThat(decoded.toolCalls().values()).extracting(Decoded.ToolCall::name, Decoded.ToolCall::arguments)
                .containsExactlyElementsOf(calls.values().stream()
                        .map(c -> org.assertj.core.groups.Tuple.tuple(c[1], c[2])).toList());
        decoded.toolCalls().values().forEach(c -> assertThat(c.id()).isNotEmpty());
        assertThat(decoded.stop()).isEqualTo(OPENAI.stopReason(finish));
        if (usage == null) {
            assertThat(decoded.usages()).isEmpty();
        } else {
            assertThat(decoded.usages()).hasSize(1);
            assertThat(decoded.usage().inputTokens()).isEqualTo(usage.path("prompt_tokens").asLong());
            assertThat(decoded.usage().cacheReadTokens())
                    .isEqualTo(usage.path("prompt_tokens_details").path("cached_tokens").asLong(0));
        }
    }

    /** One Anthropic stream per message: the Vercel recordings of multi-step calls hold several in a row. */
    static Stream<Object[]> anthropicStreams() {
        List<Object[]> all = new ArrayList<>();
        for (String f : Fixtures.list("anthropic-sdk-python", ".txt", ".sse")) {
            all.add(new Object[] {f, 0, Fixtures.events(f)});
        }
        for (String f : Fixtures.list("anthropic-sdk-python", ".json")) {
            JsonNode exchanges = Fixtures.json(f);
            for (int i = 0; i < exchanges.size(); i++) {
                JsonNode body = exchanges.get(i).path("response").path("body");
                if (body.isTextual()) {
                    all.add(new Object[] {f, i, SseParser.parseAll(body.asText())});
                }
            }
        }
        for (String f : Fixtures.list("vercel-ai/anthropic", ".chunks.txt")) {
            List<SseEvent> current = new ArrayList<>();
            int n = 0;
            for (SseEvent e : Fixtures.events(f)) {
                current.add(e);
                if (e.data().contains("\"type\":\"message_stop\"")) {
                    all.add(new Object[] {f, n++, current});
                    current = new ArrayList<>();
                }
            }
            if (!current.isEmpty()) {
                all.add(new Object[] {f, n, current});
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} message {1}")
    @MethodSource("anthropicStreams")
    void anthropicStreamDecodesAsItsRawEventsRead(String fixture, int message, List<SseEvent> events) {
        Decoded decoded = Fixtures.decode(ANTHROPIC, events);
        assertContract(decoded);

        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        Map<Integer, String[]> toolBlocks = new LinkedHashMap<>();
        List<String[]> calls = new ArrayList<>();
        String stop = null;
        Map<String, Long> usage = new LinkedHashMap<>();
        for (SseEvent e : events) {
            JsonNode event = Fixtures.parse(e.data());
            switch (event.path("type").asText()) {
                case "message_start" -> latest(event.path("message").path("usage"), usage);
                case "message_delta" -> {
                    latest(event.path("usage"), usage);
                    if (stop == null) {
                        stop = event.path("delta").path("stop_reason").asText(null);
                    }
                }
                case "content_block_start" -> {
                    JsonNode block = event.path("content_block");
                    if (block.path("type").asText().equals("tool_use")) {
                        JsonNode input = block.path("input");
                        String[] call = {block.path("id").asText(), block.path("name").asText(),
                                input.isObject() && !input.isEmpty() ? input.toString() : ""};
                        toolBlocks.put(event.path("index").asInt(), call);
                        calls.add(call);
                    } else {
                        toolBlocks.remove(event.path("index").asInt());
                    }
                }
                case "content_block_delta" -> {
                    JsonNode delta = event.path("delta");
                    text.append(delta.path("type").asText().equals("text_delta") ? delta.path("text").asText() : "");
                    thinking.append(delta.path("thinking").asText(""));
                    String[] call = toolBlocks.get(event.path("index").asInt());
                    if (call != null) {
                        call[2] += delta.path("partial_json").asText("");
                    }
                }
                default -> {
                }
            }
        }
        assertThat(decoded.text()).isEqualTo(text.toString());
        assertThat(decoded.thinking()).isEqualTo(thinking.toString());
        assertThat(decoded.toolCalls().values())
                .extracting(Decoded.ToolCall::id, Decoded.ToolCall::name, Decoded.ToolCall::arguments)
                .containsExactlyElementsOf(calls.stream().map(c -> org.assertj.core.groups.Tuple.tuple(c[0], c[1],
                        c[2])).toList());
        assertThat(decoded.stop()).isEqualTo(ANTHROPIC.stopReason(stop));
        assertThat(decoded.usages()).hasSize(1);
        Usage u = decoded.usage();
        assertThat(u.inputTokens()).isEqualTo(usage.getOrDefault("input_tokens", 0L)
                + usage.getOrDefault("cache_read_input_tokens", 0L)
                + usage.getOrDefault("cache_creation_input_tokens", 0L));
        assertThat(u.outputTokens()).isEqualTo(usage.get("output_tokens"));
        assertThat(u.cacheReadTokens()).isEqualTo(usage.getOrDefault("cache_read_input_tokens", 0L));
    }

    private static void latest(JsonNode u, Map<String, Long> usage) {
        u.properties().forEach(f -> {
            if (f.getValue().isNumber()) {
                usage.put(f.getKey(), f.getValue().asLong());
            }
        });
    }

    static Stream<String> geminiStreams() {
        List<String> all = new ArrayList<>(Fixtures.list("gemini", ".txt"));
        all.removeIf(f -> !f.contains("/streaming-"));
        all.addAll(Fixtures.list("vercel-ai/google", ".chunks.txt"));
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("geminiStreams")
    void geminiStreamDecodesAsItsRawChunksRead(String fixture) {
        List<SseEvent> events = Fixtures.events(fixture);
        if (events.isEmpty()) {
            // the recorded body is the HTTP error Gemini answers with instead of a stream
            JsonNode error = Fixtures.json(fixture);
            assertThatThrownBy(() -> GEMINI.parseResponse(error))
                    .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                        assertThat(e.status()).isEqualTo(error.path("error").path("code").asInt());
                        assertThat(e.type()).isEqualTo(error.path("error").path("status").asText());
                        assertThat(e.getMessage()).isEqualTo(error.path("error").path("message").asText());
                    });
            return;
        }
        Decoded decoded = Fixtures.decode(GEMINI, events);
        assertContract(decoded);

        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        List<String> callNames = new ArrayList<>();
        List<String> wholeArgs = new ArrayList<>();
        String finish = null;
        JsonNode usage = null;
        boolean blocked = false;
        for (SseEvent e : events) {
            JsonNode chunk = Fixtures.parse(e.data());
            if (chunk.path("usageMetadata").has("promptTokenCount")) {
                usage = chunk.get("usageMetadata");
            }
            blocked |= chunk.path("promptFeedback").has("blockReason");
            JsonNode candidate = chunk.path("candidates").path(0);
            for (JsonNode part : candidate.path("content").path("parts")) {
                if (part.path("thought").asBoolean(false)) {
                    thinking.append(part.path("text").asText());
                } else {
                    text.append(part.path("text").asText(""));
                }
                JsonNode call = part.path("functionCall");
                if (!call.path("name").asText("").isEmpty()) {
                    callNames.add(call.get("name").asText());
                    wholeArgs.add(call.has("args") ? call.get("args").toString()
                            : call.path("willContinue").asBoolean(false) ? null : "{}");
                }
            }
            if (candidate.has("finishReason")) {
                finish = candidate.get("finishReason").asText();
            }
        }
        assertThat(decoded.text()).isEqualTo(text.toString());
        assertThat(decoded.thinking()).isEqualTo(thinking.toString());
        assertThat(decoded.toolCalls().values()).extracting(Decoded.ToolCall::name).containsExactlyElementsOf(callNames);
        List<Decoded.ToolCall> calls = List.copyOf(decoded.toolCalls().values());
        for (int i = 0; i < calls.size(); i++) {
            assertThat(Fixtures.parse(calls.get(i).arguments()).isObject()).isTrue();
            if (wholeArgs.get(i) != null) {
                assertThat(Fixtures.parse(calls.get(i).arguments())).isEqualTo(Fixtures.parse(wholeArgs.get(i)));
            }
        }
        StopReason expected = blocked && finish == null ? StopReason.CONTENT_FILTER : GEMINI.stopReason(finish);
        if (expected == StopReason.STOP && !callNames.isEmpty()) {
            expected = StopReason.TOOL_CALLS;
        }
        assertThat(decoded.stop()).isEqualTo(expected);
        if (usage == null) {
            assertThat(decoded.usages()).isEmpty();
        } else {
            assertThat(decoded.usages()).hasSize(1);
            // Tool-use prompt tokens are input too: the recorded totals equal prompt + tool-use + candidates + thoughts.
            assertThat(decoded.usage().inputTokens()).isEqualTo(usage.path("promptTokenCount").asLong()
                    + usage.path("toolUsePromptTokenCount").asLong(0));
            assertThat(decoded.usage().outputTokens()).isEqualTo(usage.path("candidatesTokenCount").asLong(0)
                    + usage.path("thoughtsTokenCount").asLong(0));
        }
    }

    /** The decoder contract: Start first, one Finish, at most one usage report and nothing after it. */
    static void assertContract(Decoded decoded) {
        List<ChatEvent> events = decoded.events();
        assertThat(events).isNotEmpty();
        assertThat(events.get(0)).isInstanceOf(ChatEvent.Start.class);
        assertThat(decoded.starts()).hasSize(1);
        assertThat(events.stream().filter(e -> e instanceof ChatEvent.Finish).count()).isEqualTo(1);
        assertThat(decoded.usages()).hasSizeLessThanOrEqualTo(1);
        if (!decoded.usages().isEmpty()) {
            assertThat(events.get(events.size() - 1)).isInstanceOf(ChatEvent.UsageReport.class);
        }
        int finishAt = events.indexOf(events.stream().filter(e -> e instanceof ChatEvent.Finish).findFirst().get());
        assertThat(events.subList(finishAt + 1, events.size())).allMatch(e -> e instanceof ChatEvent.UsageReport);
    }

    // ------------------------------------------------------------------ literal values read from the raw files

    @Test
    void openAiToolCallStreamFromGpt4o() {
        Decoded d = Fixtures.decode(OPENAI,
                Fixtures.events("openai-python/2018feb66ae13fcf5333d61b95849decc68d3f63bd38172889367e1afb1e04f7.bin"));
        assertThat(d.starts().get(0).id()).isEqualTo("chatcmpl-ABfwERreu9s99xXsVuOWtIB2UOx62");
        assertThat(d.starts().get(0).model()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(d.text()).isEmpty();
        assertThat(d.toolCalls()).containsExactly(Map.entry(0,
                new Decoded.ToolCall("call_4XzlGBLtUe9dy3GVNV4jhq7h", "get_weather", "{\"city\":\"New York City\"}")));
        assertThat(d.stop()).isEqualTo(StopReason.TOOL_CALLS);
        assertThat(d.usage()).isEqualTo(Usage.of(44, 16));
    }

    @Test
    void openAiParallelToolCallsKeepTheirOrder() {
        Decoded d = Fixtures.decode(OPENAI,
                Fixtures.events("openai-python/f82268f2fefd5cfbc7eeb59c297688be2f6ca0849a6e4f17851b517310841d9b.bin"));
        assertThat(d.toolCalls().values()).containsExactly(
                new Decoded.ToolCall("call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs",
                        "{\"city\": \"Edinburgh\", \"country\": \"GB\", \"units\": \"c\"}"),
                new Decoded.ToolCall("call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price",
                        "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}"));
        assertThat(d.usage()).isEqualTo(Usage.of(149, 60));
    }

    @Test
    void openAiTextRefusalLengthAndManyChoices() {
        assertThat(Fixtures.decode(OPENAI,
                Fixtures.events("openai-python/83b060bae42eb41c4f1edbb7c1542b954b37d9dfd1910b964ddebc9677e6ae85.bin"))
                .text()).isEqualTo("Foo!");
        Decoded refusal = Fixtures.decode(OPENAI,
                Fixtures.events("openai-python/173417d553406f034f643e5db3f8d591fb691ebac56f5ae39a22cc7d455c5353.bin"));
        assertThat(refusal.text()).isEqualTo("I'm sorry, I can't assist with that request.");
        assertThat(refusal.stop()).isEqualTo(StopReason.STOP);
        Decoded length = Fixtures.decode(OPENAI,
                Fixtures.events("openai-python/4cc50a6135d254573a502310e6af1246f55edb6ad95fa24059f160996b68866d.bin"));
        assertThat(length.text()).isEqualTo("{\"");
        assertThat(length.stop()).isEqualTo(StopReason.LENGTH);
        // n=3: the neutral model keeps choice 0
        Decoded three = Fixtures.decode(OPENAI,
                Fixtures.events("openai-python/a491adda08c3d4fde95f5b2ee3f60f7f745f1a56d82e62f58031cc2add502380.bin"));
        assertThat(three.text()).isEqualTo("{\"city\":\"San Francisco\",\"temperature\":65,\"units\":\"f\"}");
        assertThat(three.usage()).isEqualTo(Usage.of(79, 42));
    }

    @Test
    void openAiCompatibleReasoningCachingAndAzureFilterChunk() {
        Decoded deepseek = Fixtures.decode(OPENAI,
                Fixtures.events("vercel-ai/deepseek/src/chat/__fixtures__/deepseek-tool-call.chunks.txt"));
        assertThat(deepseek.thinking()).startsWith("The user");
        assertThat(deepseek.toolCalls()).hasSize(1);
        assertThat(deepseek.stop()).isEqualTo(StopReason.TOOL_CALLS);
        assertThat(deepseek.usage()).isEqualTo(new Usage(339, 83, 320, 0, 0, 39,
                dev.tokenrt.usage.UsageSource.PROVIDER, dev.tokenrt.usage.UsageSource.PROVIDER));
        // Azure opens with a prompt-filter chunk that has no id and no choices
        Decoded azure = Fixtures.decode(OPENAI,
                Fixtures.events("vercel-ai/openai/src/chat/__fixtures__/azure-model-router.1.chunks.txt"));
        assertThat(azure.starts().get(0).id()).isEqualTo("chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt");
        assertThat(azure.usage().reasoningTokens()).isEqualTo(64);
        // a tool call numbered from 1 by the upstream is numbered from 0 in the neutral model
        Decoded fallback = Fixtures.decode(OPENAI,
                Fixtures.events("vercel-ai/openai-compatible/src/chat/__fixtures__/anthropic-fallback-tool-call.sse"));
        assertThat(fallback.text()).isEqualTo("Reading it.");
        assertThat(fallback.toolCalls()).containsExactly(Map.entry(0,
                new Decoded.ToolCall("toolu_sanitized", "read_file", "{\"path\": \"a.txt\"}")));
        assertThat(fallback.usages()).isEmpty();
        // Mistral sends a tool call without an index, whole, on the finishing chunk
        Decoded mistral = Fixtures.decode(OPENAI,
                Fixtures.events("vercel-ai/mistral/src/__fixtures__/mistral-tool-call.chunks.txt"));
        assertThat(mistral.toolCalls().values()).containsExactly(
                new Decoded.ToolCall("gSIMJiOkT", "weather", "{\"location\": \"San Francisco\"}"));
        assertThat(mistral.usage()).isEqualTo(Usage.of(124, 22));
    }

    @Test
    void anthropicToolUseStream() {
        Decoded d = Fixtures.decode(ANTHROPIC,
                Fixtures.events("anthropic-sdk-python/lib__streaming__fixtures__tool_use_response.txt"));
        assertThat(d.starts().get(0).id()).isEqualTo("msg_019Q1hrJbZG26Fb9BQhrkHEr");
        assertThat(d.text()).isEqualTo("I'll check the current weather in Paris for you.");
        assertThat(d.toolCalls()).containsExactly(Map.entry(0,
                new Decoded.ToolCall("toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather", "{\"location\": \"Paris\"}")));
        assertThat(d.stop()).isEqualTo(StopReason.TOOL_CALLS);
        // message_start says input 377 / output 1, message_delta output 65: latest wins, nothing is added
        assertThat(d.usage()).isEqualTo(Usage.of(377, 65));
    }

    @Test
    void anthropicStreamsWithThinkingRefusalAndCutJson() {
        Decoded basic = Fixtures.decode(ANTHROPIC,
                Fixtures.events("anthropic-sdk-python/lib__streaming__fixtures__basic_response.txt"));
        assertThat(basic.text()).isEqualTo("Hello there!");
        assertThat(basic.stop()).isEqualTo(StopReason.STOP);
        assertThat(basic.usage()).isEqualTo(Usage.of(11, 6));

        Decoded refusal = Fixtures.decode(ANTHROPIC,
                Fixtures.events("anthropic-sdk-python/fixtures__fable-fallback__stream-a-refusal.sse"));
        assertThat(refusal.thinking()).startsWith("Simple educational question about what a solar eclipse is.");
        assertThat(refusal.signatures())
                .containsExactly("c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU=");
        assertThat(refusal.text()).isEqualTo("Hi");
        assertThat(refusal.stop()).isEqualTo(StopReason.CONTENT_FILTER);
        assertThat(refusal.usage().inputTokens()).isEqualTo(28);
        assertThat(refusal.usage().outputTokens()).isEqualTo(106);

        Decoded cut = Fixtures.decode(ANTHROPIC,
                Fixtures.events("anthropic-sdk-python/lib__streaming__fixtures__incomplete_partial_json_response.txt"));
        assertThat(cut.stop()).isEqualTo(StopReason.LENGTH);
        assertThat(cut.toolCalls().get(0).name()).isEqualTo("make_file");
        assertThat(cut.toolCalls().get(0).arguments()).startsWith("{\"filename\": \"taxes.txt\", \"lines_of_text\": [")
                .endsWith("\n\"Filing taxes");
        assertThat(cut.usage()).isEqualTo(Usage.of(450, 124));

        // the input count is repeated, larger, in message_delta: the latest value is the one reported
        Decoded later = Fixtures.decode(ANTHROPIC, Fixtures.events(
                "vercel-ai/anthropic/src/__fixtures__/anthropic-message-delta-input-tokens.chunks.txt"));
        assertThat(later.text()).isEqualTo("pong");
        assertThat(later.usage()).isEqualTo(Usage.of(61, 2));
    }

    @Test
    void anthropicServerToolBlocksAreNotClientToolCalls() {
        Decoded d = Fixtures.decode(ANTHROPIC,
                Fixtures.events("anthropic-sdk-python/fixtures__fable-fallback__stream-a-toolrefusal.sse"));
        assertThat(d.toolCalls()).isEmpty();
        assertThat(d.stop()).isEqualTo(StopReason.CONTENT_FILTER);
    }

    @Test
    void anthropicErrorEventIsThrownWithItsStatus() {
        StreamDecoder decoder = ANTHROPIC.newStreamDecoder();
        decoder.decode("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\","
                + "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}");
        assertThatThrownBy(() -> decoder.decode("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                    assertThat(e.status()).isEqualTo(529);
                    assertThat(e.type()).isEqualTo("overloaded_error");
                    assertThat(e.getMessage()).isEqualTo("Overloaded");
                });
    }

    @Test
    void geminiTextStreamAndCumulativeUsage() {
        Decoded d = Fixtures.decode(GEMINI, Fixtures.events("gemini/googleai/streaming-success-basic-reply-short.txt"));
        assertThat(d.text()).isEqualTo("The capital of Wyoming is **Cheyenne**.\n");
        assertThat(d.stop()).isEqualTo(StopReason.STOP);
        // usageMetadata is cumulative: the last chunk's counts, not a sum of the three
        assertThat(d.usage()).isEqualTo(Usage.of(7, 10));
    }

    @Test
    void geminiThinkingAndSignedFunctionCall() {
        Decoded d = Fixtures.decode(GEMINI, Fixtures.events(
                "gemini/googleai/streaming-success-thinking-function-call-thought-summary-signature.txt"));
        assertThat(d.thinking()).startsWith("**Calculating the Days**");
        assertThat(d.toolCalls()).hasSize(1);
        Decoded.ToolCall call = d.toolCalls().get(0);
        assertThat(call.name()).isEqualTo("now");
        assertThat(call.arguments()).isEqualTo("{}");
        assertThat(GeminiFormat.signatureOf(call.id())).hasValueSatisfying(
                s -> assertThat(s).startsWith("CiIBVKhc7vB+vaaq6rA/KC79Ts7iXagIOA4EBOyBFDpl+pxPCmcBVKhc7gYyIw6X0Iss"));
        assertThat(d.stop()).isEqualTo(StopReason.TOOL_CALLS);
        assertThat(d.usage().inputTokens()).isEqualTo(38);
        assertThat(d.usage().outputTokens()).isEqualTo(6 + 168);
        assertThat(d.usage().reasoningTokens()).isEqualTo(168);
    }

    @Test
    void geminiStreamedFunctionArgumentsAreAssembled() {
        Decoded two = Fixtures.decode(GEMINI, Fixtures.events(
                "vercel-ai/google/src/__fixtures__/google-stream-tool-call-arguments.chunks.txt"));
        assertThat(two.toolCalls().values()).extracting(Decoded.ToolCall::name, Decoded.ToolCall::arguments)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("getWeather", "{\"location\":\"Boston\"}"),
                        org.assertj.core.groups.Tuple.tuple("getWeather", "{\"location\":\"San Francisco\"}"));

        Decoded noArgs = Fixtures.decode(GEMINI, Fixtures.events(
                "vercel-ai/google/src/__fixtures__/google-stream-no-args-tool-call.chunks.txt"));
        assertThat(noArgs.toolCalls().values()).extracting(Decoded.ToolCall::name, Decoded.ToolCall::arguments)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("read_theme", "{}"),
                        org.assertj.core.groups.Tuple.tuple("read_screen", "{\"id\":\"A\"}"),
                        org.assertj.core.groups.Tuple.tuple("read_screen", "{\"id\":\"B\"}"),
                        org.assertj.core.groups.Tuple.tuple("read_screen", "{\"id\":\"C\"}"));

        Decoded array = Fixtures.decode(GEMINI, Fixtures.events(
                "vercel-ai/google/src/__fixtures__/google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt"));
        assertThat(Fixtures.parse(array.toolCalls().get(0).arguments())).isEqualTo(Fixtures.parse(
                "{\"operations\":[{\"action\":\"add\",\"description\":\"Fresh red apple\",\"itemid\":\"apple_001\","
                        + "\"price\":0.5},{\"action\":\"add\",\"description\":\"Ripe yellow banana\","
                        + "\"itemid\":\"banana_001\",\"price\":0.3}]}"));
        assertThat(array.stop()).isEqualTo(StopReason.TOOL_CALLS);

        Decoded nested = Fixtures.decode(GEMINI, Fixtures.events(
                "vercel-ai/google/src/__fixtures__/google-vertex-stream-tool-call-arguments-nested.1.chunks.txt"));
        JsonNode recipe = Fixtures.parse(nested.toolCalls().get(0).arguments()).path("recipe");
        assertThat(recipe.path("name").asText()).isEqualTo("Lasagna");
        assertThat(recipe.path("ingredients")).hasSize(10);
        assertThat(recipe.path("ingredients").get(9).toString()).isEqualTo("{\"amount\":\"1/2 tsp\",\"name\":\"Pepper\"}");
        assertThat(recipe.path("steps").get(1).asText()).isEqualTo(
                "Cook lasagna noodles according to package directions, drain and set aside.");
        assertThat(recipe.path("steps").get(4).asText()).isEqualTo("In a 9x13 baking dish, spread a thin layer of meat sauce.");
    }

    @Test
    void geminiBlockedPromptAndRecitation() {
        Decoded blocked = Fixtures.decode(GEMINI,
                Fixtures.events("gemini/googleai/streaming-failure-prompt-blocked-safety.txt"));
        assertThat(blocked.text()).isEmpty();
        assertThat(blocked.stop()).isEqualTo(StopReason.CONTENT_FILTER);
        Decoded recitation = Fixtures.decode(GEMINI,
                Fixtures.events("gemini/vertexai/streaming-failure-recitation-no-content.txt"));
        assertThat(recitation.text()).isEqualTo("Copyrighted text goes hereMore copyrighted text");
        assertThat(recitation.stop()).isEqualTo(StopReason.CONTENT_FILTER);
    }

    @Test
    void geminiErrorAfterTheLastChunk() {
        String body = Fixtures.text("gemini/vertexai/streaming-failure-error-mid-stream.txt");
        Decoded d = Fixtures.decode(GEMINI, SseParser.parseAll(body));
        assertThat(d.text()).isEqualTo("First Second ");
        JsonNode error = Fixtures.parse(body.substring(body.indexOf("\n{") + 1));
        assertThatThrownBy(() -> GEMINI.newStreamDecoder().decode("", error.toString()))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                    assertThat(e.status()).isEqualTo(499);
                    assertThat(e.type()).isEqualTo("CANCELLED");
                });
    }

    @Test
    void aStreamCutBeforeItsEndFinishesUnknownWithoutUsage() {
        StreamDecoder decoder = OPENAI.newStreamDecoder();
        List<ChatEvent> events = new ArrayList<>();
        List<SseEvent> all = Fixtures.events(
                "openai-python/e2aad469b71d1d4894ff833ea147020a9d875eb7ce644a0ff355581690a4cbfd.bin");
        all.subList(0, 5).forEach(e -> events.addAll(decoder.decode(e)));
        events.addAll(decoder.end());
        Decoded d = Fixtures.fold(events);
        assertThat(d.text()).isEqualTo("I'm unable to provide");
        assertThat(d.stop()).isEqualTo(StopReason.UNKNOWN);
        assertThat(d.usages()).isEmpty();
        assertThat(decoder.usageReported()).isFalse();
        assertThat(decoder.end()).isEmpty();
    }
}
