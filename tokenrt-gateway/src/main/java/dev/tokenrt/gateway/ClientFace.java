package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.ChatEvent;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.pipeline.GatewayError;
import java.util.List;

/**
 * The gateway's side of one client API (OpenAI chat completions, Anthropic messages): how its requests are
 * read, and how responses, streams and errors are written back in that API's own shapes.
 */
interface ClientFace {

    /** The format id the neutral request records as its source ({@code openai.chat}, {@code anthropic.messages}). */
    String formatId();

    /** @throws BadRequest when the body is not a valid request of this API */
    ChatRequest parse(JsonNode body);

    ObjectNode response(ChatResponse response, String clientModel);

    /** A fresh encoder for one stream. */
    StreamWriter stream(ChatRequest request, String clientModel);

    ObjectNode error(GatewayError error);

    /** Turns neutral stream events into this API's SSE frames, each a complete {@code event:/data:} block. */
    interface StreamWriter {
        List<String> frames(ChatEvent event);

        /** Frames that close the stream (OpenAI's {@code [DONE]}). */
        List<String> end();

        /** A frame reporting a failure mid-stream, in this API's error shape. */
        String error(GatewayError error);
    }

    /** The body is not a valid request; names the parameter at fault. */
    final class BadRequest extends RuntimeException {
        final String param;

        BadRequest(String message, String param) {
            super(message);
            this.param = param;
        }
    }
}
