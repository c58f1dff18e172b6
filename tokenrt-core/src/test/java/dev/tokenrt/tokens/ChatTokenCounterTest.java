package dev.tokenrt.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Prompt-token counts against counts the OpenAI API returned (cookbook and gpt-tokenizer's measured cases). */
class ChatTokenCounterTest {

    private final ChatTokenCounter counter = new ChatTokenCounter(Tokenizers.defaults());
    private static final JsonNode COOKBOOK = ReferenceData.json("cookbook-expected-counts.json");

    @ParameterizedTest(name = "cookbook chat example, {0}: {1}")
    @CsvSource({"gpt-3.5-turbo, 129", "gpt-4-0613, 129", "gpt-4, 129", "gpt-4o, 124", "gpt-4o-mini, 124"})
    void cookbookChatExample(String model, int expected) {
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        request.set("messages", COOKBOOK.get("chat_example_messages"));
        assertThat(COOKBOOK.at("/chat_expected_prompt_tokens/" + model).intValue()).isEqualTo(expected);
        assertThat(counter.countPrompt(model, request)).isEqualTo(TokenCount.exact(expected));
    }

    @ParameterizedTest(name = "cookbook tool example, {0}: {1}")
    @CsvSource({"gpt-3.5-turbo, 105", "gpt-4, 105", "gpt-4o, 101", "gpt-4o-mini, 101"})
    void cookbookToolExample(String model, int expected) {
        JsonNode example = COOKBOOK.get("tools_example");
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        request.set("messages", example.get("messages"));
        request.set("tools", example.get("tools"));
        assertThat(example.at("/expected_prompt_tokens/" + model).intValue()).isEqualTo(expected);
        assertThat(counter.countPrompt(model, request)).isEqualTo(TokenCount.exact(expected));
    }

    static Stream<Arguments> functionCallingCases() {
        JsonNode data = ReferenceData.json("function-calling-cases.json");
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : data.get("cases")) {
            out.add(Arguments.of(c.get("index").intValue(), c.get("expectedPromptTokens").intValue(), c.get("request")));
        }
        return out.stream();
    }

    @Test
    void allMeasuredFunctionCallingCasesArePresent() {
        assertThat(functionCallingCases()).hasSize(32);
    }

    @ParameterizedTest(name = "gpt-tokenizer case {0}: {1} tokens")
    @MethodSource("functionCallingCases")
    void gptTokenizerFunctionCallingCases(int index, int expected, JsonNode request) {
        // gpt-tokenizer checks these API-measured counts with its gpt-4o model (o200k_base).
        assertThat(counter.countPrompt("gpt-4o", request)).isEqualTo(TokenCount.exact(expected));
    }

    @Test
    void toolsFormEqualsLegacyFunctionsForm() {
        JsonNode legacy = ReferenceData.json("function-calling-cases.json").at("/cases/29/request");
        ObjectNode tools = legacy.deepCopy();
        tools.remove("functions");
        var array = tools.putArray("tools");
        for (JsonNode fn : legacy.get("functions")) {
            array.addObject().put("type", "function").set("function", fn);
        }
        assertThat(counter.countPrompt("gpt-4o", tools)).isEqualTo(counter.countPrompt("gpt-4o", legacy))
                .isEqualTo(TokenCount.exact(105));
    }

    @Test
    void toolChoiceCountsLikeFunctionCall() {
        // case 14: function_call {name: foo} = 36; as tool_choice {type: function, function: {name: foo}} it must match
        JsonNode legacy = ReferenceData.json("function-calling-cases.json").at("/cases/14/request");
        ObjectNode modern = legacy.deepCopy();
        modern.remove("function_call");
        modern.putObject("tool_choice").put("type", "function").putObject("function").put("name", "foo");
        assertThat(counter.countPrompt("gpt-4o", modern)).isEqualTo(TokenCount.exact(36));
        modern.put("tool_choice", "none");
        assertThat(counter.countPrompt("gpt-4o", modern)).isEqualTo(TokenCount.exact(32));
        modern.put("tool_choice", "auto");
        assertThat(counter.countPrompt("gpt-4o", modern)).isEqualTo(TokenCount.exact(31));
        modern.put("tool_choice", "required");
        assertThat(counter.countPrompt("gpt-4o", modern).exact()).isFalse();
    }

    @Test
    void assistantToolCallEqualsLegacyFunctionCall() {
        // case 22: an assistant function_call measured at 27 tokens; the same call as tool_calls[0]
        JsonNode request = json("""
                {"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                  "function":{"name":"do_stuff","arguments":"{\\"foo\\": \\"bar\\", \\"baz\\": 1.5}"}}]}]}""");
        assertThat(counter.countPrompt("gpt-4o", request)).isEqualTo(TokenCount.exact(27));
    }

    @Test
    void toolMessageCountsLikeAFunctionMessageNamedByItsCall() {
        // case 20: user "hello world" + function message do_stuff '{"foo": "bar", "baz": 1.5}' = 29 tokens.
        JsonNode asFunction = ReferenceData.json("function-calling-cases.json").at("/cases/20/request");
        long functionMessage = counter.countPrompt("gpt-4o", asFunction).tokens();
        JsonNode withTools = json("""
                {"messages":[{"role":"user","content":"hello world"},
                  {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"do_stuff","arguments":"{}"}}]},
                  {"role":"tool","tool_call_id":"c1","content":"{\\"foo\\": \\"bar\\", \\"baz\\": 1.5}"}]}""");
        JsonNode onlyCall = json("""
                {"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"do_stuff","arguments":"{}"}}]}]}""");
        long assistantTurn = counter.countPrompt("gpt-4o", onlyCall).tokens() - 3; // minus reply priming
        long toolRoleExtra = tokens("tool") - tokens("function");
        TokenCount count = counter.countPrompt("gpt-4o", withTools);
        assertThat(count.tokens()).isEqualTo(functionMessage + assistantTurn + toolRoleExtra);
        assertThat(count.exact()).isTrue();

        ObjectNode orphan = withTools.deepCopy();
        ((ObjectNode) orphan.at("/messages/2")).put("tool_call_id", "nobody");
        assertThat(counter.countPrompt("gpt-4o", orphan).exact()).isFalse();
    }

    @Test
    void parallelToolCallsAreCountedButNotClaimedExact() {
        JsonNode request = json("""
                {"messages":[{"role":"assistant","tool_calls":[
                  {"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},
                  {"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}]}""");
        TokenCount count = counter.countPrompt("gpt-4o", request);
        assertThat(count.exact()).isFalse();
        assertThat(count.tokens()).isEqualTo(3 + tokens("assistant") + 2 * (1 + tokens("{}") + 3) + 3);
    }

    @Test
    void contentPartsCountLikeTheirText() {
        JsonNode asString = json("""
                {"messages":[{"role":"user","content":"What's the weather like in San Francisco?"}]}""");
        JsonNode asParts = json("""
                {"messages":[{"role":"user","content":[{"type":"text","text":"What's the weather like in San Francisco?"}]}]}""");
        assertThat(counter.countPrompt("gpt-4o", asParts)).isEqualTo(counter.countPrompt("gpt-4o", asString));
    }

    @Test
    void firstSystemMessageIsPaddedWhenFunctionsArePresentAlsoAsParts() {
        // case 24: system "Hello" + user "Hi there" + one function = 36, whether "Hello" is a string or a text part
        ObjectNode request = ReferenceData.json("function-calling-cases.json").at("/cases/24/request").deepCopy();
        ((ObjectNode) request.at("/messages/0")).putArray("content").addObject().put("type", "text").put("text", "Hello");
        assertThat(counter.countPrompt("gpt-4o", request)).isEqualTo(TokenCount.exact(36));
    }

    @Test
    void gpt35Turbo0301FramesMessagesDifferently() {
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        request.set("messages", COOKBOOK.get("chat_example_messages"));
        // 6 messages: +1 each (4 instead of 3); 4 names: -2 each (-1 instead of +1): 129 + 6 - 8 = 127,
        // the count the cookbook's rule gives for gpt-3.5-turbo-0301.
        assertThat(counter.countPrompt("gpt-3.5-turbo-0301", request)).isEqualTo(TokenCount.exact(127));
    }

    @Test
    void imagesByDocumentedRule() {
        String png1024 = ImageTokensTest.dataUrl("png", 1024, 1024);
        // text "Describe" costs the same with and without the image; the image adds 765 (gpt-4o, high)
        long textOnly = counter.countPrompt("gpt-4o", json("""
                {"messages":[{"role":"user","content":[{"type":"text","text":"Describe"}]}]}""")).tokens();
        TokenCount high = counter.countPrompt("gpt-4o", imageRequest(png1024, "high"));
        assertThat(high).isEqualTo(TokenCount.exact(textOnly + 765));
        assertThat(counter.countPrompt("gpt-4o", imageRequest(png1024, "auto"))).isEqualTo(high);
        assertThat(counter.countPrompt("gpt-4o", imageRequest(png1024, null))).isEqualTo(high);
        assertThat(counter.countPrompt("gpt-4o", imageRequest(png1024, "low"))).isEqualTo(TokenCount.exact(textOnly + 85));
        // gpt-4o-mini: 2833 + 4 * 5667
        assertThat(counter.countPrompt("gpt-4o-mini", imageRequest(png1024, "high")))
                .isEqualTo(TokenCount.exact(textOnly + 2833 + 4 * 5667));
    }

    @Test
    void remoteImagesCountTheWorstCaseAndAreNotExact() {
        String remote = "https://example.invalid/cat.png";
        long textOnly = counter.countPrompt("gpt-4o", json("""
                {"messages":[{"role":"user","content":[{"type":"text","text":"Describe"}]}]}""")).tokens();
        assertThat(counter.countPrompt("gpt-4o", imageRequest(remote, "high")))
                .isEqualTo(TokenCount.estimated(textOnly + 85 + 8 * 170));
        // low detail costs the base whatever the size: still exact
        assertThat(counter.countPrompt("gpt-4o", imageRequest(remote, "low"))).isEqualTo(TokenCount.exact(textOnly + 85));
    }

    @Test
    void providerPrefixAndUnknownModel() {
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        request.set("messages", COOKBOOK.get("chat_example_messages"));
        assertThat(counter.countPrompt("openai/gpt-4o", request)).isEqualTo(TokenCount.exact(124));
        assertThat(counter.countPrompt("azure/gpt-4", request)).isEqualTo(TokenCount.exact(129));
        assertThatThrownBy(() -> counter.countPrompt("mystery-model", request))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown model 'mystery-model': ");
    }

    @Test
    void registeredTokenizerCountsButIsNotClaimedExact() {
        ChatTokenCounter withLlama = new ChatTokenCounter(
                Tokenizers.defaults().withModel("llama-", Tokenizers.defaults().forEncoding("cl100k_base")));
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        request.set("messages", COOKBOOK.get("chat_example_messages"));
        assertThat(withLlama.countPrompt("llama-3-8b", request)).isEqualTo(TokenCount.estimated(129));
    }

    @Test
    void aCachingTokenizerRegisteredForAnOpenAiModelKeepsCountsExact() {
        Tokenizers base = Tokenizers.defaults();
        CachingTokenizer cached = CachingTokenizer.wrap(base.forEncoding("o200k_base"), 1 << 20, 16);
        ChatTokenCounter cachedCounter = new ChatTokenCounter(base.withModel("gpt-4o", cached));
        JsonNode cookbookTools = COOKBOOK.get("tools_example");
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        request.set("messages", cookbookTools.get("messages"));
        request.set("tools", cookbookTools.get("tools"));
        for (int i = 0; i < 3; i++) {
            assertThat(cachedCounter.countPrompt("gpt-4o", request)).isEqualTo(TokenCount.exact(101));
        }
        assertThat(cached.cachedTexts()).isPositive();
    }

    @Test
    void malformedRequestsNameTheProblem() {
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("{}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("request has no 'messages' array");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("[]")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("{\"messages\":[{\"content\":\"hi\"}]}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("messages[0] needs a string 'role'");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("{\"messages\":[{\"role\":\"user\",\"content\":5}]}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("messages[0].content must be a string or an array of parts");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("""
                {"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}""")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("messages[0].content[0] has content part type 'input_audio'");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", imageRequest("https://x.invalid/a.png", "ultra")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("image_url.detail");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("{\"messages\":[],\"tools\":{}}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("'tools' must be an array");
        assertThatThrownBy(() -> counter.countPrompt("gpt-4o", json("""
                {"messages":[],"functions":[{"description":"no name"}]}""")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("functions[0] needs a string 'name'");
    }

    private static JsonNode imageRequest(String url, String detail) {
        ObjectNode request = ReferenceData.JSON.createObjectNode();
        var parts = request.putArray("messages").addObject().put("role", "user").putArray("content");
        parts.addObject().put("type", "text").put("text", "Describe");
        ObjectNode image = parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        if (detail != null) {
            image.put("detail", detail);
        }
        return request;
    }

    private static int tokens(String text) {
        return Tokenizers.defaults().forEncoding("o200k_base").countTokens(text);
    }

    private static JsonNode json(String s) {
        try {
            return ReferenceData.JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
