package dev.tokenrt.chat;

import java.util.Objects;

/**
 * One piece of a message's content, in the neutral model every provider format is translated to and from.
 * A closed set: a codec that meets something else keeps it in the request's provider extras or rejects it.
 */
public sealed interface Part permits Part.Text, Part.Image, Part.ToolCall, Part.ToolResult, Part.Thinking {

    /**
     * The characters of the part's strings: what sizes a buffer or weighs a cache entry without encoding the part
     * (a UTF-8 encoding takes one to three bytes a character).
     */
    default long chars() {
        return switch (this) {
            case Text t -> t.text().length();
            case Image i -> i.url().length() + i.detail().length();
            case ToolCall c -> c.id().length() + c.name().length() + c.arguments().length();
            case ToolResult r -> r.toolCallId().length() + r.content().length();
            case Thinking th -> th.text().length() + th.signature().length();
        };
    }

    record Text(String text) implements Part {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * An image given by URL; a {@code data:} URL carries the bytes inline.
     *
     * @param detail OpenAI's detail hint ({@code auto}, {@code low}, {@code high}); {@code auto} when not given
     */
    record Image(String url, String detail) implements Part {
        public Image {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** A call the assistant makes to a tool; {@code arguments} is JSON text exactly as the model produced it. */
    record ToolCall(String id, String name, String arguments) implements Part {
        public ToolCall {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(arguments, "arguments");
        }
    }

    /** The result of a tool call, sent back by the client. */
    record ToolResult(String toolCallId, String content, boolean error) implements Part {
        public ToolResult {
            Objects.requireNonNull(toolCallId, "toolCallId");
            Objects.requireNonNull(content, "content");
        }
    }

    /** Visible reasoning ("thinking") a model returned; {@code signature} is Anthropic's opaque proof, or empty. */
    record Thinking(String text, String signature) implements Part {
        public Thinking {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(signature, "signature");
        }
    }
}
