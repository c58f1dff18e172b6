package dev.tokenrt.chat;

import java.util.List;
import java.util.Objects;

/** One turn of a conversation. {@code name} is OpenAI's optional participant name, empty when absent. */
public record Message(Role role, List<Part> parts, String name) {

    public Message {
        Objects.requireNonNull(role, "role");
        parts = List.copyOf(parts);
        Objects.requireNonNull(name, "name");
    }

    public static Message text(Role role, String text) {
        return new Message(role, List.of(new Part.Text(text)), "");
    }

    /** The concatenated text parts, for counting and for cache comparison. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Part.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }
}
