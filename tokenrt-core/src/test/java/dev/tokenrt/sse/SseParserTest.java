package dev.tokenrt.sse;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The event-stream rules {@link SseParser} follows, one rule a test. */
class SseParserTest {

    private static List<SseEvent> all(String text) {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>(parser.feed(text));
        parser.end().ifPresent(events::add);
        return events;
    }

    @Test
    void eventAndDataFieldsMakeAnEventAtTheBlankLine() {
        assertThat(all("event: message_start\ndata: {\"a\":1}\n\n"))
                .containsExactly(new SseEvent("message_start", "{\"a\":1}"));
    }

    @Test
    void anEventWithoutTypeIsAMessage() {
        assertThat(all("data: x\n\n")).containsExactly(new SseEvent("message", "x"));
    }

    @Test
    void multipleDataLinesAreJoinedWithLineFeeds() {
        assertThat(all("data: {\"a\":\ndata: 1}\n\n")).containsExactly(new SseEvent("message", "{\"a\":\n1}"));
    }

    @Test
    void onlyOneSpaceAfterTheColonIsDropped() {
        assertThat(all("data:x\n\ndata:  y\n\n"))
                .containsExactly(new SseEvent("message", "x"), new SseEvent("message", " y"));
    }

    @Test
    void commentsIdsRetriesAndUnknownFieldsAreIgnored() {
        assertThat(all(": keep-alive\nid: 7\nretry: 1000\nfoo: bar\n  \"error\": {\ndata: z\n\n"))
                .containsExactly(new SseEvent("message", "z"));
    }

    @Test
    void blankLinesWithoutDataDispatchNothingAndResetTheType() {
        assertThat(all("event: ping\n\n\n\ndata: q\n\n")).containsExactly(new SseEvent("message", "q"));
    }

    @Test
    void crlfAndLoneCrEndLinesToo() {
        assertThat(all("event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r"))
                .containsExactly(new SseEvent("a", "1"), new SseEvent("b", "2"));
    }

    @Test
    void aCrlfSplitBetweenTwoChunksIsOneLineEnd() {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>();
        events.addAll(parser.feed("data: 1\r"));
        events.addAll(parser.feed("\n\r"));
        events.addAll(parser.feed("\ndata: 2\r\n\r\n"));
        assertThat(events).containsExactly(new SseEvent("message", "1"), new SseEvent("message", "2"));
    }

    @Test
    void chunksSplitAnywhere() {
        String text = "event: message_delta\ndata: {\"usage\":{\"output_tokens\":6}}\n\ndata: [DONE]\n\n";
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>();
        for (char c : text.toCharArray()) {
            events.addAll(parser.feed(String.valueOf(c)));
        }
        assertThat(events).containsExactly(new SseEvent("message_delta", "{\"usage\":{\"output_tokens\":6}}"),
                new SseEvent("message", "[DONE]"));
        assertThat(events.get(1).isDone()).isTrue();
        assertThat(events.get(0).isDone()).isFalse();
    }

    @Test
    void lineByLineToleratesTheCrOfCrlfFiles() {
        SseParser parser = new SseParser();
        assertThat(parser.line("data: [DONE]\r")).isEmpty();
        assertThat(parser.line("\r")).contains(new SseEvent("message", "[DONE]"));
    }

    @Test
    void aLeadingByteOrderMarkIsDropped() {
        assertThat(all("\uFEFFdata: x\n\n")).containsExactly(new SseEvent("message", "x"));
    }

    @Test
    void endDispatchesAnEventMissingItsBlankLineAndAnUnterminatedLine() {
        assertThat(all("data: a\n")).containsExactly(new SseEvent("message", "a"));
        assertThat(all("data: b")).containsExactly(new SseEvent("message", "b"));
        assertThat(all("")).isEmpty();
    }

    @Test
    void anEmptyDataFieldStillMakesAnEvent() {
        assertThat(all("data:\n\n")).containsExactly(new SseEvent("message", ""));
    }
}
