package dev.tokenrt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The recorded fixtures are intact: every body is a JSON object, every stream frame is JSON, a NOTICE names them. */
class FixturesTest {

    static Path root() throws URISyntaxException {
        return Path.of(FixturesTest.class.getResource("/dev/tokenrt/testkit/fixtures/NOTICE").toURI()).getParent();
    }

    @Test
    void everyFixtureParsesAndIsNamedInTheNotice() throws IOException, URISyntaxException {
        Path root = root();
        String notice = Files.readString(root.resolve("NOTICE"));
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("NOTICE")).toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(20);
        for (Path f : files) {
            String name = root.relativize(f).toString().replace('\\', '/');
            assertThat(notice).as("NOTICE names %s", name).contains(name);
            if (name.endsWith(".json")) {
                assertThat(Fixtures.body(name).isObject()).isTrue();
            } else {
                assertThat(name).endsWith(".sse");
                List<SseFrame> frames = Fixtures.stream(name);
                assertThat(frames).as(name).isNotEmpty();
                for (SseFrame frame : frames) {
                    if (!frame.data().equals("[DONE]")) {
                        JsonNode node = Fixtures.parse(frame.data());
                        assertThat(node.isObject()).as(name).isTrue();
                        frame.event().ifPresent(e -> assertThat(node.path("type").asText()).isEqualTo(e));
                    }
                }
            }
        }
    }

    @Test
    void sseFramesRoundTrip() {
        List<SseFrame> frames = SseFrame.parse("event: ping\ndata: {\"type\": \"ping\"}\n\n: comment\ndata: [DONE]\n\n");
        assertThat(frames).containsExactly(SseFrame.named("ping", "{\"type\": \"ping\"}"), SseFrame.data("[DONE]"));
        assertThat(frames.getFirst().wire()).isEqualTo("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    }
}
