package dev.tokenrt.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.chat.ToolChoice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Client requests to the neutral model and back, within a format and across formats. */
class RequestTranslationTest {

    private static final OpenAiChatFormat OPENAI = new OpenAiChatFormat();
    private static final AnthropicMessagesFormat ANTHROPIC = new AnthropicMessagesFormat();
    private static final GeminiFormat GEMINI = new GeminiFormat();

    /** JSON equality where numbers compare by value (1 equals 1.0), since the neutral model keeps doubles. */
    static final Comparator<JsonNode> NUMERIC = (a, b) -> {
        if (a.equals(b)) {
            return 0;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return 1;
    };

    static void assertJsonEquals(JsonNode actual, JsonNode expected) {
        assertThat(actual.equals(NUMERIC, expected))
                .as("expected %s%nbut was %s", expected.toPrettyString(), actual.toPrettyString()).isTrue();
    }

    // A conversation with every OpenAI construct the neutral model holds, written from OpenAI's API reference.
    static final String OPENAI_TOOL_CONVERSATION = """
            {
              "model": "gpt-4o",
              "messages": [
                {"role": "developer", "content": "You are a weather bot. Answer briefly."},
                {"role": "user", "name": "ann", "content": [
                  {"type": "text", "text": "What is in this image, and what is the weather there?"},
                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "detail": "high"}},
                  {"type": "image_url", "image_url": {"url": "https://upload.wikimedia.org/wikipedia/commons/3/3f/Fronalpstock_big.jpg"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                  {"id": "call_abc123", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Glarus, CH\\",\\"unit\\":\\"celsius\\"}"}},
                  {"id": "call_def456", "type": "function", "function": {"name": "get_time", "arguments": "{\\"timezone\\":\\"Europe/Zurich\\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_abc123", "content": "{\\"temperature\\": 7, \\"sky\\": \\"overcast\\"}"},
                {"role": "tool", "tool_call_id": "call_def456", "content": [{"type": "text", "text": "14:05"}]},
                {"role": "assistant", "content": "It is 7 °C and overcast in Glarus at 14:05."},
                {"role": "user", "content": "Thanks! Tomorrow?"}
              ],
              "tools": [
                {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a place",
                  "parameters": {"type": "object", "properties": {"location": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}},
                {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object",
                  "properties": {"timezone": {"type": "string"}}}}}
              ],
              "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
              "max_tokens": 300,
              "temperature": 1,
              "top_p": 0.9,
              "stop": "END",
              "seed": 42,
              "response_format": {"type": "json_object"},
              "stream": true,
              "stream_options": {"include_usage": false},
              "user": "user-1234",
              "logit_bias": {"50256": -100},
              "parallel_tool_calls": false,
              "presence_penalty": 0.5,
              "metadata": {"team": "weather"}
            }
            """;

    /** The normalisations {@link OpenAiChatFormat} documents for a same-format round trip, applied to an original. */
    static ObjectNode normaliseOpenAi(ObjectNode original) {
        ObjectNode n = original.deepCopy();
        for (JsonNode m : n.withArrayProperty("messages")) {
            ObjectNode msg = (ObjectNode) m;
            if (msg.path("role").asText().equals("developer")) {
                msg.put("role", "system");
            }
            JsonNode content = msg.get("content");
            if (content != null && content.isArray()) {
                if (content.size() == 1 && content.get(0).path("type").asText().equals("text")) {
                    msg.put("content", content.get(0).get("text").asText());
                }
                for (JsonNode part : content) {
                    JsonNode image = part.path("image_url");
                    if (image.path("detail").asText().equals("auto")) {
                        ((ObjectNode) image).remove("detail");
                    }
                }
            }
        }
        if (n.has("max_tokens")) {
            n.set("max_completion_tokens", n.remove("max_tokens"));
        }
        if (n.path("stop").isTextual()) {
            n.putArray("stop").add(original.get("stop").asText());
        }
        if (n.path("stream").asBoolean(false)) {
            n.withObjectProperty("stream_options").put("include_usage", true);
        }
        return n;
    }

    @Test
    void openAiRequestRoundTripsModuloDocumentedNormalisation() {
        ObjectNode original = (ObjectNode) Fixtures.parse(OPENAI_TOOL_CONVERSATION);
        ChatRequest req = OPENAI.parseRequest(original);

        assertThat(req.sourceFormat()).isEqualTo("openai.chat");
        assertThat(req.includeUsage()).isFalse();
        assertThat(req.stream()).isTrue();
        assertThat(req.maxTokens()).hasValue(300);
        assertThat(req.stop()).containsExactly("END");
        assertThat(req.user()).isEqualTo("user-1234");
        assertThat(req.toolChoice()).contains(new ToolChoice.Named("get_weather"));
        assertThat(req.extra().fieldNames()).toIterable()
                .containsExactlyInAnyOrder("logit_bias", "parallel_tool_calls", "presence_penalty", "metadata");
        assertThat(req.messages()).extracting(Message::role).containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT,
                Role.TOOL, Role.TOOL, Role.ASSISTANT, Role.USER);
        assertThat(req.messages().get(1).name()).isEqualTo("ann");
        assertThat(req.messages().get(1).parts().get(1)).isEqualTo(new Part.Image(
                "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
                "high"));
        assertThat(req.messages().get(4).parts()).containsExactly(new Part.ToolResult("call_def456", "14:05", false));

        ObjectNode written = OPENAI.writeRequest(req, "gpt-4o");
        assertJsonEquals(written, normaliseOpenAi(original));
    }

    @Test
    void openAiRequestsOfAllShapesRoundTrip() {
        List<String> requests = List.of(
                """
                {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}""",
                """
                {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": [{"type": "text", "text": "a"},
                  {"type": "text", "text": "b"}]}, {"role": "user", "content": "hi"}],
                 "stop": ["x", "y"], "max_completion_tokens": 5, "tool_choice": "required",
                 "tools": [{"type": "function", "function": {"name": "noop"}}]}""",
                """
                {"model": "o3", "messages": [{"role": "user", "content": "2+2?"}], "reasoning_effort": "low",
                 "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                   "schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"],
                   "additionalProperties": false}}}, "tool_choice": "none", "service_tier": "flex"}""");
        for (String r : requests) {
            ObjectNode original = (ObjectNode) Fixtures.parse(r);
            assertJsonEquals(OPENAI.writeRequest(OPENAI.parseRequest(original), original.get("model").asText()),
                    normaliseOpenAi(original));
        }
    }

    @Test
    void legacyFunctionsBecomeTools() {
        ChatRequest req = OPENAI.parseRequest(Fixtures.parse("""
                {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "hello"}],
                 "functions": [{"name": "foo", "parameters": {"type": "object", "properties": {}}}],
                 "function_call": {"name": "foo"}}"""));
        assertThat(req.tools()).containsExactly(new Tool("foo", "", Fixtures.parse(
                "{\"type\": \"object\", \"properties\": {}}")));
        assertThat(req.toolChoice()).contains(new ToolChoice.Named("foo"));
        ObjectNode written = OPENAI.writeRequest(req, "gpt-3.5-turbo");
        assertThat(written.has("functions")).isFalse();
        assertThat(written.at("/tools/0/function/name").asText()).isEqualTo("foo");
        assertThat(written.at("/tool_choice/function/name").asText()).isEqualTo("foo");
    }

    @Test
    void streamingUpstreamAlwaysAsksForUsageAndExtrasStayWithTheirFormat() {
        ChatRequest req = OPENAI.parseRequest(Fixtures.parse(OPENAI_TOOL_CONVERSATION));
        assertThat(OPENAI.writeRequest(req, "gpt-4o").at("/stream_options/include_usage").asBoolean()).isTrue();
        ObjectNode anthropic = ANTHROPIC.writeRequest(req, "claude-sonnet-4-5");
        assertThat(anthropic.has("logit_bias")).isFalse();
        assertThat(anthropic.has("parallel_tool_calls")).isFalse();
        assertThat(anthropic.has("seed")).isFalse();
        ObjectNode gemini = GEMINI.writeRequest(req, "gemini-2.5-flash");
        assertThat(gemini.has("logit_bias")).isFalse();
        assertThat(gemini.at("/generationConfig/seed").asLong()).isEqualTo(42);
        assertThat(gemini.at("/generationConfig/responseMimeType").asText()).isEqualTo("application/json");
    }

    @Test
    void openAiThroughAnthropicKeepsMessagesToolsToolCallsAndImages() {
        ChatRequest fromOpenAi = OPENAI.parseRequest(Fixtures.parse(OPENAI_TOOL_CONVERSATION));
        ObjectNode anthropicBody = ANTHROPIC.writeRequest(fromOpenAi, "claude-sonnet-4-5");

        // what Anthropic receives
        assertThat(anthropicBody.get("system").asText()).isEqualTo("You are a weather bot. Answer briefly.");
        assertThat(anthropicBody.get("max_tokens").asInt()).isEqualTo(300);
        assertThat(anthropicBody.at("/stop_sequences/0").asText()).isEqualTo("END");
        assertThat(anthropicBody.at("/metadata/user_id").asText()).isEqualTo("user-1234");
        assertThat(anthropicBody.at("/tool_choice")).isEqualTo(Fixtures.parse("{\"type\":\"tool\",\"name\":\"get_weather\"}"));
        assertThat(anthropicBody.at("/messages/0/content/1/source/type").asText()).isEqualTo("base64");
        assertThat(anthropicBody.at("/messages/0/content/1/source/media_type").asText()).isEqualTo("image/png");
        assertThat(anthropicBody.at("/messages/0/content/2/source")).isEqualTo(Fixtures.parse(
                "{\"type\":\"url\",\"url\":\"https://upload.wikimedia.org/wikipedia/commons/3/3f/Fronalpstock_big.jpg\"}"));
        assertThat(anthropicBody.at("/messages/1/content/0/input")).isEqualTo(Fixtures.parse(
                "{\"location\":\"Glarus, CH\",\"unit\":\"celsius\"}"));
        // both tool results go back in one user turn, as Anthropic requires
        assertThat(anthropicBody.at("/messages/2/role").asText()).isEqualTo("user");
        assertThat(anthropicBody.at("/messages/2/content")).hasSize(2);
        assertThat(anthropicBody.at("/messages/2/content/1/tool_use_id").asText()).isEqualTo("call_def456");
        assertThat(anthropicBody.at("/tools/1/input_schema/properties/timezone/type").asText()).isEqualTo("string");

        ChatRequest back = ANTHROPIC.parseRequest(anthropicBody);
        assertThat(back.messages()).hasSameSizeAs(fromOpenAi.messages());
        for (int i = 0; i < back.messages().size(); i++) {
            Message expected = fromOpenAi.messages().get(i);
            Message actual = back.messages().get(i);
            assertThat(actual.role()).isEqualTo(expected.role());
            assertThat(actual.parts()).hasSameSizeAs(expected.parts());
            for (int p = 0; p < actual.parts().size(); p++) {
                Part e = expected.parts().get(p);
                Part a = actual.parts().get(p);
                switch (e) {
                    // the neutral arguments are JSON text; Anthropic holds an object, so compare them as JSON
                    case Part.ToolCall c -> {
                        Part.ToolCall ac = (Part.ToolCall) a;
                        assertThat(ac.id()).isEqualTo(c.id());
                        assertThat(ac.name()).isEqualTo(c.name());
                        assertThat(Fixtures.parse(ac.arguments())).isEqualTo(Fixtures.parse(c.arguments()));
                    }
                    // Anthropic has no detail hint
                    case Part.Image img -> assertThat(a).isEqualTo(new Part.Image(img.url(), "auto"));
                    default -> assertThat(a).isEqualTo(e);
                }
            }
        }
        assertThat(back.tools()).isEqualTo(fromOpenAi.tools());
        assertThat(back.toolChoice()).isEqualTo(fromOpenAi.toolChoice());
        assertThat(back.stop()).isEqualTo(fromOpenAi.stop());
        assertThat(back.temperature()).isEqualTo(fromOpenAi.temperature());
        assertThat(back.topP()).isEqualTo(fromOpenAi.topP());
        assertThat(back.user()).isEqualTo(fromOpenAi.user());
    }

    @Test
    void openAiThroughGeminiKeepsToolCallsAndMatchesResultsByName() {
        ChatRequest fromOpenAi = OPENAI.parseRequest(Fixtures.parse(OPENAI_TOOL_CONVERSATION));
        ObjectNode geminiBody = GEMINI.writeRequest(fromOpenAi, "gemini-3-pro-preview");
        assertThat(geminiBody.at("/systemInstruction/parts/0/text").asText())
                .isEqualTo("You are a weather bot. Answer briefly.");
        assertThat(geminiBody.at("/contents/0/parts/1/inlineData/mimeType").asText()).isEqualTo("image/png");
        assertThat(geminiBody.at("/contents/0/parts/2/fileData/fileUri").asText()).endsWith("Fronalpstock_big.jpg");
        assertThat(geminiBody.at("/contents/1/role").asText()).isEqualTo("model");
        assertThat(geminiBody.at("/contents/1/parts/0/functionCall/args/location").asText()).isEqualTo("Glarus, CH");
        // the calls came from OpenAI, without Gemini thought signatures: the first call carries the sentinel
        assertThat(geminiBody.at("/contents/1/parts/0/thoughtSignature").asText()).isEqualTo(GeminiFormat.SKIP_SIGNATURE);
        assertThat(geminiBody.at("/contents/1/parts/1/thoughtSignature").isMissingNode()).isTrue();
        assertThat(geminiBody.at("/contents/2/parts/0/functionResponse/name").asText()).isEqualTo("get_weather");
        assertThat(geminiBody.at("/contents/2/parts/0/functionResponse/response/sky").asText()).isEqualTo("overcast");
        assertThat(geminiBody.at("/contents/2/parts/1/functionResponse/name").asText()).isEqualTo("get_time");
        assertThat(geminiBody.at("/contents/2/parts/1/functionResponse/response/result").asText()).isEqualTo("14:05");
        assertThat(geminiBody.at("/tools/0/functionDeclarations/0/parametersJsonSchema/required/0").asText())
                .isEqualTo("location");
        assertThat(geminiBody.at("/toolConfig/functionCallingConfig")).isEqualTo(Fixtures.parse(
                "{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"get_weather\"]}"));
        assertThat(geminiBody.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(300);

        ChatRequest back = GEMINI.parseRequest(geminiBody, "gemini-3-pro-preview", true);
        assertThat(back.messages()).extracting(Message::role).containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT,
                Role.TOOL, Role.TOOL, Role.ASSISTANT, Role.USER);
        Part.ToolCall call = (Part.ToolCall) back.messages().get(2).parts().get(0);
        Part.ToolResult result = (Part.ToolResult) back.messages().get(3).parts().get(0);
        assertThat(result.toolCallId()).isEqualTo(call.id());
        assertThat(back.tools()).isEqualTo(fromOpenAi.tools());
        assertThat(back.toolChoice()).isEqualTo(fromOpenAi.toolChoice());
        assertThat(back.model()).isEqualTo("gemini-3-pro-preview");
        assertThat(back.stream()).isTrue();
    }

    @Test
    void geminiThoughtSignatureTravelsInTheToolCallIdAndComesBack() {
        String signature = Fixtures.text(
                "gemini/googleai/unary-success-thinking-function-call-thought-summary-signature.json");
        JsonNode response = Fixtures.parse(signature);
        ParsedResponse parsed = GEMINI.parseResponse(response);
        Part.ToolCall call = parsed.response().content().stream().filter(p -> p instanceof Part.ToolCall)
                .map(p -> (Part.ToolCall) p).findFirst().orElseThrow();
        String original = response.at("/candidates/0/content/parts").findValue("thoughtSignature").asText();
        assertThat(GeminiFormat.signatureOf(call.id())).contains(original);
        assertThat(call.id()).matches("[A-Za-z0-9_-]+");

        // the client (any format) sends the call back; Gemini receives its own signature
        ChatRequest next = ChatRequest.of("gemini-2.5-flash", List.of(Message.text(Role.USER, "How many days?"),
                new Message(Role.ASSISTANT, List.of(call), ""),
                new Message(Role.TOOL, List.of(new Part.ToolResult(call.id(), "{\"now\":\"2025-07-28\"}", false)), "")));
        ObjectNode body = GEMINI.writeRequest(next, "gemini-2.5-flash");
        assertThat(body.at("/contents/1/parts/0/thoughtSignature").asText()).isEqualTo(original);
        assertThat(body.at("/contents/2/parts/0/functionResponse/name").asText()).isEqualTo(call.name());
        assertThat(GeminiFormat.signatureOf("call_abc")).isEmpty();
        assertThat(GeminiFormat.signatureOf(GeminiFormat.toolCallId("not base64!"))).contains("not base64!");
    }

    @Test
    void geminiRequestRoundTrips() {
        ObjectNode original = (ObjectNode) Fixtures.parse("""
                {"systemInstruction": {"parts": [{"text": "Be terse."}]},
                 "contents": [
                   {"role": "user", "parts": [{"text": "Weather in Paris?"},
                     {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQSkZJRg=="}}]},
                   {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                     "thoughtSignature": "CiIBVKhc7vB+vaaq6rA/KC79Ts7iXagIOA4EBOyBFDpl+pxPCmcB"}]},
                   {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
                     "response": {"temperature": 18}}}]}
                 ],
                 "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather",
                   "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}}}]},
                   {"googleSearch": {}}],
                 "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
                 "generationConfig": {"maxOutputTokens": 256, "temperature": 0.2, "topP": 0.95,
                   "stopSequences": ["\\n\\n"], "seed": 7, "topK": 40, "thinkingConfig": {"thinkingBudget": 128}},
                 "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}""");
        ChatRequest req = GEMINI.parseRequest(original, "gemini-2.5-flash", false);
        assertThat(req.extra().fieldNames()).toIterable()
                .containsExactlyInAnyOrder("tools", "generationConfig", "safetySettings");
        assertJsonEquals(GEMINI.writeRequest(req, "gemini-2.5-flash"), original);
    }

    // ------------------------------------------------------------------ recorded Anthropic requests

    static Stream<Object[]> anthropicRecordedRequests() {
        List<Object[]> all = new ArrayList<>();
        for (String f : Fixtures.list("anthropic-sdk-python", ".json")) {
            JsonNode exchanges = Fixtures.json(f);
            for (int i = 0; i < exchanges.size(); i++) {
                all.add(new Object[] {f, i, exchanges.get(i).path("request").path("body")});
            }
        }
        return all.stream();
    }

    /**
     * Every request the Anthropic SDK recorded either round-trips to the same body (modulo what the neutral
     * model does not carry, listed in {@link #normaliseAnthropic}) or is refused with the exact block named.
     */
    @ParameterizedTest(name = "{0} request {1}")
    @MethodSource("anthropicRecordedRequests")
    void recordedAnthropicRequestRoundTripsOrIsRefusedByName(String fixture, int index, JsonNode body) {
        List<String> unsupported = new ArrayList<>();
        JsonNode messages = body.path("messages");
        for (int m = 0; m < messages.size(); m++) {
            JsonNode content = messages.get(m).path("content");
            for (int b = 0; b < content.size(); b++) {
                String type = content.get(b).path("type").asText();
                if (!List.of("text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking")
                        .contains(type)) {
                    unsupported.add("messages[" + m + "].content[" + b + "].type");
                }
            }
        }
        if (!unsupported.isEmpty()) {
            assertThatThrownBy(() -> ANTHROPIC.parseRequest(body)).isInstanceOfSatisfying(FormatException.class,
                    e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.param()).isEqualTo(unsupported.get(0));
                    });
            return;
        }
        ChatRequest req = ANTHROPIC.parseRequest(body);
        assertThat(req.model()).isEqualTo(body.get("model").asText());
        assertJsonEquals(ANTHROPIC.writeRequest(req, body.get("model").asText()), normaliseAnthropic(body));
    }

    /** What an Anthropic → neutral → Anthropic round trip changes: documented in {@link AnthropicMessagesFormat}. */
    static ObjectNode normaliseAnthropic(JsonNode original) {
        ObjectNode n = original.deepCopy();
        for (JsonNode m : n.withArrayProperty("messages")) {
            JsonNode content = m.get("content");
            if (content.isArray()) {
                for (JsonNode block : content) {
                    // fields of a block the neutral model has no place for
                    ((ObjectNode) block).retain("type", "text", "id", "name", "input", "tool_use_id", "content",
                            "is_error", "thinking", "signature", "data", "source");
                }
                if (content.size() == 1 && content.get(0).path("type").asText().equals("text")) {
                    ((ObjectNode) m).put("content", content.get(0).get("text").asText());
                }
            }
        }
        ArrayNode tools = n.withArrayProperty("tools");
        for (JsonNode t : tools) {
            if (!t.has("type") || t.get("type").asText().equals("custom")) {
                // per-tool fields beyond name, description and schema (allowed_callers, cache_control) are not carried
                ((ObjectNode) t).retain("name", "description", "input_schema");
                if (((ObjectNode) t).path("description").asText().isEmpty()) {
                    ((ObjectNode) t).remove("description");
                }
            }
        }
        if (tools.isEmpty()) {
            n.remove("tools");
        }
        return n;
    }

    // ------------------------------------------------------------------ invalid requests

    @Test
    void invalidOpenAiRequestsNameTheOffendingParameter() {
        assertRefused(OPENAI, "[1, 2]", "", "must be a JSON object");
        assertRefused(OPENAI, "{\"messages\": []}", "model", "is required");
        assertRefused(OPENAI, "{\"model\": \"m\"}", "messages", "must be an array");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": []}", "messages", "at least one");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}",
                "messages[0].role", "unknown role");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": "
                + "[{\"type\": \"input_audio\", \"input_audio\": {}}]}]}", "messages[0].content[0].type", "input_audio");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"tool\", \"content\": \"42\"}]}",
                "messages[0].tool_call_id", "is required");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}",
                "n", "greater than 1");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                + "\"stop\": 5}", "stop", "string or an array");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                + "\"max_tokens\": -1}", "max_tokens", "non-negative integer");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                + "\"temperature\": \"hot\"}", "temperature", "must be a number");
        assertRefused(OPENAI, "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                + "\"tools\": [{\"type\": \"function\", \"function\": {\"description\": \"no name\"}}]}",
                "tools[0].function.name", "is required");
    }

    @Test
    void invalidAnthropicAndGeminiRequestsNameTheOffendingParameter() {
        assertRefused(ANTHROPIC, "{\"model\": \"claude\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                "max_tokens", "is required");
        assertRefused(ANTHROPIC, "{\"model\": \"claude\", \"max_tokens\": 10, \"messages\": [{\"role\": \"system\", "
                + "\"content\": \"x\"}]}", "messages[0].role", "user or assistant");
        assertRefused(ANTHROPIC, "{\"model\": \"claude\", \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", "
                + "\"content\": [{\"type\": \"tool_result\", \"tool_use_id\": \"t\", \"content\": [{\"type\": \"image\", "
                + "\"source\": {\"type\": \"url\", \"url\": \"https://x/y.png\"}}]}]}]}",
                "messages[0].content[0].content[0].type", "only text");
        assertRefused(ANTHROPIC, "{\"model\": \"claude\", \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", "
                + "\"content\": [{\"type\": \"document\", \"source\": {}}]}]}", "messages[0].content[0].type", "document");
        assertRefused(ANTHROPIC, "{\"model\": \"claude\", \"max_tokens\": 10, \"tool_choice\": {\"type\": \"maybe\"},"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", "tool_choice.type", "maybe");
        assertRefused(GEMINI, "{\"generationConfig\": {}}", "contents", "must be an array");
        assertRefused(GEMINI, "{\"contents\": [{\"role\": \"model\", \"parts\": [{\"videoMetadata\": {}}]}]}",
                "contents[0].parts[0]", "videoMetadata");
    }

    @Test
    void anthropicToolInputMustBeAnObject() {
        ChatRequest req = ChatRequest.of("m", List.of(Message.text(Role.USER, "x"),
                new Message(Role.ASSISTANT, List.of(new Part.ToolCall("call_1", "f", "[1,2]")), "")));
        assertThatThrownBy(() -> ANTHROPIC.writeRequest(req, "claude")).isInstanceOf(FormatException.class)
                .hasMessageContaining("call_1");
        // without a cap the documented default is written, since Anthropic requires one
        assertThat(ANTHROPIC.writeRequest(ChatRequest.of("m", List.of(Message.text(Role.USER, "x"))), "claude")
                .get("max_tokens").asInt()).isEqualTo(AnthropicMessagesFormat.DEFAULT_MAX_TOKENS);
        assertThat(new AnthropicMessagesFormat(java.time.Clock.systemUTC(), 1000)
                .writeRequest(ChatRequest.of("m", List.of(Message.text(Role.USER, "x"))), "claude")
                .get("max_tokens").asInt()).isEqualTo(1000);
    }

    @Test
    void redactedThinkingAndSignedThinkingGoBackToAnthropicUnchanged() {
        ObjectNode original = (ObjectNode) Fixtures.parse("""
                {"model": "claude-sonnet-4-5", "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024},
                 "messages": [
                   {"role": "user", "content": "Weather?"},
                   {"role": "assistant", "content": [
                     {"type": "thinking", "thinking": "Call the tool.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
                     {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
                     {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]},
                   {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C", "is_error": false}]}
                 ]}""");
        ChatRequest req = ANTHROPIC.parseRequest(original);
        assertThat(req.extra().get("thinking").get("budget_tokens").asInt()).isEqualTo(1024);
        ObjectNode written = ANTHROPIC.writeRequest(req, "claude-sonnet-4-5");
        ObjectNode expected = original.deepCopy();
        ((ObjectNode) expected.at("/messages/2/content/0")).remove("is_error");
        assertJsonEquals(written, expected);
        // thinking without a signature (another provider's reasoning) is not sent to Anthropic
        ChatRequest foreign = ChatRequest.of("m", List.of(Message.text(Role.USER, "x"),
                new Message(Role.ASSISTANT, List.of(new Part.Thinking("hmm", ""), new Part.Text("ok")), "")));
        assertThat(ANTHROPIC.writeRequest(foreign, "claude").at("/messages/1/content").asText()).isEqualTo("ok");
    }

    private static void assertRefused(WireFormat format, String body, String param, String messagePart) {
        assertThatThrownBy(() -> format.parseRequest(Fixtures.parse(body)))
                .isInstanceOfSatisfying(FormatException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.getMessage()).contains(messagePart);
                });
    }
}
