package dev.tokenrt.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every route and scenario over real sockets, with the JDK's HTTP client as the gateway would use it. */
class FakeUpstreamTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    static FakeUpstream fake;

    @BeforeAll
    static void start() {
        fake = FakeUpstream.start(FakeUpstream.Options.defaults().withSlowFirstByte(Duration.ofMillis(20)));
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    // ---- helpers ----

    static final String OPENAI_CHAT = """
            {"model":"gpt-4o-mini","messages":[{"role":"user","content":"What's the weather in San Francisco?"}]%s}""";
    static final String ANTHROPIC = """
            {"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]%s}""";
    static final String GEMINI = """
            {"contents":[{"role":"user","parts":[{"text":"Where is Google's headquarters?"}]}]}""";

    static HttpRequest.Builder post(FakeUpstream f, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> openai(String extra, String... headers) throws Exception {
        return openai(fake, extra, headers);
    }

    static HttpResponse<String> openai(FakeUpstream f, String extra, String... headers) throws Exception {
        String[] all = Stream.concat(Stream.of("authorization", "Bearer sk-test"), Stream.of(headers))
                .toArray(String[]::new);
        return send(post(f, "/v1/chat/completions", OPENAI_CHAT.formatted(extra), all));
    }

    static HttpResponse<String> anthropic(String extra, String... headers) throws Exception {
        return anthropic(fake, extra, headers);
    }

    static HttpResponse<String> anthropic(FakeUpstream f, String extra, String... headers) throws Exception {
        String[] all = Stream.concat(Stream.of("x-api-key", "sk-ant-test", "anthropic-version", "2023-06-01"),
                Stream.of(headers)).toArray(String[]::new);
        return send(post(f, "/v1/messages", ANTHROPIC.formatted(extra), all));
    }

    static HttpResponse<String> gemini(String action, String... headers) throws Exception {
        return gemini(fake, action, headers);
    }

    static HttpResponse<String> gemini(FakeUpstream f, String action, String... headers) throws Exception {
        String[] all = Stream.concat(Stream.of("x-goog-api-key", "AIza-test"), Stream.of(headers))
                .toArray(String[]::new);
        return send(post(f, "/v1beta/models/gemini-2.0-flash:" + action, GEMINI, all));
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** A server-sent event as the client saw it. */
    record Event(String name, String data) {
        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Splits an SSE body into events, checking that every frame is well formed. */
    static List<Event> events(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("text/event-stream"));
        List<Event> out = new ArrayList<>();
        assertThat(r.body()).endsWith("\n\n");
        for (String block : r.body().split("\n\n")) {
            String name = "";
            String data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = line.substring(6);
                } else {
                    throw new AssertionError("unexpected SSE line: " + line);
                }
            }
            assertThat(data).as("data of %s", block).isNotNull();
            out.add(new Event(name, data));
        }
        return out;
    }

    /** Every frame but a final [DONE] parses as a JSON object. */
    static List<JsonNode> jsonFrames(List<Event> events) {
        List<JsonNode> out = new ArrayList<>();
        for (Event e : events) {
            if (!e.data().equals("[DONE]")) {
                JsonNode node = e.json();
                assertThat(node.isObject()).isTrue();
                out.add(node);
            }
        }
        return out;
    }

    static String openAiText(List<JsonNode> chunks) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode c : chunks) {
            for (JsonNode choice : c.path("choices")) {
                sb.append(choice.path("delta").path("content").asText(""));
            }
        }
        return sb.toString();
    }

    static String anthropicText(List<Event> events, String deltaType, String field) {
        StringBuilder sb = new StringBuilder();
        for (Event e : events) {
            JsonNode d = e.json().path("delta");
            if (e.name().equals("content_block_delta") && d.path("type").asText().equals(deltaType)) {
                sb.append(d.path(field).asText());
            }
        }
        return sb.toString();
    }

    // ---- OpenAI ----

    @Nested
    class OpenAi {

        @Test
        void okBodyIsRecordedWithTheRequestedModel() throws Exception {
            HttpResponse<String> r = openai("");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(r.headers().firstValue("x-request-id")).isPresent();
            JsonNode b = json(r);
            assertThat(b.path("object").asText()).isEqualTo("chat.completion");
            assertThat(b.path("model").asText()).isEqualTo("gpt-4o-mini");
            assertThat(b.path("choices").get(0).path("message").path("content").asText())
                    .startsWith("I'm unable to provide real-time weather updates.");
            assertThat(b.path("usage").path("prompt_tokens").asInt()).isEqualTo(14);
            assertThat(b.path("usage").path("completion_tokens").asInt()).isEqualTo(37);
        }

        @Test
        void streamSendsUsageOnlyWhenAskedAsOpenAiDoes() throws Exception {
            List<Event> plain = events(openai(",\"stream\":true"));
            assertThat(plain.getLast().data()).isEqualTo("[DONE]");
            List<JsonNode> chunks = jsonFrames(plain);
            assertThat(chunks).allSatisfy(c -> {
                assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
                assertThat(c.path("model").asText()).isEqualTo("gpt-4o-mini");
                assertThat(c.has("usage")).isFalse();
            });
            assertThat(openAiText(chunks)).startsWith("I'm unable to provide real-time weather updates.");

            List<JsonNode> withUsage = jsonFrames(events(openai(
                    ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")));
            JsonNode last = withUsage.getLast();
            assertThat(last.path("choices")).isEmpty();
            assertThat(last.path("usage").path("completion_tokens").asInt()).isPositive();
            assertThat(withUsage).hasSize(chunks.size() + 1);
        }

        @Test
        void noUsageDropsTheUsageChunkAndTheUsageObject() throws Exception {
            List<JsonNode> chunks = jsonFrames(events(openai(
                    ",\"stream\":true,\"stream_options\":{\"include_usage\":true}", "x-fake-scenario", "no-usage")));
            assertThat(chunks).noneMatch(c -> c.has("usage"));
            assertThat(chunks.getLast().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
            JsonNode body = json(openai("", "x-fake-scenario", "no-usage"));
            assertThat(body.has("usage")).isFalse();
            assertThat(body.path("choices")).hasSize(1);
        }

        @Test
        void toolCallBodyAndStreamCarryParsableArguments() throws Exception {
            JsonNode b = json(openai("", "x-fake-scenario", "tool-call"));
            JsonNode call = b.path("choices").get(0).path("message").path("tool_calls").get(0);
            assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
            assertThat(JSON.readTree(call.path("function").path("arguments").asText()).path("city").asText())
                    .isEqualTo("San Francisco");
            assertThat(b.path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");

            List<JsonNode> chunks = jsonFrames(events(openai(",\"stream\":true", "x-fake-scenario", "tool-call")));
            StringBuilder args = new StringBuilder();
            for (JsonNode c : chunks) {
                for (JsonNode tc : c.path("choices").path(0).path("delta").path("tool_calls")) {
                    args.append(tc.path("function").path("arguments").asText(""));
                }
            }
            assertThat(JSON.readTree(args.toString()).path("state").asText()).isEqualTo("CA");
        }

        @Test
        void cachedCarriesCachedPromptTokens() throws Exception {
            JsonNode b = json(openai("", "x-fake-scenario", "cached"));
            assertThat(b.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(320);
            assertThat(b.path("model").asText()).isEqualTo("gpt-4o-mini");
            List<JsonNode> chunks = jsonFrames(events(openai(
                    ",\"stream\":true,\"stream_options\":{\"include_usage\":true}", "x-fake-scenario", "cached")));
            assertThat(chunks).anySatisfy(c -> assertThat(
                    c.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(320));
        }

        @Test
        void rateLimitIs429WithRetryAfterAndOpenAisBody() throws Exception {
            HttpResponse<String> r = openai("", "x-fake-scenario", "rate-limit");
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("retry-after")).hasValue("1");
            assertThat(json(r).path("error").path("type").asText()).isEqualTo("rate_limit_error");
            assertThat(json(r).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        }

        @Test
        void serverErrorsUseOpenAisErrorShape() throws Exception {
            for (int status : new int[] {500, 502, 503}) {
                HttpResponse<String> r = openai("", "x-fake-scenario", "server-error:" + status);
                assertThat(r.statusCode()).isEqualTo(status);
                JsonNode error = json(r).path("error");
                assertThat(error.path("message").asText()).isNotBlank();
                assertThat(error.has("type") && error.has("param") && error.has("code")).isTrue();
            }
            assertThat(openai("", "x-fake-scenario", "server-error").statusCode()).isEqualTo(500);
        }

        @Test
        void brokenStreamCutsTheConnectionBeforeTheEnd() throws Exception {
            HttpResponse<Stream<String>> r = HTTP.send(post(fake, "/v1/chat/completions",
                    OPENAI_CHAT.formatted(",\"stream\":true"), "authorization", "Bearer k",
                    "x-fake-scenario", "broken-stream").build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            List<String> seen = new ArrayList<>();
            assertThatThrownBy(() -> r.body().forEach(seen::add)).isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(IOException.class);
            assertThat(seen).anyMatch(l -> l.startsWith("data: {"));
            assertThat(seen).doesNotContain("data: [DONE]");
        }

        @Test
        void brokenBodyCutsTheConnectionBeforeTheEnd() {
            assertThatThrownBy(() -> openai("", "x-fake-scenario", "broken-stream")).isInstanceOf(IOException.class);
        }

        @Test
        void slowFirstByteStillAnswers() throws Exception {
            HttpResponse<String> r = openai("", "x-fake-scenario", "slow-first-byte:30");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(json(r).path("model").asText()).isEqualTo("gpt-4o-mini");
        }

        @Test
        void scenarioCanBeNamedByTheModel() throws Exception {
            HttpResponse<String> r = send(post(fake, "/v1/chat/completions",
                    "{\"model\":\"scenario:rate-limit\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "authorization", "Bearer k"));
            assertThat(r.statusCode()).isEqualTo(429);
        }

        @Test
        void requestsAreCheckedAsOpenAiChecksThem() throws Exception {
            HttpResponse<String> noKey = send(post(fake, "/v1/chat/completions", OPENAI_CHAT.formatted("")));
            assertThat(noKey.statusCode()).isEqualTo(401);
            assertThat(json(noKey).path("error").path("type").asText()).isEqualTo("invalid_request_error");

            HttpResponse<String> noMessages = send(post(fake, "/v1/chat/completions", "{\"model\":\"gpt-4o\"}",
                    "authorization", "Bearer k"));
            assertThat(noMessages.statusCode()).isEqualTo(400);
            assertThat(json(noMessages).path("error").path("param").asText()).isEqualTo("messages");

            HttpResponse<String> noModel = send(post(fake, "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "authorization", "Bearer k"));
            assertThat(noModel.statusCode()).isEqualTo(400);

            HttpResponse<String> notJson = send(post(fake, "/v1/chat/completions", "{\"model\":",
                    "authorization", "Bearer k"));
            assertThat(notJson.statusCode()).isEqualTo(400);
            assertThat(json(notJson).path("error").path("message").asText()).contains("JSON");

            HttpResponse<String> unknownScenario = openai("", "x-fake-scenario", "meteor-strike");
            assertThat(unknownScenario.statusCode()).isEqualTo(400);
            assertThat(json(unknownScenario).path("error").path("message").asText()).contains("meteor-strike");
        }

        @Test
        void embeddingsAnswerOneVectorPerInput() throws Exception {
            HttpResponse<String> r = send(post(fake, "/v1/embeddings",
                    "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\",\"c\"]}", "authorization", "Bearer k"));
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode b = json(r);
            assertThat(b.path("data")).hasSize(3);
            assertThat(b.path("data").get(2).path("index").asInt()).isEqualTo(2);
            assertThat(b.path("data").get(0).path("embedding")).hasSize(5);
            assertThat(b.path("usage").path("prompt_tokens").asInt()).isEqualTo(12);
            assertThat(send(post(fake, "/v1/embeddings", "{\"model\":\"m\"}", "authorization", "Bearer k"))
                    .statusCode()).isEqualTo(400);
            assertThat(send(post(fake, "/v1/embeddings", "{\"model\":\"m\",\"input\":\"x\"}", "authorization",
                    "Bearer k", "x-fake-scenario", "rate-limit")).statusCode()).isEqualTo(429);
        }

        @Test
        void modelsListsModels() throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/v1/models"))
                    .header("authorization", "Bearer k").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(json(r).path("object").asText()).isEqualTo("list");
            assertThat(json(r).path("data").get(0).path("object").asText()).isEqualTo("model");
        }
    }

    // ---- Anthropic ----

    @Nested
    class Anthropic {

        @Test
        void okBodyIsRecordedWithTheRequestedModel() throws Exception {
            HttpResponse<String> r = anthropic("");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("request-id")).isPresent();
            JsonNode b = json(r);
            assertThat(b.path("type").asText()).isEqualTo("message");
            assertThat(b.path("model").asText()).isEqualTo("claude-sonnet-4-5");
            assertThat(b.path("content").get(0).path("text").asText()).startsWith("Hello!");
            assertThat(b.path("usage").path("output_tokens").asInt()).isEqualTo(29);
        }

        @Test
        void streamEventsAreNamedAsTheirTypeAndParse() throws Exception {
            List<Event> events = events(anthropic(",\"stream\":true"));
            for (Event e : events) {
                assertThat(e.json().path("type").asText()).isEqualTo(e.name());
            }
            assertThat(events.getFirst().name()).isEqualTo("message_start");
            assertThat(events.getFirst().json().path("message").path("model").asText()).isEqualTo("claude-sonnet-4-5");
            assertThat(events.getLast().name()).isEqualTo("message_stop");
            assertThat(anthropicText(events, "text_delta", "text")).isEqualTo("Hello there!");
        }

        @Test
        void toolCallStreamAndBody() throws Exception {
            List<Event> events = events(anthropic(",\"stream\":true", "x-fake-scenario", "tool-call"));
            JsonNode input = JSON.readTree(anthropicText(events, "input_json_delta", "partial_json"));
            assertThat(input.path("location").asText()).isEqualTo("Paris");
            JsonNode body = json(anthropic("", "x-fake-scenario", "tool-call"));
            assertThat(body.path("stop_reason").asText()).isEqualTo("tool_use");
            assertThat(body.path("content").get(1).path("input").path("location").asText()).isEqualTo("San Francisco, CA");
        }

        @Test
        void cachedCarriesCacheReadAndCreationTokens() throws Exception {
            JsonNode usage = json(anthropic("", "x-fake-scenario", "cached")).path("usage");
            assertThat(usage.path("cache_read_input_tokens").asInt()).isEqualTo(6289);
            assertThat(usage.path("cache_creation_input_tokens").asInt()).isEqualTo(3337);
            List<Event> events = events(anthropic(",\"stream\":true", "x-fake-scenario", "cached"));
            assertThat(events.getFirst().json().path("message").path("usage").path("cache_creation_input_tokens")
                    .asInt()).isEqualTo(3068);
        }

        @Test
        void noUsageRemovesUsageFromStartAndDelta() throws Exception {
            List<Event> events = events(anthropic(",\"stream\":true", "x-fake-scenario", "no-usage"));
            assertThat(events).noneMatch(e -> e.json().has("usage") || e.json().path("message").has("usage"));
            assertThat(json(anthropic("", "x-fake-scenario", "no-usage")).has("usage")).isFalse();
        }

        @Test
        void errorsUseAnthropicsShape() throws Exception {
            HttpResponse<String> limited = anthropic("", "x-fake-scenario", "rate-limit");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("retry-after")).hasValue("1");
            assertThat(json(limited).path("type").asText()).isEqualTo("error");
            assertThat(json(limited).path("error").path("type").asText()).isEqualTo("rate_limit_error");

            HttpResponse<String> overloaded = anthropic("", "x-fake-scenario", "server-error:529");
            assertThat(overloaded.statusCode()).isEqualTo(529);
            assertThat(json(overloaded).path("error").path("type").asText()).isEqualTo("overloaded_error");
            HttpResponse<String> internal = anthropic("", "x-fake-scenario", "server-error");
            assertThat(internal.statusCode()).isEqualTo(500);
            assertThat(json(internal).path("error").path("type").asText()).isEqualTo("api_error");
        }

        @Test
        void brokenStreamCutsTheConnection() throws Exception {
            HttpResponse<Stream<String>> r = HTTP.send(post(fake, "/v1/messages", ANTHROPIC.formatted(",\"stream\":true"),
                    "x-api-key", "k", "anthropic-version", "2023-06-01", "x-fake-scenario", "broken-stream").build(),
                    HttpResponse.BodyHandlers.ofLines());
            List<String> seen = new ArrayList<>();
            assertThatThrownBy(() -> r.body().forEach(seen::add)).isInstanceOf(UncheckedIOException.class);
            assertThat(seen).contains("event: message_start").doesNotContain("event: message_stop");
        }

        @Test
        void requestsAreCheckedAsAnthropicChecksThem() throws Exception {
            HttpResponse<String> noKey = send(post(fake, "/v1/messages", ANTHROPIC.formatted(""),
                    "anthropic-version", "2023-06-01"));
            assertThat(noKey.statusCode()).isEqualTo(401);
            assertThat(json(noKey).path("error").path("type").asText()).isEqualTo("authentication_error");

            HttpResponse<String> noVersion = send(post(fake, "/v1/messages", ANTHROPIC.formatted(""), "x-api-key", "k"));
            assertThat(noVersion.statusCode()).isEqualTo(400);
            assertThat(json(noVersion).path("error").path("message").asText()).contains("anthropic-version");

            HttpResponse<String> noMax = send(post(fake, "/v1/messages",
                    "{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}", "x-api-key", "k", "anthropic-version", "2023-06-01"));
            assertThat(noMax.statusCode()).isEqualTo(400);
            assertThat(json(noMax).path("error").path("message").asText()).startsWith("max_tokens");
            assertThat(json(noMax).path("type").asText()).isEqualTo("error");
        }
    }

    // ---- Gemini ----

    @Nested
    class Gemini {

        @Test
        void generateContentEchoesThePathModel() throws Exception {
            HttpResponse<String> r = gemini("generateContent");
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode b = json(r);
            assertThat(b.path("modelVersion").asText()).isEqualTo("gemini-2.0-flash");
            assertThat(b.path("candidates").get(0).path("content").path("parts").get(0).path("text").asText())
                    .contains("Mountain View");
            assertThat(b.path("usageMetadata").path("candidatesTokenCount").asInt()).isEqualTo(22);
        }

        @Test
        void streamWithAltSseIsServerSentEvents() throws Exception {
            List<JsonNode> frames = jsonFrames(events(gemini("streamGenerateContent?alt=sse")));
            assertThat(frames).hasSize(3);
            assertThat(frames.getLast().path("candidates").get(0).path("finishReason").asText()).isEqualTo("STOP");
            assertThat(frames.getLast().path("usageMetadata").path("totalTokenCount").asInt()).isEqualTo(17);
        }

        @Test
        void streamWithoutAltIsAJsonArray() throws Exception {
            HttpResponse<String> r = gemini("streamGenerateContent");
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(
                    ct -> assertThat(ct).startsWith("application/json"));
            JsonNode array = json(r);
            assertThat(array.isArray()).isTrue();
            assertThat(array).hasSize(3);
        }

        @Test
        void keyMayComeAsQueryParameter() throws Exception {
            HttpResponse<String> r = send(post(fake, "/v1beta/models/gemini-2.5-flash:generateContent?key=AIza", GEMINI));
            assertThat(r.statusCode()).isEqualTo(200);
            HttpResponse<String> none = send(post(fake, "/v1beta/models/gemini-2.5-flash:generateContent", GEMINI));
            assertThat(none.statusCode()).isEqualTo(403);
            assertThat(json(none).path("error").path("status").asText()).isEqualTo("PERMISSION_DENIED");
            HttpResponse<String> noContents = send(post(fake, "/v1beta/models/gemini-2.5-flash:generateContent?key=k",
                    "{\"contents\":[]}"));
            assertThat(noContents.statusCode()).isEqualTo(400);
            assertThat(json(noContents).path("error").path("status").asText()).isEqualTo("INVALID_ARGUMENT");
        }

        @Test
        void scenariosInGeminisFormat() throws Exception {
            JsonNode cached = json(gemini("generateContent", "x-fake-scenario", "cached"));
            assertThat(cached.path("usageMetadata").path("cachedContentTokenCount").asInt()).isEqualTo(11243);
            List<JsonNode> cachedStream = jsonFrames(events(gemini("streamGenerateContent?alt=sse",
                    "x-fake-scenario", "cached")));
            assertThat(cachedStream.getFirst().path("usageMetadata").path("thoughtsTokenCount").asInt()).isEqualTo(73);

            JsonNode tool = json(gemini("generateContent", "x-fake-scenario", "tool-call"));
            assertThat(tool.path("candidates").get(0).path("content").path("parts").get(0).path("functionCall")
                    .path("args").path("x").asInt()).isEqualTo(4);
            List<JsonNode> toolStream = jsonFrames(events(gemini("streamGenerateContent?alt=sse",
                    "x-fake-scenario", "tool-call")));
            assertThat(toolStream.getFirst().path("candidates").get(0).path("content").path("parts").get(0)
                    .path("functionCall").path("name").asText()).isEqualTo("getTemperature");

            assertThat(json(gemini("generateContent", "x-fake-scenario", "no-usage")).has("usageMetadata")).isFalse();
            assertThat(jsonFrames(events(gemini("streamGenerateContent?alt=sse", "x-fake-scenario", "no-usage"))))
                    .noneMatch(f -> f.has("usageMetadata"));

            HttpResponse<String> limited = gemini("generateContent", "x-fake-scenario", "rate-limit");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("retry-after")).hasValue("1");
            assertThat(json(limited).path("error").path("status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
            HttpResponse<String> unavailable = gemini("generateContent", "x-fake-scenario", "server-error:503");
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(json(unavailable).path("error").path("status").asText()).isEqualTo("UNAVAILABLE");
        }

        @Test
        void brokenStreamCutsTheConnection() throws Exception {
            HttpResponse<Stream<String>> r = HTTP.send(post(fake,
                    "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", GEMINI, "x-goog-api-key", "k",
                    "x-fake-scenario", "broken-stream").build(), HttpResponse.BodyHandlers.ofLines());
            assertThatThrownBy(() -> r.body().forEach(l -> { })).isInstanceOf(UncheckedIOException.class);
        }
    }

    // ---- cross-cutting ----

    @Test
    void sequencesPlayScenariosInOrderPerSequenceId() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(openai("", "x-fake-scenario", "rate-limit,server-error:503,ok", "x-fake-sequence-id", "seq-a")
                    .statusCode());
        }
        assertThat(statuses).containsExactly(429, 503, 200, 200);
        assertThat(openai("", "x-fake-scenario", "rate-limit,server-error:503,ok", "x-fake-sequence-id", "seq-b")
                .statusCode()).isEqualTo(429);
        assertThat(anthropic("", "x-fake-scenario", "server-error:529,ok", "x-fake-sequence-id", "seq-c").statusCode())
                .isEqualTo(529);
        assertThat(anthropic("", "x-fake-scenario", "server-error:529,ok", "x-fake-sequence-id", "seq-c").statusCode())
                .isEqualTo(200);
    }

    @Test
    void unknownRouteIs404() throws Exception {
        HttpResponse<String> r = send(post(fake, "/v2/nothing", "{}"));
        assertThat(r.statusCode()).isEqualTo(404);
        HttpResponse<String> wrongMethod = HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl()
                + "/v1/chat/completions")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
    }

    @Test
    void countsAndRecordsWhatItReceived() throws Exception {
        try (FakeUpstream own = FakeUpstream.start()) {
            openai(own, "", "x-trace", "t-1");
            openai(own, ",\"stream\":true", "x-trace", "t-2");
            anthropic(own, "");
            gemini(own, "generateContent");
            send(post(own, "/v1/chat/completions", "{}")); // refused, still counted
            assertThat(own.requestCount(Route.OPENAI_CHAT)).isEqualTo(3);
            assertThat(own.requestCount(Route.ANTHROPIC_MESSAGES)).isEqualTo(1);
            assertThat(own.requestCount(Route.GEMINI_GENERATE)).isEqualTo(1);
            assertThat(own.requestCount(Route.GEMINI_STREAM)).isZero();
            assertThat(own.requestCounts()).containsEntry(Route.OPENAI_EMBEDDINGS, 0L);
            assertThat(own.recentRequests()).hasSize(5);

            RecordedRequest anth = own.lastRequest(Route.ANTHROPIC_MESSAGES).orElseThrow();
            assertThat(anth.header("X-Api-Key")).hasValue("sk-ant-test");
            assertThat(anth.header("anthropic-version")).hasValue("2023-06-01");
            assertThat(JSON.readTree(anth.body()).path("max_tokens").asInt()).isEqualTo(256);
            assertThat(anth.scenario()).isEqualTo(Scenario.OK);

            RecordedRequest gem = own.lastRequest(Route.GEMINI_GENERATE).orElseThrow();
            assertThat(gem.path()).isEqualTo("/v1beta/models/gemini-2.0-flash:generateContent");
            assertThat(own.recentRequests().get(1).header("x-trace")).hasValue("t-2");
            assertThat(own.recentRequests().get(1).body()).contains("\"stream\":true");

            own.reset();
            assertThat(own.requestCount(Route.OPENAI_CHAT)).isZero();
            assertThat(own.lastRequest(Route.OPENAI_CHAT)).isEmpty();
        }
    }

    @Test
    void syntheticModeAnswersConfiguredChunksInEveryFormat() throws Exception {
        FakeUpstream.Options options = FakeUpstream.Options.defaults().withDefaultScenario(Scenario.of(
                Scenario.Kind.SYNTHETIC)).withSyntheticChunks(5).withStreamChunkInterval(Duration.ofMillis(2));
        try (FakeUpstream synthetic = FakeUpstream.start(options)) {
            List<JsonNode> chunks = jsonFrames(events(openai(synthetic,
                    ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")));
            assertThat(openAiText(chunks)).isEqualTo("The quick brown fox jumps");
            assertThat(chunks).hasSize(1 + 5 + 1 + 1);
            assertThat(chunks.getLast().path("usage").path("completion_tokens").asInt()).isEqualTo(5);
            assertThat(chunks.getFirst().path("model").asText()).isEqualTo("gpt-4o-mini");

            JsonNode body = json(openai(synthetic, ""));
            assertThat(body.path("choices").get(0).path("message").path("content").asText())
                    .isEqualTo("The quick brown fox jumps");
            assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(10);

            List<Event> anth = events(anthropic(synthetic, ",\"stream\":true"));
            assertThat(anthropicText(anth, "text_delta", "text")).isEqualTo("The quick brown fox jumps");
            assertThat(anth.getFirst().json().path("message").path("model").asText()).isEqualTo("claude-sonnet-4-5");
            assertThat(json(anthropic(synthetic, "")).path("usage").path("output_tokens").asInt()).isEqualTo(5);

            List<JsonNode> gem = jsonFrames(events(gemini(synthetic, "streamGenerateContent?alt=sse")));
            assertThat(gem).hasSize(5);
            assertThat(gem.getLast().path("usageMetadata").path("candidatesTokenCount").asInt()).isEqualTo(5);
            assertThat(json(gemini(synthetic, "generateContent")).path("candidates").get(0).path("content")
                    .path("parts").get(0).path("text").asText()).isEqualTo("The quick brown fox jumps");

            // A per-request header still wins over the default.
            assertThat(openai(synthetic, "", "x-fake-scenario", "rate-limit").statusCode()).isEqualTo(429);
        }
    }

    @Test
    void pacedStreamsStillCompleteWithLatency() throws Exception {
        FakeUpstream.Options options = FakeUpstream.Options.defaults().withLatency(Duration.ofMillis(5))
                .withStreamChunkInterval(Duration.ofMillis(3));
        try (FakeUpstream paced = FakeUpstream.start(options)) {
            List<Event> events = events(openai(paced, ",\"stream\":true"));
            assertThat(events.getLast().data()).isEqualTo("[DONE]");
            assertThat(openAiText(jsonFrames(events))).endsWith("weather app.");
        }
    }
}
