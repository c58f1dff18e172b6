package dev.tokenrt.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.chat.ToolChoice;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The exact-cache key of a request: a SHA-256 over a canonical form of everything that can change the
 * answer, and of nothing that cannot.
 *
 * <p><b>In the key:</b> the provider and the model actually asked (after aliases, fallbacks and degrade),
 * every message with its role, name and parts, the tools, the tool choice, the response format, every
 * sampling parameter ({@code max_tokens}, temperature, top_p, stop, seed) and every provider-specific
 * parameter the client sent ({@code extra}, e.g. logit_bias, reasoning_effort, Anthropic's thinking).
 * <b>Not in it:</b> the stream flag and stream options, the end-user id, metadata, store, prompt-cache hints
 * and the service tier: they change how or for whom an answer is delivered, not what it says.
 *
 * <p><b>Canonical form.</b> JSON values (tool schemas, tool-call arguments, response formats, extra
 * parameters) are hashed as their structure, not their text: object members in key order, numbers by value
 * ({@code 1}, {@code 1.0} and {@code 1e0} are one number), so whitespace, member order and number spelling
 * never split a key. Message text is hashed byte for byte: whitespace in a prompt can change the answer.
 * Tool-call ids are opaque strings the provider invents per call, so they are replaced by the order of their
 * first appearance: two runs of the same agent conversation share a key although their ids differ.
 *
 * <p>The encoding is a tagged, length-prefixed byte stream fed straight into the digest (nothing is built
 * in between), hand-written because no library in the build hashes a JSON tree canonically; it is
 * unambiguous, so two different requests never encode to the same bytes.
 *
 * <p>The semantic cache uses the same encoding in two halves: {@link #contextHash} covers everything but
 * the last user turn, and {@link #comparedText} is that turn's text, which is compared by meaning.
 */
public final class RequestFingerprint {

    /** Bumped whenever the encoding changes, so old entries are never read with a new meaning. */
    private static final byte VERSION = 1;
    /** Parameters in {@link ChatRequest#extra()} that never change the answer. */
    static final Set<String> IGNORED_EXTRA = Set.of("stream", "stream_options", "user", "metadata", "store",
            "prompt_cache_key", "prompt_cache_retention", "safety_identifier", "service_tier");
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private RequestFingerprint() {
    }

    /** The exact-cache hash of {@code request} sent to {@code provider} as {@code model}. */
    public static String exact(ChatRequest request, String provider, String model) {
        Encoder e = new Encoder();
        e.tag('X');
        header(e, request, provider, model);
        e.messages(request.messages(), request.messages().size());
        return e.finish();
    }

    /**
     * The hash of everything around the compared text: as {@link #exact} with the last user message left out
     * (messages after it, such as an assistant prefill, stay in). Empty when the request has no last user
     * message that is plain text, so it cannot be compared by meaning.
     */
    public static Optional<String> contextHash(ChatRequest request, String provider, String model) {
        int last = lastUserIndex(request);
        if (last < 0) {
            return Optional.empty();
        }
        Encoder e = new Encoder();
        e.tag('S');
        header(e, request, provider, model);
        List<Message> rest = new ArrayList<>(request.messages());
        rest.remove(last);
        e.messages(rest, last);
        return Optional.of(e.finish());
    }

    /** The last user turn's text, when it is text only; what the semantic cache compares. */
    public static Optional<String> comparedText(ChatRequest request) {
        int last = lastUserIndex(request);
        return last < 0 ? Optional.empty() : Optional.of(request.messages().get(last).text());
    }

    private static int lastUserIndex(ChatRequest request) {
        List<Message> ms = request.messages();
        for (int i = ms.size() - 1; i >= 0; i--) {
            Message m = ms.get(i);
            if (m.role() == Role.USER) {
                for (Part p : m.parts()) {
                    if (!(p instanceof Part.Text)) {
                        return -1;
                    }
                }
                return m.text().isBlank() ? -1 : i;
            }
        }
        return -1;
    }

    private static void header(Encoder e, ChatRequest r, String provider, String model) {
        e.str(provider);
        e.str(model);
        e.tag('T');
        e.num(r.tools().size());
        for (Tool t : r.tools()) {
            e.str(t.name());
            e.str(t.description());
            e.json(t.parameters());
        }
        switch (r.toolChoice().orElse(null)) {
            case null -> e.tag('0');
            case ToolChoice.Auto a -> e.tag('a');
            case ToolChoice.None n -> e.tag('n');
            case ToolChoice.Required q -> e.tag('r');
            case ToolChoice.Named n -> {
                e.tag('N');
                e.str(n.name());
            }
        }
        e.optional(r.maxTokens().isPresent() ? Optional.of(BigDecimal.valueOf(r.maxTokens().getAsInt())) : Optional.empty());
        e.optional(r.temperature().map(BigDecimal::valueOf));
        e.optional(r.topP().map(BigDecimal::valueOf));
        e.num(r.stop().size());
        r.stop().forEach(e::str);
        e.optional(r.seed().map(BigDecimal::valueOf));
        if (r.responseFormat().isPresent()) {
            e.tag('F');
            e.json(r.responseFormat().get());
        } else {
            e.tag('0');
        }
        // Provider-specific parameters are named in the client's wire format, so the format is part of the key
        // only when there are some.
        List<String> names = new ArrayList<>();
        r.extra().fieldNames().forEachRemaining(n -> {
            if (!IGNORED_EXTRA.contains(n)) {
                names.add(n);
            }
        });
        names.sort(null);
        e.num(names.size());
        if (!names.isEmpty()) {
            e.str(r.sourceFormat());
            for (String n : names) {
                e.str(n);
                e.json(r.extra().get(n));
            }
        }
    }

    /**
     * Cloned for each key: {@code MessageDigest.getInstance} looks the algorithm up among the security providers
     * every time (hundreds of bytes of garbage a request); a clone of a fresh digest is the same state for less.
     */
    private static final MessageDigest SHA256;

    static {
        try {
            SHA256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Strings longer than this many characters are hashed in chunks of it (see {@code Encoder.str}); shorter ones,
     * most prompts, keep the encoding and so the keys they always had.
     */
    static final int CHUNK_CHARS = 8192;

    /** A chunk's buffers and encoder (40 kB), kept for reuse as the codec keeps its deflaters. */
    private record Scratch(char[] chars, ByteBuffer bytes, CharsetEncoder utf8) {
        Scratch() {
            this(new char[CHUNK_CHARS], ByteBuffer.allocate(3 * CHUNK_CHARS), StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)); // '?', as String.getBytes writes
        }
    }

    private static final ArrayBlockingQueue<Scratch> SCRATCH = new ArrayBlockingQueue<>(4);

    /** Feeds the canonical encoding into SHA-256. */
    private static final class Encoder {
        private final MessageDigest digest;
        private final byte[] buf = new byte[9];
        private final Map<String, Integer> toolIds = new HashMap<>();
        /** The chunk buffers of long strings, taken on the first one and given back by {@link #finish}. */
        private Scratch scratch;

        Encoder() {
            try {
                digest = (MessageDigest) SHA256.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("the SHA-256 digest of this JDK cannot be cloned", e);
            }
            digest.update(VERSION);
        }

        void tag(char c) {
            digest.update((byte) c);
        }

        void num(long n) {
            buf[0] = 'i';
            for (int i = 0; i < 8; i++) {
                buf[1 + i] = (byte) (n >>> (56 - 8 * i));
            }
            digest.update(buf, 0, 9);
        }

        /**
         * A string: {@code num(utf8 length)} and its UTF-8 bytes; one longer than {@link #CHUNK_CHARS} characters
         * (a long prompt) as tag {@code 'C'}, then each chunk of at most that many characters as a string, then
         * {@code num(0)}. Encoding a 20,000-token prompt whole allocated its UTF-8 copy (up to three bytes a
         * character while encoding, when any character is not ASCII) on every request: the second-largest
         * allocation of a large request (JFR, chat-large at 100/s). The chunks go through pooled buffers. Chunks
         * never split a surrogate pair and are never empty, so the encoding stays unambiguous; the chunked form
         * starts with a tag no {@code num} starts with.
         */
        void str(String s) {
            if (s.length() <= CHUNK_CHARS) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                num(b.length);
                digest.update(b);
                return;
            }
            if (scratch == null) {
                scratch = SCRATCH.poll();
                if (scratch == null) {
                    scratch = new Scratch();
                }
            }
            char[] chars = scratch.chars();
            ByteBuffer bytes = scratch.bytes();
            CharsetEncoder utf8 = scratch.utf8();
            tag('C');
            int len = s.length();
            for (int from = 0; from < len; ) {
                int to = Math.min(len, from + CHUNK_CHARS);
                if (to < len && Character.isHighSurrogate(s.charAt(to - 1)) && Character.isLowSurrogate(s.charAt(to))) {
                    to--;
                }
                s.getChars(from, to, chars, 0);
                bytes.clear();
                utf8.reset();
                utf8.encode(CharBuffer.wrap(chars, 0, to - from), bytes, true);
                utf8.flush(bytes);
                bytes.flip();
                num(bytes.remaining());
                digest.update(bytes);
                from = to;
            }
            num(0);
        }

        void optional(Optional<BigDecimal> v) {
            if (v.isEmpty()) {
                tag('0');
            } else {
                tag('D');
                str(canonical(v.get()));
            }
        }

        void messages(List<Message> ms, int count) {
            tag('M');
            num(ms.size());
            for (Message m : ms) {
                tag(switch (m.role()) {
                    case SYSTEM -> 's';
                    case USER -> 'u';
                    case ASSISTANT -> 'a';
                    case TOOL -> 't';
                });
                str(m.name());
                num(m.parts().size());
                for (Part p : m.parts()) {
                    part(p);
                }
            }
        }

        private void part(Part p) {
            switch (p) {
                case Part.Text t -> {
                    tag('x');
                    str(t.text());
                }
                case Part.Image i -> {
                    tag('i');
                    str(i.url());
                    str(i.detail());
                }
                case Part.ToolCall c -> {
                    tag('c');
                    num(toolId(c.id()));
                    str(c.name());
                    arguments(c.arguments());
                }
                case Part.ToolResult r -> {
                    tag('r');
                    num(toolId(r.toolCallId()));
                    str(r.content());
                    tag(r.error() ? '1' : '0');
                }
                case Part.Thinking th -> {
                    tag('h');
                    str(th.text());
                    str(th.signature());
                }
            }
        }

        private int toolId(String id) {
            return toolIds.computeIfAbsent(id, k -> toolIds.size());
        }

        /** Tool-call arguments are JSON text: hash the structure when it parses, the text when it does not. */
        private void arguments(String text) {
            JsonNode n;
            try {
                n = text.isBlank() ? null : JSON.readTree(text);
            } catch (JsonProcessingException e) {
                n = null;
            }
            if (n == null || n.isMissingNode()) {
                tag('R');
                str(text);
            } else {
                tag('J');
                json(n);
            }
        }

        void json(JsonNode n) {
            switch (n.getNodeType()) {
                case OBJECT -> {
                    List<String> keys = new ArrayList<>(n.size());
                    n.fieldNames().forEachRemaining(keys::add);
                    keys.sort(null);
                    tag('{');
                    num(keys.size());
                    for (String k : keys) {
                        str(k);
                        json(n.get(k));
                    }
                }
                case ARRAY -> {
                    tag('[');
                    num(n.size());
                    for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                        json(it.next());
                    }
                }
                case STRING -> {
                    tag('"');
                    str(n.textValue());
                }
                case NUMBER -> {
                    tag('#');
                    // A double too large for its type arrives as infinity, which has no decimal value.
                    boolean finite = !(n.isDouble() || n.isFloat()) || Double.isFinite(n.doubleValue());
                    str(finite ? canonical(n.decimalValue()) : Double.toString(n.doubleValue()));
                }
                case BOOLEAN -> tag(n.booleanValue() ? 'T' : 'F');
                case NULL, MISSING -> tag('z');
                case BINARY, POJO -> {
                    tag('?');
                    str(n.toString());
                }
            }
        }

        String finish() {
            if (scratch != null) {
                SCRATCH.offer(scratch);
                scratch = null;
            }
            byte[] h = digest.digest();
            byte[] shortHash = new byte[16];
            System.arraycopy(h, 0, shortHash, 0, 16);
            return B64.encodeToString(shortHash);
        }
    }

    /**
     * One spelling per number: 1, 1.0, 1e0 and 1.00 are all "1". Once trailing zeros are stripped, a value has
     * one unscaled value and scale, so {@code toString} is canonical; unlike {@code toPlainString} it never
     * expands {@code 1e100000000} into a hundred million digits.
     */
    static String canonical(BigDecimal d) {
        if (d.signum() == 0) {
            return "0";
        }
        return d.stripTrailingZeros().toString();
    }
}
