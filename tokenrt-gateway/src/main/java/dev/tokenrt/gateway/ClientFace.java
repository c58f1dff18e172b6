package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.provider.FormatException;
import dev.tokenrt.provider.StreamEncoder;
import dev.tokenrt.provider.WireFormat;
import java.util.List;

/**
 * The gateway's side of one client API (OpenAI chat completions, Anthropic messages): how its requests are
 * read, and how responses, streams and errors are written back in that API's own shapes, over the codec
 * for that wire format.
 */
final class ClientFace {

    private final WireFormat format;

    ClientFace(WireFormat format) {
        this.format = format;
    }

    /** The format id the neutral request records as its source ({@code openai.chat}, {@code anthropic.messages}). */
    String formatId() {
        return format.id();
    }

    /** @throws BadRequest when the body is not a valid request of this API */
    ChatRequest parse(JsonNode body) {
        try {
            return format.parseRequest(body);
        } catch (FormatException e) {
            throw new BadRequest(e.getMessage(), e.param());
        }
    }

    ObjectNode response(ChatResponse response, String clientModel) {
        return format.writeResponse(response, clientModel);
    }

    /** A fresh encoder for one stream. */
    StreamWriter stream(ChatRequest request, String clientModel) {
        return new StreamWriter(format.newStreamEncoder(request, clientModel));
    }

    /**
     * The error body. Budget denials on OpenAI routes use OpenAI's own quota type ({@code insufficient_quota}),
     * which its SDKs and users already recognise; everything else takes the format's type for the status.
     */
    ObjectNode error(GatewayError error) {
        String type = error.kind() == GatewayError.Kind.BUDGET_EXCEEDED && format.id().equals(WireFormat.OPENAI_CHAT)
                ? "insufficient_quota" : "";
        return format.error(error.status(), type, error.message(), error.param(), error.code());
    }

    /** Turns neutral stream events into this API's SSE frames, each a complete {@code event:/data:} block. */
    final class StreamWriter {
        private final StreamEncoder encoder;

        StreamWriter(StreamEncoder encoder) {
            this.encoder = encoder;
        }

        List<String> frames(ChatEvent event) {
            return encoder.encode(event);
        }

        /** Frames that close the stream (OpenAI's {@code [DONE]}, Anthropic's {@code message_stop}). */
        List<String> end() {
            return encoder.end();
        }

        /** A frame reporting a failure mid-stream, in this API's error shape. */
        String error(GatewayError e) {
            ObjectNode body = ClientFace.this.error(e);
            String data = body.toString();
            return format.id().equals(WireFormat.ANTHROPIC_MESSAGES)
                    ? "event: error\ndata: " + data + "\n\n" : "data: " + data + "\n\n";
        }
    }

    /** The body is not a valid request; names the parameter at fault. */
    static final class BadRequest extends RuntimeException {
        final String param;

        BadRequest(String message, String param) {
            super(message);
            this.param = param;
        }
    }
}
