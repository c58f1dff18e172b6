package dev.tokenrt.pipeline;

import dev.tokenrt.chat.ChatResponse;
import java.util.Objects;

/** How a request ended, as the pipeline hands it back to the face that will write it to the client. */
public sealed interface Outcome {

    /** The exchange as the last step that touched it saw it: route, decisions, counts. */
    Exchange exchange();

    /**
     * A complete response.
     *
     * @param usageReported false when the provider sent no usage and the figures were counted locally
     * @param costNanos     what it cost once settled, in nano-USD (0 before settling or when unpriced)
     */
    record Complete(ChatResponse response, Exchange exchange, boolean usageReported, long costNanos) implements Outcome {
        public Complete {
            Objects.requireNonNull(response, "response");
            Objects.requireNonNull(exchange, "exchange");
        }

        public Complete(ChatResponse response, Exchange exchange, boolean usageReported) {
            this(response, exchange, usageReported, 0);
        }
    }

    /** A stream the face pulls and writes chunk by chunk. */
    record Streamed(EventStream events, Exchange exchange) implements Outcome {
        public Streamed {
            Objects.requireNonNull(events, "events");
            Objects.requireNonNull(exchange, "exchange");
        }
    }

    /** A failure answered in the caller's error format. */
    record Failed(GatewayError error, Exchange exchange) implements Outcome {
        public Failed {
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(exchange, "exchange");
        }
    }
}
