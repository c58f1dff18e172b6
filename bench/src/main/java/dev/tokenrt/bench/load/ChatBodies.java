package dev.tokenrt.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.tokens.Tokenizer;
import dev.tokenrt.tokens.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * OpenAI chat-completions bodies of a chosen prompt size for the load runs. The prompt is English prose: a
 * committed paragraph (prompt-paragraph.txt, written for this project) taken sentence by sentence, round and
 * round, until it holds the requested number of o200k tokens, so that the gateway counts real words rather than
 * one repeated character.
 */
public final class ChatBodies {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String RESOURCE = "prompt-paragraph.txt";

    /**
     * A body and what is in it.
     *
     * @param json          the request body
     * @param promptTokens  o200k tokens of the user message
     */
    public record Body(byte[] json, int promptTokens) {
        public Body {
            json = json.clone();
        }

        @Override
        public byte[] json() {
            return json.clone();
        }
    }

    private ChatBodies() {
    }

    /** A system message and a user message of about {@code promptTokens} tokens; streamed with usage if asked. */
    public static Body chat(String model, int promptTokens, boolean stream) {
        return chat(model, promptTokens, stream, "");
    }

    /** Stands in the body for the request's number (see {@link #numbered}). */
    static final String NUMBER = "@@N@@";

    /**
     * Bodies like {@link #chat}'s whose user message begins with the request's number, taken from {@code next}, so
     * that no two requests have the same prompt and no cache can answer one: what a cache lookup that misses
     * costs is then part of every request.
     */
    public static LoadGenerator.Bodies numbered(String model, int promptTokens, boolean stream, AtomicLong next) {
        byte[] json = chat(model, promptTokens, stream, "Request " + NUMBER + ". ").json();
        String text = new String(json, StandardCharsets.UTF_8);
        int at = text.indexOf(NUMBER);
        byte[] head = text.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] tail = text.substring(at + NUMBER.length()).getBytes(StandardCharsets.UTF_8);
        return () -> {
            byte[] n = Long.toString(next.getAndIncrement()).getBytes(StandardCharsets.US_ASCII);
            return Buffer.buffer(head.length + n.length + tail.length).appendBytes(head).appendBytes(n).appendBytes(tail);
        };
    }

    private static Body chat(String model, int promptTokens, boolean stream, String lead) {
        Tokenizer o200k = Tokenizers.defaults().forEncoding("o200k_base");
        String prompt = prose(promptTokens, o200k);
        ObjectNode root = JSON.createObjectNode().put("model", model);
        ArrayNode messages = root.putArray("messages");
        messages.addObject().put("role", "system").put("content", "You are a concise assistant. Answer in one paragraph.");
        messages.addObject().put("role", "user").put("content", lead + "Summarise the following text.\n\n" + prompt);
        root.put("max_tokens", 256);
        // Deterministic, so that a response cache looks every request up (its default caches temperature 0 only).
        root.put("temperature", 0);
        if (stream) {
            root.put("stream", true);
            root.putObject("stream_options").put("include_usage", true);
        }
        try {
            return new Body(JSON.writeValueAsBytes(root), o200k.countTokens(prompt));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sentences of the paragraph, round and round, until at least {@code tokens} tokens (summed by sentence). */
    static String prose(int tokens, Tokenizer tokenizer) {
        List<String> sentences = List.of(paragraph().strip().split("(?<=[.?!])\\s+"));
        StringBuilder sb = new StringBuilder();
        int count = 0;
        int i = 0;
        while (count < tokens) {
            String s = sentences.get(i % sentences.size());
            if (i > 0) {
                sb.append(i % sentences.size() == 0 ? "\n\n" : " ");
            }
            sb.append(s);
            count += tokenizer.countTokens(s);
            i++;
        }
        return sb.toString();
    }

    static String paragraph() {
        try (InputStream in = ChatBodies.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
