package dev.tokenrt.chat;

import dev.tokenrt.usage.Usage;
import java.util.Objects;

/**
 * One event of a streamed response in the neutral model. Codecs decode a provider's stream into these and
 * encode them into the client's format; accounting reads them as they pass.
 */
public sealed interface ChatEvent {

    /** The stream has begun. */
    record Start(String id, String model, long created) implements ChatEvent {
        public Start {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(model, "model");
        }
    }

    record TextDelta(String text) implements ChatEvent {
        public TextDelta {
            Objects.requireNonNull(text, "text");
        }
    }

    record ThinkingDelta(String text, String signature) implements ChatEvent {
        public ThinkingDelta {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(signature, "signature");
        }
    }

    /** A tool call begins; {@code index} numbers the calls of this response from 0. */
    record ToolCallStart(int index, String id, String name) implements ChatEvent {
        public ToolCallStart {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
        }
    }

    /** More JSON text of a tool call's arguments. */
    record ToolCallDelta(int index, String argumentsDelta) implements ChatEvent {
        public ToolCallDelta {
            Objects.requireNonNull(argumentsDelta, "argumentsDelta");
        }
    }

    record Finish(StopReason reason) implements ChatEvent {
        public Finish {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The provider's final usage for the whole stream (already merged across the provider's own events). */
    record UsageReport(Usage usage) implements ChatEvent {
        public UsageReport {
            Objects.requireNonNull(usage, "usage");
        }
    }
}
