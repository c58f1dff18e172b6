package dev.tokenrt.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.StopReason;

/**
 * One provider wire format, translated both ways to and from the neutral chat model, streams included. The
 * pipeline speaks only the neutral model; a face parses the client's request with the client's format,
 * writes the upstream request with the upstream's format, and on the way back parses with the upstream's
 * and writes with the client's. That is how an OpenAI client reaches a Claude or Gemini model, and an
 * Anthropic client an OpenAI model.
 *
 * <p>A closed set: the formats the gateway speaks. Implementations are immutable and thread-safe; stream
 * decoders and encoders they make are per-stream and stateful.
 */
public sealed interface WireFormat permits OpenAiChatFormat, AnthropicMessagesFormat, GeminiFormat {

    /** Id of the OpenAI chat completions format, as found in {@link ChatRequest#sourceFormat()}. */
    String OPENAI_CHAT = "openai.chat";
    /** Id of the Anthropic messages format. */
    String ANTHROPIC_MESSAGES = "anthropic.messages";
    /** Id of the Gemini generateContent format. */
    String GEMINI = "gemini";

    /** The format's id, the value {@link #parseRequest} puts in {@link ChatRequest#sourceFormat()}. */
    String id();

    /** Translates a client's request body; throws {@link FormatException} (400, with the param) when it is invalid. */
    ChatRequest parseRequest(JsonNode body);

    /**
     * The body to send upstream in this format. Provider-specific parameters ({@link ChatRequest#extra()}) are
     * passed through only when the request arrived in this same format.
     */
    ObjectNode writeRequest(ChatRequest req, String upstreamModel);

    /**
     * Translates an upstream response body. Usage goes through {@link dev.tokenrt.usage.UsageParser}; when the
     * provider reported none, {@link ParsedResponse#usageReported()} is false and the caller counts locally.
     * A body that is the provider's error object is thrown as {@link ProviderErrorException}.
     */
    ParsedResponse parseResponse(JsonNode body);

    /**
     * The response body a client of this format expects, naming the model as the client did. The provider's
     * id is kept when it is of this format's kind ({@code chatcmpl-…}, {@code msg_…}); otherwise an id of
     * this format's kind is made, so that clients never see another provider's id scheme.
     */
    ObjectNode writeResponse(ChatResponse resp, String clientModel);

    /** A decoder for one upstream stream in this format. */
    StreamDecoder newStreamDecoder();

    /** An encoder for one client stream in this format, honouring the client's request (for example include_usage). */
    StreamEncoder newStreamEncoder(ChatRequest clientRequest, String clientModel);

    /**
     * An error body in this format's own shape.
     *
     * @param type  the error type in this format's vocabulary; empty for {@link #errorType(int)} of the status
     * @param param the offending request parameter, empty when none (only OpenAI's shape carries it)
     * @param code  a machine-readable code, empty when none (only OpenAI's shape carries it)
     */
    ObjectNode error(int httpStatus, String type, String message, String param, String code);

    /** This format's error type (or status name) for an HTTP status. */
    String errorType(int httpStatus);

    /** The error body for a request this format (or another) refused. */
    default ObjectNode error(FormatException e) {
        return error(e.status(), "", e.getMessage(), e.param(), "");
    }

    /** This format's name for a neutral stop reason. */
    String stopReason(StopReason reason);

    /** The neutral stop reason for this format's name; {@code UNKNOWN} for null, empty or unknown names. */
    StopReason stopReason(String wireReason);

    /** The default instance of the format with this id. */
    static WireFormat forId(String id) {
        return switch (id) {
            case OPENAI_CHAT -> new OpenAiChatFormat();
            case ANTHROPIC_MESSAGES -> new AnthropicMessagesFormat();
            case GEMINI -> new GeminiFormat();
            default -> throw new IllegalArgumentException("unknown wire format: " + id);
        };
    }
}
