package dev.tokenrt.provider;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.sse.SseParser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.StopReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Error bodies in each provider's shape, stop-reason mapping, and the SSE reader. */
class ErrorAndSseTest {

    private static final OpenAiChatFormat OPENAI = new OpenAiChatFormat();
    private static final AnthropicMessagesFormat ANTHROPIC = new AnthropicMessagesFormat();
    private static final GeminiFormat GEMINI = new GeminiFormat();

    @Test
    void openAiErrorShapeMatchesTheSpec() {
        ObjectNode body = OPENAI.error(429, "", "Budget exhausted for key sk-…abcd", "", "budget_exceeded");
        assertThat(body).isEqualTo(Fixtures.parse("""
                {"error": {"message": "Budget exhausted for key sk-…abcd", "type": "rate_limit_error",
                 "param": null, "code": "budget_exceeded"}}"""));
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.ERROR, body)).isEmpty();
        ObjectNode refused = OPENAI.error(new FormatException("messages[0].role", "unknown role 'wizard'"));
        assertThat(refused.at("/error/param").asText()).isEqualTo("messages[0].role");
        assertThat(refused.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(refused.at("/error/code").isNull()).isTrue();
        assertThat(OpenAiSchemas.errors(OpenAiSchemas.ERROR, refused)).isEmpty();
    }

    @Test
    void anthropicAndGeminiErrorShapes() {
        assertThat(ANTHROPIC.error(529, "", "Overloaded", "", "")).isEqualTo(Fixtures.parse(
                "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}"));
        assertThat(ANTHROPIC.error(new FormatException("max_tokens", "'max_tokens' is required"))).isEqualTo(
                Fixtures.parse("{\"type\": \"error\", \"error\": {\"type\": \"invalid_request_error\","
                        + " \"message\": \"'max_tokens' is required\"}}"));
        assertThat(GEMINI.error(404, "", "models/unknown is not found", "", "")).isEqualTo(Fixtures.parse(
                "{\"error\": {\"code\": 404, \"message\": \"models/unknown is not found\", \"status\": \"NOT_FOUND\"}}"));
        // a Gemini error body written here reads back as the provider error it describes
        assertThatThrownBy(() -> GEMINI.parseResponse(GEMINI.error(429, "", "Quota exceeded", "", "")))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.type()).isEqualTo("RESOURCE_EXHAUSTED");
                });
    }

    @Test
    void statusesMapToEachFormatsErrorTypes() {
        int[] statuses = {400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529};
        List<String> openAi = new ArrayList<>();
        List<String> anthropic = new ArrayList<>();
        List<String> gemini = new ArrayList<>();
        for (int s : statuses) {
            openAi.add(OPENAI.errorType(s));
            anthropic.add(ANTHROPIC.errorType(s));
            gemini.add(GEMINI.errorType(s));
        }
        assertThat(openAi).containsExactly("invalid_request_error", "authentication_error", "permission_error",
                "not_found_error", "invalid_request_error", "rate_limit_error", "server_error", "server_error",
                "server_error", "server_error", "server_error");
        assertThat(anthropic).containsExactly("invalid_request_error", "authentication_error", "permission_error",
                "not_found_error", "request_too_large", "rate_limit_error", "api_error", "api_error",
                "overloaded_error", "api_error", "overloaded_error");
        assertThat(gemini).containsExactly("INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND",
                "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "INTERNAL", "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED",
                "INTERNAL");
        // and Anthropic's types back to the statuses it answers with
        for (int s : new int[] {400, 401, 403, 404, 413, 429, 529}) {
            assertThat(AnthropicMessagesFormat.statusForType(ANTHROPIC.errorType(s))).isEqualTo(s);
        }
    }

    @Test
    void stopReasonsMapBothWays() {
        for (WireFormat f : List.of(OPENAI, ANTHROPIC, GEMINI)) {
            for (StopReason r : StopReason.values()) {
                StopReason back = f.stopReason(f.stopReason(r));
                if (r == StopReason.UNKNOWN || (f == GEMINI && r == StopReason.TOOL_CALLS)) {
                    // UNKNOWN has no wire name of its own; Gemini says STOP after function calls
                    assertThat(back).isIn(StopReason.STOP, StopReason.UNKNOWN);
                } else {
                    assertThat(back).as(f.id() + " " + r).isEqualTo(r);
                }
            }
            assertThat(f.stopReason((String) null)).isEqualTo(StopReason.UNKNOWN);
            assertThat(f.stopReason("something_new")).isEqualTo(StopReason.UNKNOWN);
        }
        assertThat(OPENAI.stopReason("function_call")).isEqualTo(StopReason.TOOL_CALLS);
        assertThat(ANTHROPIC.stopReason("stop_sequence")).isEqualTo(StopReason.STOP);
        assertThat(ANTHROPIC.stopReason("refusal")).isEqualTo(StopReason.CONTENT_FILTER);
        assertThat(ANTHROPIC.stopReason("model_context_window_exceeded")).isEqualTo(StopReason.LENGTH);
        assertThat(GEMINI.stopReason("RECITATION")).isEqualTo(StopReason.CONTENT_FILTER);
        assertThat(GEMINI.stopReason("PROHIBITED_CONTENT")).isEqualTo(StopReason.CONTENT_FILTER);
        assertThat(GEMINI.stopReason("MAX_TOKENS")).isEqualTo(StopReason.LENGTH);
    }

    @Test
    void anOpenAiStreamThatCarriesAnErrorThrowsIt() {
        StreamDecoder decoder = OPENAI.newStreamDecoder();
        assertThatThrownBy(() -> decoder.decode("", "{\"error\": {\"message\": \"The server had an error\","
                + " \"type\": \"server_error\", \"param\": null, \"code\": null}}"))
                .isInstanceOfSatisfying(ProviderErrorException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.getMessage()).isEqualTo("The server had an error");
                });
        assertThatThrownBy(() -> OPENAI.newStreamDecoder().decode("", "not json"))
                .isInstanceOf(ProviderErrorException.class).hasMessageContaining("not json");
    }

    @Test
    void formatsAreFoundById() {
        assertThat(WireFormat.forId("openai.chat")).isInstanceOf(OpenAiChatFormat.class);
        assertThat(WireFormat.forId("anthropic.messages")).isInstanceOf(AnthropicMessagesFormat.class);
        assertThat(WireFormat.forId("gemini")).isInstanceOf(GeminiFormat.class);
        assertThatThrownBy(() -> WireFormat.forId("cohere")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new OpenAiChatFormat(java.time.Clock.systemUTC(), "max_tokens").writeRequest(
                dev.tokenrt.chat.ChatRequest.of("m", List.of(dev.tokenrt.chat.Message.text(dev.tokenrt.chat.Role.USER,
                        "x"))).withMaxTokens(9), "m").get("max_tokens").asInt()).isEqualTo(9);
    }

    @Test
    void anEmptyUpstreamStreamStillStartsAndFinishes() {
        for (WireFormat f : List.of(OPENAI, ANTHROPIC, GEMINI)) {
            StreamDecoder decoder = f.newStreamDecoder();
            Fixtures.Decoded d = Fixtures.fold(decoder.end());
            StreamDecodingTest.assertContract(d);
            assertThat(d.stop()).isEqualTo(StopReason.UNKNOWN);
            assertThat(decoder.usageReported()).isFalse();
        }
    }

    // ------------------------------------------------------------------ SSE

    @Test
    void sseEventsSurviveAnyChunkBoundary() {
        String body = Fixtures.text("anthropic-sdk-python/lib__streaming__fixtures__tool_use_response.txt");
        List<SseEvent> whole = SseParser.parseAll(body);
        assertThat(whole).hasSize(15);
        assertThat(whole.get(0).event()).isEqualTo("message_start");
        for (int size : new int[] {1, 2, 3, 7, 64, 1000}) {
            SseParser parser = new SseParser();
            List<SseEvent> pieces = new ArrayList<>();
            for (int i = 0; i < body.length(); i += size) {
                pieces.addAll(parser.feed(body.substring(i, Math.min(body.length(), i + size))));
            }
            parser.end().ifPresent(pieces::add);
            assertThat(pieces).as("chunks of %d", size).isEqualTo(whole);
        }
    }

    @Test
    void sseLineEndingsCommentsMultiLineDataAndUnterminatedLastEvent() {
        String body = ": keep-alive\r\nevent: a\r\ndata: one\r\ndata: two\r\nid: 7\r\nretry: 10\r\n\r\n"
                + "data:no-space\n\n\n\rdata: last";
        // An event without an event: field has the spec's default type, "message".
        assertThat(SseParser.parseAll(body)).containsExactly(new SseEvent("a", "one\ntwo"),
                new SseEvent("message", "no-space"), new SseEvent("message", "last"));
        // a CRLF split across two chunks is one line end, not two
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>(parser.feed("data: x\r"));
        events.addAll(parser.feed("\ndata: y\r\n\r\n"));
        assertThat(events).containsExactly(new SseEvent("message", "x\ny"));
        assertThat(SseParser.parseAll("event: ping\n\n")).isEmpty();
    }
}
