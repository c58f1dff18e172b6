package dev.tokenrt.provider;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.sse.SseParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.usage.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads the recorded provider data copied into src/test/resources/codec-fixtures (see the NOTICE there). */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static Path root() {
        URL url = Fixtures.class.getResource("/codec-fixtures/NOTICE");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }

    static String text(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String relative) {
        try {
            return JSON.readTree(text(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files under a folder whose names end with one of the suffixes, as paths relative to the fixture root. */
    static List<String> list(String folder, String... suffixes) {
        try (Stream<Path> files = Files.walk(path(folder))) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> Stream.of(suffixes).anyMatch(s -> p.getFileName().toString().endsWith(s)))
                    .map(p -> root().relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The SSE events of a recorded stream: a raw SSE body, or (the Vercel AI SDK's {@code .chunks.txt}) one JSON
     * chunk a line without the {@code data:} prefix.
     */
    static List<SseEvent> events(String relative) {
        String body = text(relative);
        if (relative.endsWith(".chunks.txt")) {
            return body.lines().filter(l -> !l.isBlank()).map(l -> new SseEvent("", l)).toList();
        }
        return SseParser.parseAll(body);
    }

    /** What a decoder made of a stream, folded the way a client would fold it. */
    record Decoded(List<ChatEvent> events, String text, String thinking, List<String> signatures,
            Map<Integer, ToolCall> toolCalls, StopReason stop, List<Usage> usages, List<ChatEvent.Start> starts) {

        record ToolCall(String id, String name, String arguments) {
        }

        Usage usage() {
            return usages.get(0);
        }
    }

    static Decoded decode(WireFormat format, List<SseEvent> events) {
        StreamDecoder decoder = format.newStreamDecoder();
        List<ChatEvent> out = new ArrayList<>();
        for (SseEvent e : events) {
            out.addAll(decoder.decode(e));
        }
        out.addAll(decoder.end());
        return fold(out);
    }

    static Decoded fold(List<ChatEvent> out) {
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        List<String> signatures = new ArrayList<>();
        Map<Integer, String[]> calls = new LinkedHashMap<>();
        StopReason stop = null;
        List<Usage> usages = new ArrayList<>();
        List<ChatEvent.Start> starts = new ArrayList<>();
        for (ChatEvent e : out) {
            switch (e) {
                case ChatEvent.Start s -> starts.add(s);
                case ChatEvent.TextDelta t -> text.append(t.text());
                case ChatEvent.ThinkingDelta t -> {
                    thinking.append(t.text());
                    if (!t.signature().isEmpty()) {
                        signatures.add(t.signature());
                    }
                }
                case ChatEvent.ToolCallStart t -> calls.put(t.index(), new String[] {t.id(), t.name(), ""});
                case ChatEvent.ToolCallDelta t -> {
                    String[] call = calls.get(t.index());
                    if (call == null) {
                        throw new AssertionError("delta for tool call " + t.index() + " before its start");
                    }
                    call[2] += t.argumentsDelta();
                }
                case ChatEvent.Finish f -> {
                    if (stop != null) {
                        throw new AssertionError("two Finish events");
                    }
                    stop = f.reason();
                }
                case ChatEvent.UsageReport u -> usages.add(u.usage());
            }
        }
        Map<Integer, Decoded.ToolCall> toolCalls = new LinkedHashMap<>();
        calls.forEach((i, c) -> toolCalls.put(i, new Decoded.ToolCall(c[0], c[1], c[2])));
        return new Decoded(List.copyOf(out), text.toString(), thinking.toString(), signatures, toolCalls, stop,
                usages, starts);
    }
}
