package dev.tokenrt.provider;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.sse.SseParser;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
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
 * Recorded streams of one provider, decoded and written for a client of another format, the way the gateway
 * relays them. What the client receives is parsed back independently (SSE text to JSON to a fold of the
 * deltas) and compared with what the provider sent; every OpenAI chunk produced is validated against
 * OpenAI's schema.
 */
class CrossFormatStreamTest {

    private static final OpenAiChatFormat OPENAI = new OpenAiChatFormat();
    private static final AnthropicMessagesFormat ANTHROPIC = new AnthropicMessagesFormat();
    private static final GeminiFormat GEMINI = new GeminiFormat();

    private static ChatRequest clientRequest(boolean includeUsage) {
        return new ChatRequest("client-model", List.of(Message.text(Role.USER, "hi")), List.of(),
                java.util.Optional.empty(), java.util.OptionalInt.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), List.of(), java.util.Optional.empty(), java.util.Optional.empty(), true,
                includeUsage, "", "openai.chat", null);
    }

    /** What passed through a relay: the neutral events and the frames the client received. */
    record Relayed(Decoded upstream, List<String> frames) {
    }

    /** Relays: upstream SSE events → decoder → neutral events → encoder → client frames. */
    static Relayed relayed(WireFormat upstream, List<SseEvent> events, WireFormat client, boolean includeUsage) {
        StreamDecoder decoder = upstream.newStreamDecoder();
        StreamEncoder encoder = client.newStreamEncoder(clientRequest(includeUsage), "client-model");
        List<ChatEvent> neutral = new ArrayList<>();
        List<String> frames = new ArrayList<>();
        for (SseEvent e : events) {
            for (ChatEvent n : decoder.decode(e)) {
                neutral.add(n);
                frames.addAll(encoder.encode(n));
            }
        }
        for (ChatEvent n : decoder.end()) {
            neutral.add(n);
            frames.addAll(encoder.encode(n));
        }
        frames.addAll(encoder.end());
        return new Relayed(Fixtures.fold(neutral), frames);
    }

    static List<String> relay(WireFormat upstream, List<SseEvent> events, WireFormat client, boolean includeUsage) {
        return relayed(upstream, events, client, includeUsage).frames();
    }

    static Stream<Object[]> upstreamStreams() {
        List<Object[]> all = new ArrayList<>();
        StreamDecodingTest.anthropicStreams().forEach(a -> all.add(new Object[] {"anthropic", a[0] + "#" + a[1], a[2]}));
        StreamDecodingTest.openAiStreams().forEach(f -> all.add(new Object[] {"openai", f, Fixtures.events(f)}));
        StreamDecodingTest.geminiStreams().map(f -> new Object[] {"gemini", f, Fixtures.events(f)})
                .filter(a -> !((List<?>) a[2]).isEmpty()).forEach(all::add);
        return all.stream();
    }

    private static WireFormat format(String name) {
        return switch (name) {
            case "anthropic" -> ANTHROPIC;
            case "openai" -> OPENAI;
            default -> GEMINI;
        };
    }

    @ParameterizedTest(name = "{0} {1} to an OpenAI client")
    @MethodSource("upstreamStreams")
    void toAnOpenAiClient(String provider, String fixture, List<SseEvent> events) {
        Relayed relayed = relayed(format(provider), events, OPENAI, true);
        Decoded upstream = relayed.upstream();
        List<String> frames = relayed.frames();

        assertThat(frames).allMatch(f -> f.startsWith("data: ") && f.endsWith("\n\n"));
        assertThat(frames.get(frames.size() - 1)).isEqualTo("data: [DONE]\n\n");
        List<JsonNode> chunks = frames.subList(0, frames.size() - 1).stream()
                .map(f -> Fixtures.parse(f.substring("data: ".length()).strip())).toList();
        for (JsonNode chunk : chunks) {
            assertThat(OpenAiSchemas.errors(OpenAiSchemas.CHUNK, chunk)).as(chunk.toString()).isEmpty();
            assertThat(chunk.get("model").asText()).isEqualTo("client-model");
            assertThat(chunk.get("id").asText()).isEqualTo(chunks.get(0).get("id").asText()).startsWith("chatcmpl-");
        }
        assertThat(chunks.get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");

        // what an OpenAI client folds out of the chunks
        StringBuilder text = new StringBuilder();
        Map<Integer, String[]> calls = new LinkedHashMap<>();
        List<String> finishReasons = new ArrayList<>();
        List<JsonNode> usages = new ArrayList<>();
        for (JsonNode chunk : chunks) {
            if (chunk.get("choices").isEmpty()) {
                usages.add(chunk.get("usage"));
                continue;
            }
            JsonNode choice = chunk.at("/choices/0");
            text.append(choice.at("/delta/content").asText(""));
            for (JsonNode call : choice.at("/delta/tool_calls")) {
                String[] c = calls.computeIfAbsent(call.get("index").asInt(), i -> new String[] {"", "", ""});
                c[0] += call.path("id").asText("");
                c[1] += call.path("function").path("name").asText("");
                c[2] += call.path("function").path("arguments").asText("");
            }
            if (choice.hasNonNull("finish_reason")) {
                finishReasons.add(choice.get("finish_reason").asText());
            }
        }
        assertThat(text.toString()).isEqualTo(upstream.text());
        assertThat(calls.values()).extracting(c -> c[0], c -> c[1], c -> c[2]).containsExactlyElementsOf(
                upstream.toolCalls().values().stream().map(c -> org.assertj.core.groups.Tuple.tuple(c.id(), c.name(),
                        c.arguments())).toList());
        assertThat(finishReasons).containsExactly(OPENAI.stopReason(upstream.stop()));
        // the usage chunk comes last, once, when the provider reported usage (here the client asked for it)
        assertThat(usages).hasSize(upstream.usages().size());
        if (!usages.isEmpty()) {
            assertThat(chunks.get(chunks.size() - 1).get("choices")).isEmpty();
            Usage u = upstream.usage();
            assertThat(usages.get(0).get("prompt_tokens").asLong()).isEqualTo(u.inputTokens());
            assertThat(usages.get(0).get("completion_tokens").asLong()).isEqualTo(u.outputTokens());
            assertThat(usages.get(0).get("total_tokens").asLong()).isEqualTo(u.totalTokens());
            assertThat(usages.get(0).at("/prompt_tokens_details/cached_tokens").asLong()).isEqualTo(u.cacheReadTokens());
            assertThat(usages.get(0).at("/completion_tokens_details/reasoning_tokens").asLong())
                    .isEqualTo(u.reasoningTokens());
        }
    }

    @ParameterizedTest(name = "{0} {1} to an Anthropic client")
    @MethodSource("upstreamStreams")
    void toAnAnthropicClient(String provider, String fixture, List<SseEvent> events) {
        Relayed relayed = relayed(format(provider), events, ANTHROPIC, false);
        Decoded upstream = relayed.upstream();
        List<String> frames = relayed.frames();

        List<JsonNode> sent = new ArrayList<>();
        for (String frame : frames) {
            assertThat(frame).startsWith("event: ").endsWith("\n\n");
            List<SseEvent> parsed = SseParser.parseAll(frame);
            assertThat(parsed).hasSize(1);
            JsonNode data = Fixtures.parse(parsed.get(0).data());
            assertThat(data.get("type").asText()).isEqualTo(parsed.get(0).event());
            sent.add(data);
        }
        // Anthropic's sequence: message_start, blocks opened and closed in order, message_delta, message_stop
        assertThat(sent.get(0).get("type").asText()).isEqualTo("message_start");
        assertThat(sent.get(0).at("/message/model").asText()).isEqualTo("client-model");
        assertThat(sent.get(0).at("/message/id").asText()).startsWith("msg_");
        assertThat(sent.get(sent.size() - 2).get("type").asText()).isEqualTo("message_delta");
        assertThat(sent.get(sent.size() - 1).get("type").asText()).isEqualTo("message_stop");
        int open = -1;
        int next = 0;
        for (JsonNode e : sent.subList(1, sent.size() - 2)) {
            switch (e.get("type").asText()) {
                case "content_block_start" -> {
                    assertThat(open).as("a block starts while another is open").isEqualTo(-1);
                    assertThat(e.get("index").asInt()).isEqualTo(next++);
                    open = e.get("index").asInt();
                }
                case "content_block_stop" -> {
                    assertThat(e.get("index").asInt()).isEqualTo(open);
                    open = -1;
                }
                case "content_block_delta" -> assertThat(e.get("index").asInt()).isLessThan(next);
                default -> throw new AssertionError("unexpected event " + e);
            }
        }
        assertThat(open).isEqualTo(-1);

        // the Anthropic decoder reads the relayed stream back to the same content, stop and usage
        Decoded back = Fixtures.decode(ANTHROPIC, frames.stream().flatMap(f -> SseParser.parseAll(f).stream()).toList());
        assertThat(back.text()).isEqualTo(upstream.text());
        assertThat(back.thinking()).isEqualTo(upstream.thinking());
        assertThat(back.toolCalls()).isEqualTo(upstream.toolCalls());
        assertThat(back.stop()).isEqualTo(upstream.stop() == StopReason.UNKNOWN ? StopReason.STOP : upstream.stop());
        Usage expected = upstream.usages().isEmpty() ? Usage.NONE : upstream.usage();
        assertThat(back.usage()).usingRecursiveComparison().ignoringFields("reasoningTokens").isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} {1} to a Gemini client")
    @MethodSource("upstreamStreams")
    void toAGeminiClient(String provider, String fixture, List<SseEvent> events) {
        Relayed relayed = relayed(format(provider), events, GEMINI, false);
        Decoded upstream = relayed.upstream();
        List<String> frames = relayed.frames();
        Decoded back = Fixtures.decode(GEMINI, frames.stream().flatMap(f -> SseParser.parseAll(f).stream()).toList());
        assertThat(back.text()).isEqualTo(upstream.text());
        assertThat(back.thinking()).isEqualTo(upstream.thinking());
        assertThat(back.toolCalls().values()).extracting(Decoded.ToolCall::name)
                .containsExactlyElementsOf(upstream.toolCalls().values().stream().map(Decoded.ToolCall::name).toList());
        List<Decoded.ToolCall> sentCalls = List.copyOf(back.toolCalls().values());
        List<Decoded.ToolCall> upstreamCalls = List.copyOf(upstream.toolCalls().values());
        for (int i = 0; i < sentCalls.size(); i++) {
            JsonNode args = Json.parse(upstreamCalls.get(i).arguments()).filter(JsonNode::isObject)
                    .orElse(Json.object());
            assertThat(Fixtures.parse(sentCalls.get(i).arguments())).isEqualTo(args);
        }
        if (!upstream.usages().isEmpty()) {
            // Gemini's usage has no cache-write figures; everything else survives
            assertThat(back.usage()).usingRecursiveComparison()
                    .ignoringFields("cacheWrite5mTokens", "cacheWrite1hTokens").isEqualTo(upstream.usage());
        }
    }

    @Test
    void anthropicToolUseStreamBecomesOpenAiChunksWhoseArgumentsConcatenateToTheOriginalJson() {
        List<SseEvent> events = Fixtures.events("anthropic-sdk-python/lib__streaming__fixtures__tool_use_response.txt");
        List<String> frames = relay(ANTHROPIC, events, OPENAI, true);
        StringBuilder arguments = new StringBuilder();
        String name = "";
        String id = "";
        for (String frame : frames) {
            if (frame.equals("data: [DONE]\n\n")) {
                continue;
            }
            JsonNode chunk = Fixtures.parse(frame.substring(6));
            for (JsonNode call : chunk.at("/choices/0/delta/tool_calls")) {
                assertThat(call.get("index").asInt()).isZero();
                arguments.append(call.at("/function/arguments").asText(""));
                name += call.at("/function/name").asText("");
                id += call.path("id").asText("");
            }
        }
        // the raw file streams {"locati + on": "P + ar + is"}
        assertThat(arguments.toString()).isEqualTo("{\"location\": \"Paris\"}");
        assertThat(name).isEqualTo("get_weather");
        assertThat(id).isEqualTo("toolu_01NRLabsLyVHZPKxbKvkfSMn");
        JsonNode usage = Fixtures.parse(frames.get(frames.size() - 2).substring(6)).get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(377);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(65);
    }

    @Test
    void theUsageChunkIsSentOnlyWhenTheClientAskedForIt() {
        List<SseEvent> events = Fixtures.events("anthropic-sdk-python/lib__streaming__fixtures__basic_response.txt");
        List<String> without = relay(ANTHROPIC, events, OPENAI, false);
        List<String> with = relay(ANTHROPIC, events, OPENAI, true);
        assertThat(with).hasSize(without.size() + 1);
        assertThat(without).noneMatch(f -> f.contains("\"usage\""));
        assertThat(with.get(with.size() - 2)).contains("\"choices\":[]").contains("\"prompt_tokens\":11");
        assertThat(without.get(without.size() - 2)).contains("\"finish_reason\":\"stop\"");
    }

    @Test
    void anOpenAiStreamBecomesAnthropicEventsWithUsageInMessageDelta() {
        List<String> frames = relay(OPENAI, Fixtures.events(
                "openai-python/2018feb66ae13fcf5333d61b95849decc68d3f63bd38172889367e1afb1e04f7.bin"), ANTHROPIC, false);
        List<String> names = frames.stream().map(f -> SseParser.parseAll(f).get(0).event()).toList();
        assertThat(names).startsWith("message_start", "content_block_start", "content_block_delta")
                .endsWith("content_block_stop", "message_delta", "message_stop");
        JsonNode start = Fixtures.parse(SseParser.parseAll(frames.get(1)).get(0).data());
        assertThat(start.get("content_block")).isEqualTo(Fixtures.parse(
                "{\"type\":\"tool_use\",\"id\":\"call_4XzlGBLtUe9dy3GVNV4jhq7h\",\"name\":\"get_weather\",\"input\":{}}"));
        JsonNode delta = Fixtures.parse(SseParser.parseAll(frames.get(frames.size() - 2)).get(0).data());
        assertThat(delta.at("/delta/stop_reason").asText()).isEqualTo("tool_use");
        assertThat(delta.at("/usage/input_tokens").asInt()).isEqualTo(44);
        assertThat(delta.at("/usage/output_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void encodersCloseAStreamThatNeverStarted() {
        StreamEncoder openAi = OPENAI.newStreamEncoder(clientRequest(true), "m");
        List<String> frames = openAi.end();
        assertThat(frames).hasSize(3);
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.CHUNK, Fixtures.parse(frames.get(0).substring(6)))).isEmpty();
        assertThat(frames.get(2)).isEqualTo("data: [DONE]\n\n");
        assertThat(openAi.end()).isEmpty();
        List<String> anthropic = ANTHROPIC.newStreamEncoder(clientRequest(false), "m").end();
        assertThat(anthropic).extracting(f -> SseParser.parseAll(f).get(0).event())
                .containsExactly("message_start", "message_delta", "message_stop");
    }
}
