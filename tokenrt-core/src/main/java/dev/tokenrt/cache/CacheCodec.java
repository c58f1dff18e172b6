package dev.tokenrt.cache;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The bytes a cached response is stored as in every layer: a small JSON document, deflated unless it is under
 * {@link #DEFLATE_FROM_BYTES}. JSON keeps the format readable and versioned; deflate (the JDK's zlib) takes
 * typical answers to about half their size.
 * Reading refuses anything that inflates past {@link #MAX_INFLATED_BYTES}, so a corrupted or hostile entry
 * in a shared store cannot exhaust memory.
 */
public final class CacheCodec {

    static final int FORMAT = 1;
    static final int MAX_INFLATED_BYTES = 32 * 1024 * 1024;
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    /**
     * Entries under this many bytes of JSON are kept as they are: deflating one saved a hundred-odd bytes and was
     * half the CPU of its encoding (JFR, gateway at 2,000 requests/s; zlib clears a 64 KiB table every stream).
     */
    static final int DEFLATE_FROM_BYTES = 512;
    /** Kept for reuse: each one holds about 256 KiB of zlib state, allocated when it is made. */
    private static final ArrayBlockingQueue<Deflater> DEFLATERS = new ArrayBlockingQueue<>(4);
    private static final ArrayBlockingQueue<Inflater> INFLATERS = new ArrayBlockingQueue<>(4);

    private CacheCodec() {
    }

    /**
     * Written field by field with Jackson's generator, not built as a tree first: the tree was a map node, an entry
     * and a value node a field, half of what encoding an entry allocated.
     */
    public static byte[] encode(CachedResponse c) {
        ChatResponse r = c.response();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 2 * chars(r));
        try (JsonGenerator g = JSON.getFactory().createGenerator(bytes)) {
            g.writeStartObject();
            g.writeNumberField("v", FORMAT);
            g.writeStringField("id", r.id());
            g.writeStringField("model", r.model());
            g.writeNumberField("created", r.created());
            g.writeStringField("stop", r.stopReason().name());
            g.writeArrayFieldStart("parts");
            for (Part p : r.content()) {
                g.writeStartObject();
                switch (p) {
                    case Part.Text t -> {
                        g.writeStringField("t", "text");
                        g.writeStringField("text", t.text());
                    }
                    case Part.ToolCall tc -> {
                        g.writeStringField("t", "tool_call");
                        g.writeStringField("id", tc.id());
                        g.writeStringField("name", tc.name());
                        g.writeStringField("arguments", tc.arguments());
                    }
                    case Part.Thinking th -> {
                        g.writeStringField("t", "thinking");
                        g.writeStringField("text", th.text());
                        g.writeStringField("signature", th.signature());
                    }
                    case Part.Image i -> {
                        g.writeStringField("t", "image");
                        g.writeStringField("url", i.url());
                        g.writeStringField("detail", i.detail());
                    }
                    case Part.ToolResult tr -> {
                        g.writeStringField("t", "tool_result");
                        g.writeStringField("id", tr.toolCallId());
                        g.writeStringField("content", tr.content());
                        g.writeBooleanField("error", tr.error());
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            Usage u = r.usage();
            g.writeArrayFieldStart("usage");
            g.writeNumber(u.inputTokens());
            g.writeNumber(u.outputTokens());
            g.writeNumber(u.cacheReadTokens());
            g.writeNumber(u.cacheWrite5mTokens());
            g.writeNumber(u.cacheWrite1hTokens());
            g.writeNumber(u.reasoningTokens());
            g.writeString(u.inputSource().wireName());
            g.writeString(u.outputSource().wireName());
            g.writeEndArray();
            g.writeStringField("provider", c.provider());
            g.writeStringField("served", c.model());
            g.writeStringField("stored", c.storedAt().toString());
            g.writeStringField("expires", c.expiresAt().toString());
            g.writeArrayFieldStart("tags");
            for (String t : c.tags()) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] plain = bytes.toByteArray();
        return plain.length < DEFLATE_FROM_BYTES ? plain : deflate(plain);
    }

    /** Characters of the answer's parts, to size the output once. */
    private static int chars(ChatResponse r) {
        long n = 0;
        for (Part p : r.content()) {
            n += p.chars();
        }
        return (int) Math.min(n, 1 << 20);
    }

    private static byte[] deflate(byte[] plain) {
        Deflater d = DEFLATERS.poll();
        if (d == null) {
            d = new Deflater(Deflater.BEST_SPEED);
        }
        try {
            d.setInput(plain);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, plain.length / 2));
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                int n = d.deflate(buf);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            d.reset();
            if (!DEFLATERS.offer(d)) {
                d.end();
            }
        }
    }

    /** @throws IllegalArgumentException if the bytes are not an entry this version can read */
    public static CachedResponse decode(byte[] bytes) {
        // A deflated entry starts with zlib's header (0x78), a plain one with its JSON object's brace.
        byte[] plain = bytes.length > 0 && bytes[0] == '{' ? bytes : inflate(bytes);
        JsonNode o;
        try {
            o = JSON.readTree(plain);
        } catch (IOException e) {
            throw new IllegalArgumentException("cache entry is not valid JSON: " + e.getMessage(), e);
        }
        if (o == null || o.path("v").asInt() != FORMAT) {
            throw new IllegalArgumentException("cache entry of an unknown format");
        }
        List<Part> parts = new ArrayList<>();
        for (JsonNode n : o.path("parts")) {
            parts.add(switch (n.path("t").asText()) {
                case "text" -> new Part.Text(n.path("text").asText());
                case "tool_call" -> new Part.ToolCall(n.path("id").asText(), n.path("name").asText(),
                        n.path("arguments").asText());
                case "thinking" -> new Part.Thinking(n.path("text").asText(), n.path("signature").asText());
                case "image" -> new Part.Image(n.path("url").asText(), n.path("detail").asText());
                case "tool_result" -> new Part.ToolResult(n.path("id").asText(), n.path("content").asText(),
                        n.path("error").asBoolean());
                default -> throw new IllegalArgumentException("cache entry with an unknown part " + n.path("t"));
            });
        }
        JsonNode u = o.path("usage");
        Usage usage = new Usage(u.path(0).asLong(), u.path(1).asLong(), u.path(2).asLong(), u.path(3).asLong(),
                u.path(4).asLong(), u.path(5).asLong(), source(u.path(6).asText()), source(u.path(7).asText()));
        ChatResponse r = new ChatResponse(o.path("id").asText(), o.path("model").asText(), parts,
                StopReason.valueOf(o.path("stop").asText()), usage, o.path("created").asLong());
        List<String> tags = new ArrayList<>();
        o.path("tags").forEach(t -> tags.add(t.asText()));
        return new CachedResponse(r, o.path("provider").asText(), o.path("served").asText(),
                Instant.parse(o.path("stored").asText()), Instant.parse(o.path("expires").asText()), tags);
    }

    private static UsageSource source(String wire) {
        for (UsageSource s : UsageSource.values()) {
            if (s.wireName().equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("cache entry with an unknown usage source " + wire);
    }

    private static byte[] inflate(byte[] bytes) {
        Inflater inf = INFLATERS.poll();
        if (inf == null) {
            inf = new Inflater();
        }
        try {
            inf.setInput(bytes);
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 3);
            byte[] buf = new byte[8192];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new IllegalArgumentException("cache entry is truncated");
                }
                out.write(buf, 0, n);
                if (out.size() > MAX_INFLATED_BYTES) {
                    throw new IllegalArgumentException("cache entry inflates past " + MAX_INFLATED_BYTES + " bytes");
                }
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("cache entry is not deflated data: " + e.getMessage(), e);
        } finally {
            inf.reset();
            if (!INFLATERS.offer(inf)) {
                inf.end();
            }
        }
    }
}
