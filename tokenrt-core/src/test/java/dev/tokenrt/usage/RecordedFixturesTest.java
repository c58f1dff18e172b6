package dev.tokenrt.usage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every recorded provider fixture under {@code src/test/resources/fixtures} against the checked-in expectations in
 * {@code fixtures/expected-usage.json}. The expectations were written from the raw provider fields by a separate
 * script and hand-checked; nothing here derives an expected figure from the parser under test.
 */
class RecordedFixturesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> NOT_FIXTURES = Set.of("NOTICE", "LICENSE", "LICENSE-Apache-2.0",
            "expected-usage.json", "README.md", ".gitattributes");
    /** A token-count field with a number: a file containing one carries usage. */
    private static final Pattern USAGE_FIELD = Pattern.compile(
            "\\\\?\"(prompt_tokens|input_tokens|promptTokenCount|candidatesTokenCount|total_input_tokens)\\\\?\"\\s*:\\s*\\d");

    private static Path root;
    private static Map<String, JsonNode> expected;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        Path file = Path.of(RecordedFixturesTest.class.getResource("/fixtures/expected-usage.json").toURI());
        root = file.getParent();
        JsonNode fixtures = JSON.readTree(file.toFile()).get("fixtures");
        Map<String, JsonNode> byPath = new TreeMap<>();
        fixtures.properties().forEach(e -> byPath.put(e.getKey(), e.getValue()));
        expected = byPath;
    }

    @Test
    void everyFixtureFileHasAnExpectationAndEveryExpectationAFile() throws IOException {
        Set<String> files = fixtureFiles();
        assertThat(files).as("fixture files").hasSizeGreaterThan(400);
        assertThat(new TreeSet<>(expected.keySet()))
                .as("expected-usage.json must list exactly the fixture files (add an entry for a new fixture)")
                .isEqualTo(files);
    }

    @Test
    void everyFixtureThatCarriesUsageExpectsUsageOrSaysWhyNot() throws IOException {
        List<String> uncovered = new ArrayList<>();
        for (String path : fixtureFiles()) {
            String text = read(path);
            JsonNode entry = expected.get(path);
            if (USAGE_FIELD.matcher(text).find() && !expectsUsage(entry) && !entry.has("reason")) {
                uncovered.add(path);
            }
        }
        assertThat(uncovered).as("files with token counts but no expected usage and no reason").isEmpty();
    }

    @Test
    void fixturesWithoutUsageAreAssertedToo() {
        long withoutUsage = expected.values().stream().filter(e -> !expectsUsage(e)).count();
        long withUsage = expected.values().stream().filter(RecordedFixturesTest::expectsUsage).count();
        assertThat(withoutUsage).as("error, safety-block and other fixtures without usage").isGreaterThan(70);
        assertThat(withUsage).as("fixtures with usage").isGreaterThan(300);
    }

    @TestFactory
    Stream<DynamicTest> eachFixture() {
        return expected.entrySet().stream()
                .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> check(e.getKey(), e.getValue())));
    }

    private static void check(String path, JsonNode entry) throws IOException {
        switch (entry.get("kind").asText()) {
            case "body" -> checkBody(path, parseOrNull(read(path)), entry);
            case "wiremock" -> checkBody(path, parseOrNull(read(path)).path("response").get("jsonBody"), entry);
            case "sse" -> checkSse(path, entry);
            case "chunks" -> checkChunks(path, entry);
            case "cassette" -> checkCassette(path, entry);
            case "malformed" -> checkMalformed(path, entry);
            case "excluded" -> assertThat(entry.path("reason").asText()).as("why " + path + " is excluded")
                    .hasSizeGreaterThan(20);
            default -> fail("unknown kind in expected-usage.json for " + path);
        }
    }

    private static void checkBody(String path, JsonNode body, JsonNode entry) {
        Optional<UsageParser.Detected> detected = UsageParser.detect(body);
        JsonNode usage = entry.get("usage");
        if (usage == null || usage.isNull()) {
            assertThat(detected).as(path + ": no usage").isEmpty();
            return;
        }
        assertThat(detected).as(path).isPresent();
        assertThat(detected.get().formatName()).as(path + " format").isEqualTo(entry.get("format").asText());
        assertThat(detected.get().usage()).as(path).isEqualTo(usage(usage));
        Usage direct = switch (detected.get().format()) {
            case GEMINI -> UsageParser.gemini(body.get("usageMetadata"));
            case GEMINI_INTERACTIONS -> UsageParser.geminiInteractions(body.get("usage"));
            case ANTHROPIC -> UsageParser.anthropic(body.get("usage"));
            case OPENAI_CHAT, OPENAI_RESPONSES -> UsageParser.openAi(body.get("usage"));
        };
        assertThat(direct).as(path + " through the format's own parser").isEqualTo(usage(usage));
        if (entry.has("iterations")) {
            assertThat(UsageParser.anthropicIterations(body.get("usage"))).as(path + " iterations")
                    .isEqualTo(iterations(entry.get("iterations")));
        }
    }

    /** Raw SSE text fed line by line, then the same text in awkward 7-character pieces: same result. */
    private static void checkSse(String path, JsonNode entry) throws IOException {
        UsageFormat format = format(entry);
        JsonNode responses = entry.get("responses");
        assertThat(responses.size()).as(path + ": one response per SSE file").isLessThanOrEqualTo(1);
        Optional<Usage> want = responses.isEmpty() || responses.get(0).isNull() ? Optional.empty()
                : Optional.of(usage(responses.get(0).get("usage")));
        String text = read(path);

        StreamUsage byLine = StreamUsage.of(format);
        for (String line : text.split("\n", -1)) {
            byLine.acceptLine(line); // keeps the CR of CRLF files: acceptLine must tolerate it
        }
        assertThat(byLine.finish()).as(path + " fed by line").isEqualTo(want);
        if (!responses.isEmpty() && responses.get(0).has("iterations")) {
            assertThat(((AnthropicStreamUsage) byLine).iterations()).as(path + " iterations")
                    .isEqualTo(iterations(responses.get(0).get("iterations")));
        }

        StreamUsage byPiece = StreamUsage.of(format);
        for (int i = 0; i < text.length(); i += 7) {
            byPiece.acceptText(text.substring(i, Math.min(text.length(), i + 7)));
        }
        assertThat(byPiece.finish()).as(path + " fed in 7-character pieces").isEqualTo(want);
    }

    /** One JSON chunk a line; a file may hold several responses back to back, each ends at its terminal event. */
    private static void checkChunks(String path, JsonNode entry) throws IOException {
        UsageFormat format = format(entry);
        List<Optional<Usage>> got = new ArrayList<>();
        List<List<UsageParser.AnthropicIteration>> gotIterations = new ArrayList<>();
        StreamUsage stream = StreamUsage.of(format);
        int fed = 0;
        for (String line : read(path).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            stream.accept(JSON.readTree(line));
            fed++;
            if (stream.finished()) {
                gotIterations.add(iterationsOf(stream));
                got.add(stream.finish());
                stream = StreamUsage.of(format);
                fed = 0;
            }
        }
        if (fed > 0) {
            gotIterations.add(iterationsOf(stream));
            got.add(stream.finish());
        }
        List<Optional<Usage>> want = new ArrayList<>();
        for (JsonNode response : entry.get("responses")) {
            want.add(response.isNull() ? Optional.empty() : Optional.of(usage(response.get("usage"))));
        }
        assertThat(got).as(path).isEqualTo(want);
        for (int i = 0; i < entry.get("responses").size(); i++) {
            JsonNode response = entry.get("responses").get(i);
            if (response.has("iterations")) {
                assertThat(gotIterations.get(i)).as(path + " iterations of response " + i)
                        .isEqualTo(iterations(response.get("iterations")));
            }
        }
    }

    /** Anthropic SDK cassettes: each exchange's body is a JSON message or an SSE string. */
    private static void checkCassette(String path, JsonNode entry) throws IOException {
        JsonNode exchanges = JSON.readTree(read(path));
        JsonNode want = entry.get("exchanges");
        assertThat(exchanges.size()).as(path + " exchanges").isEqualTo(want.size());
        for (int i = 0; i < exchanges.size(); i++) {
            JsonNode body = exchanges.get(i).path("response").get("body");
            JsonNode expectation = want.get(i);
            String where = path + " exchange " + i;
            if (body.isTextual()) {
                AnthropicStreamUsage stream = new AnthropicStreamUsage();
                stream.acceptText(body.asText());
                assertThat(stream.finished()).as(where + " reached message_stop").isTrue();
                assertThat(stream.finish()).as(where).isEqualTo(expectation.isNull() ? Optional.empty()
                        : Optional.of(usage(expectation.get("usage"))));
            } else {
                Optional<UsageParser.Detected> detected = UsageParser.detect(body);
                if (expectation.isNull()) {
                    assertThat(detected).as(where + ": an error, no usage").isEmpty();
                } else {
                    assertThat(detected).as(where).isPresent();
                    assertThat(detected.get().formatName()).isEqualTo(expectation.get("format").asText());
                    assertThat(detected.get().usage()).as(where).isEqualTo(usage(expectation.get("usage")));
                }
            }
        }
    }

    /** A recording with broken JSON must fail loudly, not pass as a stream without usage. */
    private static void checkMalformed(String path, JsonNode entry) throws IOException {
        assertThat(entry.path("reason").asText()).hasSizeGreaterThan(20);
        StreamUsage stream = StreamUsage.of(format(entry));
        assertThatThrownBy(() -> {
            for (String line : read(path).split("\n")) {
                stream.acceptLine("data: " + line);
                stream.acceptLine("");
            }
        }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not carry JSON");
    }

    private static List<UsageParser.AnthropicIteration> iterationsOf(StreamUsage stream) {
        return stream instanceof AnthropicStreamUsage anthropic ? anthropic.iterations() : List.of();
    }

    private static List<UsageParser.AnthropicIteration> iterations(JsonNode expectedIterations) {
        List<UsageParser.AnthropicIteration> result = new ArrayList<>();
        for (JsonNode it : expectedIterations) {
            Optional<String> model = it.has("model") ? Optional.of(it.get("model").asText()) : Optional.empty();
            result.add(new UsageParser.AnthropicIteration(it.get("type").asText(), model, usage(it)));
        }
        return result;
    }

    private static Usage usage(JsonNode e) {
        return new Usage(e.get("input").asLong(), e.get("output").asLong(), e.get("cacheRead").asLong(),
                e.get("cacheWrite5m").asLong(), e.get("cacheWrite1h").asLong(), e.get("reasoning").asLong(),
                UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    private static UsageFormat format(JsonNode entry) {
        String name = entry.get("format").asText();
        for (UsageFormat format : UsageFormat.values()) {
            if (format.wireName().equals(name)) {
                return format;
            }
        }
        throw new AssertionError("unknown format " + name);
    }

    private static boolean expectsUsage(JsonNode entry) {
        JsonNode usage = entry.get("usage");
        if (usage != null && usage.isObject()) {
            return true;
        }
        for (String list : List.of("responses", "exchanges")) {
            for (JsonNode item : entry.path(list)) {
                if (item.isObject()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static JsonNode parseOrNull(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }
    }

    private static String read(String path) throws IOException {
        return Files.readString(root.resolve(path), StandardCharsets.UTF_8);
    }

    private static Set<String> fixtureFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            Set<String> files = new TreeSet<>();
            walk.filter(Files::isRegularFile)
                    .filter(p -> !NOT_FIXTURES.contains(p.getFileName().toString()))
                    .forEach(p -> files.add(root.relativize(p).toString().replace('\\', '/')));
            return files;
        }
    }
}
