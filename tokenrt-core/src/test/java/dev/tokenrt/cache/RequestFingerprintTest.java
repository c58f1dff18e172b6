package dev.tokenrt.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.provider.AnthropicMessagesFormat;
import dev.tokenrt.provider.OpenAiChatFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Canonicalisation of the exact-cache key, with requests parsed from real wire bodies by the codecs. */
class RequestFingerprintTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final OpenAiChatFormat OPENAI = new OpenAiChatFormat();
    static final AnthropicMessagesFormat ANTHROPIC = new AnthropicMessagesFormat();

    static final String TOOLS = """
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                             "required": ["city"]}}}]""";

    static ChatRequest openAi(String body) {
        try {
            return OPENAI.parseRequest(JSON.readTree(body));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String key(String body) {
        return RequestFingerprint.exact(openAi(body), "openai", "gpt-4o-mini");
    }

    static String base(String extra) {
        return "{\"model\":\"gpt-4o-mini\",\"temperature\":0," + extra
                + "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi there\"}]}";
    }

    @Test
    void isAShortUrlSafeHashAndStable() {
        String k = key(base(""));
        assertThat(k).hasSize(22).matches("[A-Za-z0-9_-]+");
        assertThat(key(base(""))).isEqualTo(k);
    }

    @Test
    void keysOfOrdinaryPromptsAreTheOnesEarlierVersionsStored() {
        // Computed by the encoder before long strings were hashed in chunks (2026-12-07): entries already in Redis
        // and the database keep being found.
        assertThat(key(base(""))).isEqualTo("EdpnECdBK4kuiWwiNiuaYw");
        assertThat(key(userOnly("x".repeat(RequestFingerprint.CHUNK_CHARS)))).isEqualTo("8QJOuj4acg2tfcIxjfojQw");
    }

    static String userOnly(String text) {
        try {
            return "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":"
                    + JSON.writeValueAsString(text) + "}]}";
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void longPromptsAreHashedInChunksWithoutLosingAnyCharacter() {
        int n = RequestFingerprint.CHUNK_CHARS;
        String prose = "Über the lazy dog, 20 € a night. ".repeat(n / 8); // ~4 chunks, not ASCII
        String k = key(userOnly(prose));
        assertThat(key(userOnly(new String(prose.toCharArray())))).isEqualTo(k);
        // One character changed in the first chunk, at a chunk's edge, in the last; one added at the end.
        for (int at : new int[] {0, n - 1, n, prose.length() - 1}) {
            char[] c = prose.toCharArray();
            c[at] = c[at] == 'x' ? 'y' : 'x';
            assertThat(key(userOnly(new String(c)))).as("changed at %d", at).isNotEqualTo(k);
        }
        assertThat(key(userOnly(prose + " "))).isNotEqualTo(k);
        // The same characters split differently between two messages are another request.
        String two = "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\""
                + prose.substring(0, n) + "\"},{\"role\":\"user\",\"content\":\"" + prose.substring(n) + "\"}]}";
        assertThat(key(two)).isNotEqualTo(k);

        // A surrogate pair across a chunk's edge stays one character; a lone surrogate is hashed as '?', as
        // String.getBytes encodes it.
        String pairAtEdge = "a".repeat(n - 1) + "😀" + "b".repeat(n);
        assertThat(key(userOnly(pairAtEdge))).isNotEqualTo(key(userOnly("a".repeat(n - 1) + "😁" + "b".repeat(n))));
        for (int at : new int[] {n, 2 * n - 1}) { // inside a chunk, and its last character
            String lone = "a".repeat(at) + '\uD83D' + "b";
            assertThat(key(userOnly(lone))).as("lone surrogate at %d", at).isEqualTo(key(userOnly("a".repeat(at) + "?b")));
        }
    }

    @Test
    void memberOrderAndWhitespaceOfTheBodyDoNotMatter() {
        String a = "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + TOOLS + "}";
        String b = """
                {
                  "messages" : [ { "content" : "Hi", "role" : "user" } ],
                  "tools": [{"function": {"parameters": {"required": ["city"], "type": "object",
                       "properties": {"unit": {"enum": ["c", "f"]}, "city": {"type": "string"}}},
                     "description": "Weather in a city", "name": "get_weather"}, "type": "function"}],
                  "max_tokens" : 50 , "temperature" : 0.0, "model": "gpt-4o-mini"
                }""";
        assertThat(key(a)).isEqualTo(key(b));
    }

    @Test
    void numbersAreComparedByValue() {
        assertThat(key(base("\"top_p\":1,"))).isEqualTo(key(base("\"top_p\":1.0,")));
        assertThat(key(base("\"logit_bias\":{\"50256\":-100},"))).isEqualTo(key(base("\"logit_bias\":{\"50256\":-1e2},")));
        assertThat(key(base("\"top_p\":1,"))).isNotEqualTo(key(base("\"top_p\":0.9,")));
    }

    @Test
    void everyParameterThatCanChangeTheAnswerChangesTheKey() {
        List<String> variants = List.of("", "\"max_tokens\":10,", "\"max_tokens\":11,", "\"top_p\":0.5,", "\"seed\":7,",
                "\"seed\":8,", "\"stop\":[\"\\n\"],", "\"stop\":[\"END\"],", "\"response_format\":{\"type\":\"json_object\"},",
                "\"logit_bias\":{\"50256\":-100},", "\"frequency_penalty\":0.5,", "\"presence_penalty\":0.5,",
                "\"reasoning_effort\":\"low\",", "\"parallel_tool_calls\":false,", "\"logprobs\":true,",
                TOOLS + ",", TOOLS + ",\"tool_choice\":\"required\",", TOOLS + ",\"tool_choice\":\"none\",",
                TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},");
        Set<String> keys = new HashSet<>();
        for (String v : variants) {
            keys.add(key(base(v)));
        }
        assertThat(keys).hasSize(variants.size());
        String t0 = key(base(""));
        assertThat(key(base("").replace("\"temperature\":0", "\"temperature\":0.2"))).isNotEqualTo(t0);
    }

    @Test
    void whatOnlyChangesDeliveryOrAttributionDoesNot() {
        String plain = key(base(""));
        assertThat(key(base("\"stream\":true,"))).isEqualTo(plain);
        assertThat(key(base("\"stream\":true,\"stream_options\":{\"include_usage\":true},"))).isEqualTo(plain);
        assertThat(key(base("\"user\":\"alice\","))).isEqualTo(plain);
        assertThat(key(base("\"metadata\":{\"trace\":\"abc\"},\"store\":true,"))).isEqualTo(plain);
        assertThat(key(base("\"prompt_cache_key\":\"x\",\"service_tier\":\"flex\","))).isEqualTo(plain);
    }

    @Test
    void theModelAndProviderThatAnswerArePartOfTheKey() {
        ChatRequest r = openAi(base(""));
        assertThat(RequestFingerprint.exact(r, "openai", "gpt-4o-mini"))
                .isNotEqualTo(RequestFingerprint.exact(r, "openai", "gpt-4o"))
                .isNotEqualTo(RequestFingerprint.exact(r, "azure", "gpt-4o-mini"));
    }

    @Test
    void messageTextIsHashedExactlyButToolArgumentsByStructure() {
        assertThat(key(base("").replace("Hi there", "Hi  there"))).isNotEqualTo(key(base("")));
        assertThat(key(base("").replace("\"role\":\"system\"", "\"role\":\"user\""))).isNotEqualTo(key(base("")));
        String call = "{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"%s\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":%s}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":\"12C\"}]," + TOOLS + "}";
        String a = key(call.formatted("call_abc", JSON.valueToTree("{\"city\": \"Paris\", \"unit\": \"c\"}"), "call_abc"));
        String b = key(call.formatted("call_xyz", JSON.valueToTree("{\"unit\":\"c\",\"city\":\"Paris\"}"), "call_xyz"));
        String c = key(call.formatted("call_abc", JSON.valueToTree("{\"unit\":\"c\",\"city\":\"Lyon\"}"), "call_abc"));
        assertThat(a).as("tool-call ids are opaque, argument JSON is structural").isEqualTo(b);
        assertThat(c).isNotEqualTo(a);
        String crossed = key("{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_other\",\"content\":\"12C\"}]," + TOOLS + "}");
        String matched = key("{\"model\":\"gpt-4o-mini\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_abc\",\"content\":\"12C\"}]," + TOOLS + "}");
        assertThat(crossed).as("which call a result answers still counts").isNotEqualTo(matched);
    }

    @Test
    void providerSpecificParametersOfAnthropicCount() throws Exception {
        String body = """
                {"model":"claude-sonnet-4-5","max_tokens":1024,"temperature":0,%s
                 "system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}""";
        ChatRequest plain = ANTHROPIC.parseRequest(JSON.readTree(body.formatted("")));
        ChatRequest topK = ANTHROPIC.parseRequest(JSON.readTree(body.formatted("\"top_k\":5,")));
        ChatRequest meta = ANTHROPIC.parseRequest(JSON.readTree(body.formatted("\"metadata\":{\"user_id\":\"u1\"},")));
        String k = RequestFingerprint.exact(plain, "anthropic", "claude-sonnet-4-5");
        assertThat(RequestFingerprint.exact(topK, "anthropic", "claude-sonnet-4-5")).isNotEqualTo(k);
        assertThat(RequestFingerprint.exact(meta, "anthropic", "claude-sonnet-4-5")).isEqualTo(k);
    }

    @Test
    void theSemanticContextLeavesOutOnlyTheLastUserTurn() {
        ChatRequest a = openAi(base(""));
        ChatRequest b = openAi(base("").replace("Hi there", "Hello!"));
        ChatRequest otherSystem = openAi(base("").replace("Be brief.", "Be verbose."));
        assertThat(RequestFingerprint.contextHash(a, "openai", "m")).isEqualTo(RequestFingerprint.contextHash(b, "openai", "m"));
        assertThat(RequestFingerprint.contextHash(a, "openai", "m"))
                .isNotEqualTo(RequestFingerprint.contextHash(otherSystem, "openai", "m"));
        assertThat(RequestFingerprint.contextHash(a, "openai", "m").orElseThrow())
                .isNotEqualTo(RequestFingerprint.exact(a, "openai", "m"));
        assertThat(RequestFingerprint.comparedText(b)).contains("Hello!");
        ChatRequest image = openAi("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"What is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}]}");
        assertThat(RequestFingerprint.contextHash(image, "openai", "gpt-4o")).isEmpty();
        assertThat(RequestFingerprint.comparedText(image)).isEmpty();
    }

    @Test
    void aHugeExponentIsHashedWithoutExpandingIt() {
        assertThat(key(base("\"logit_bias\":{\"1\":1e100000000},"))).hasSize(22);
        assertThat(RequestFingerprint.canonical(new java.math.BigDecimal("1.500"))).isEqualTo("1.5");
        assertThat(RequestFingerprint.canonical(new java.math.BigDecimal("0.000"))).isEqualTo("0");
    }
}
