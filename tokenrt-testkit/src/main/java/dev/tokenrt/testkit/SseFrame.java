package dev.tokenrt.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One server-sent event of a recorded stream: an optional {@code event:} name and its {@code data:}.
 * Parsing and writing SSE by hand: the format is a few lines of text and no dependency of this module
 * writes it.
 */
record SseFrame(Optional<String> event, String data) {

    static SseFrame data(String data) {
        return new SseFrame(Optional.empty(), data);
    }

    static SseFrame named(String event, String data) {
        return new SseFrame(Optional.of(event), data);
    }

    String wire() {
        return event.map(e -> "event: " + e + "\n").orElse("") + "data: " + data + "\n\n";
    }

    /** Splits a recorded stream on blank lines; comment lines and fields other than event and data are dropped. */
    static List<SseFrame> parse(String text) {
        List<SseFrame> frames = new ArrayList<>();
        for (String block : text.replace("\r\n", "\n").split("\n\n")) {
            String event = null;
            StringBuilder data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
            }
            if (data != null) {
                frames.add(new SseFrame(Optional.ofNullable(event), data.toString()));
            }
        }
        return List.copyOf(frames);
    }
}
