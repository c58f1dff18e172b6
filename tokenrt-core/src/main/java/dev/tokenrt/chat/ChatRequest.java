package dev.tokenrt.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A chat request in the neutral model that the whole pipeline speaks. Provider formats (OpenAI chat,
 * Anthropic messages, Gemini generateContent) are translated to it at the edge, and from it on the way out.
 *
 * <p>Parameters that every provider understands are typed fields. Everything else the client sent
 * (OpenAI's {@code logit_bias}, Anthropic's {@code thinking}, …) stays in {@code extra} under the wire name
 * of {@code sourceFormat}: it is passed through when the upstream speaks that same format, and it is part
 * of the exact-cache key, because it can change the output.
 *
 * @param model        the model as the client named it (aliases are resolved later, in routing)
 * @param messages     the conversation; system prompts are messages with role SYSTEM
 * @param tools        tool definitions, possibly empty
 * @param toolChoice   how tools may be used; empty when the client did not say
 * @param maxTokens    the output cap the client asked for; empty when absent (the model's maximum applies)
 * @param temperature  sampling temperature, empty when absent
 * @param topP         nucleus sampling, empty when absent
 * @param stop         stop sequences
 * @param seed         sampling seed, empty when absent
 * @param responseFormat OpenAI-style {@code response_format} (json_object / json_schema), empty when absent
 * @param stream       whether the client wants a stream
 * @param includeUsage whether a streaming client asked to see the usage event (OpenAI {@code stream_options.include_usage})
 * @param user         the end-user id the client passed (OpenAI {@code user}, Anthropic {@code metadata.user_id}), empty if none
 * @param sourceFormat the format the request arrived in ({@code openai.chat}, {@code anthropic.messages}, {@code gemini})
 * @param extra        provider-specific parameters, not translated
 */
public record ChatRequest(
        String model,
        List<Message> messages,
        List<Tool> tools,
        Optional<ToolChoice> toolChoice,
        OptionalInt maxTokens,
        Optional<Double> temperature,
        Optional<Double> topP,
        List<String> stop,
        Optional<Long> seed,
        Optional<JsonNode> responseFormat,
        boolean stream,
        boolean includeUsage,
        String user,
        String sourceFormat,
        ObjectNode extra) {

    public ChatRequest {
        Objects.requireNonNull(model, "model");
        messages = List.copyOf(messages);
        tools = List.copyOf(tools);
        Objects.requireNonNull(toolChoice, "toolChoice");
        Objects.requireNonNull(maxTokens, "maxTokens");
        Objects.requireNonNull(temperature, "temperature");
        Objects.requireNonNull(topP, "topP");
        stop = List.copyOf(stop);
        Objects.requireNonNull(seed, "seed");
        Objects.requireNonNull(responseFormat, "responseFormat");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(sourceFormat, "sourceFormat");
        extra = extra == null ? JsonNodeFactory.instance.objectNode() : extra.deepCopy();
    }

    /** A minimal request: one model, some messages, nothing else. */
    public static ChatRequest of(String model, List<Message> messages) {
        return new ChatRequest(model, messages, List.of(), Optional.empty(), OptionalInt.empty(), Optional.empty(),
                Optional.empty(), List.of(), Optional.empty(), Optional.empty(), false, false, "", "openai.chat",
                null);
    }

    public ChatRequest withModel(String newModel) {
        return new ChatRequest(newModel, messages, tools, toolChoice, maxTokens, temperature, topP, stop, seed,
                responseFormat, stream, includeUsage, user, sourceFormat, extra);
    }

    public ChatRequest withMaxTokens(int newMaxTokens) {
        return new ChatRequest(model, messages, tools, toolChoice, OptionalInt.of(newMaxTokens), temperature, topP,
                stop, seed, responseFormat, stream, includeUsage, user, sourceFormat, extra);
    }

    public ChatRequest withMessages(List<Message> newMessages) {
        return new ChatRequest(model, newMessages, tools, toolChoice, maxTokens, temperature, topP, stop, seed,
                responseFormat, stream, includeUsage, user, sourceFormat, extra);
    }
}
