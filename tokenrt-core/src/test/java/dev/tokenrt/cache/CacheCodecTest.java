package dev.tokenrt.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class CacheCodecTest {

    static CachedResponse sample(String text) {
        ChatResponse r = new ChatResponse("msg_01", "claude-sonnet-4-5-20250929", List.of(
                new Part.Thinking("weighing it", "EqQBCgIYAhIM"), new Part.Text(text),
                new Part.ToolCall("toolu_1", "lookup", "{\"q\": \"x\"}")), StopReason.TOOL_CALLS,
                new Usage(5_000, 300, 4_000, 600, 100, 120, UsageSource.PROVIDER, UsageSource.ESTIMATED), 1_760_000_000L);
        return new CachedResponse(r, "anthropic", "claude-sonnet-4-5", Instant.parse("2026-06-01T10:00:00.123456789Z"),
                Instant.parse("2026-06-01T11:00:00Z"), List.of("prod", "ünïcode"));
    }

    @Test
    void everyFieldSurvivesTheRoundTripAndTheBytesAreCompressed() {
        String text = "The answer is forty-two. ".repeat(200);
        CachedResponse c = sample(text);
        byte[] bytes = CacheCodec.encode(c);
        assertThat(CacheCodec.decode(bytes)).isEqualTo(c);
        assertThat(bytes.length).isLessThan(text.length() / 5);
    }

    @Test
    void garbageAndTruncatedEntriesAreRefused() {
        byte[] bytes = CacheCodec.encode(sample("hi"));
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> CacheCodec.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CacheCodec.decode("not deflated".getBytes())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CacheCodec.decode(deflate("{\"v\":99}".getBytes())))
                .hasMessageContaining("unknown format");
    }

    @Test
    void anEntryThatInflatesPastTheBoundIsRefused() {
        byte[] bomb = deflate(new byte[CacheCodec.MAX_INFLATED_BYTES + 1024]);
        assertThat(bomb.length).isLessThan(100_000);
        assertThatThrownBy(() -> CacheCodec.decode(bomb)).hasMessageContaining("inflates past");
    }

    static byte[] deflate(byte[] plain) {
        Deflater d = new Deflater();
        d.setInput(plain);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }
}
