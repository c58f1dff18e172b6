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
    void aSmallEntryIsKeptPlainAndALargeOneDeflated() {
        CachedResponse small = sample("hi");
        byte[] plain = CacheCodec.encode(small);
        assertThat(plain.length).isLessThan(CacheCodec.DEFLATE_FROM_BYTES);
        assertThat(new String(plain, java.nio.charset.StandardCharsets.UTF_8)).startsWith("{\"v\":1,");
        assertThat(CacheCodec.decode(plain)).isEqualTo(small);
        CachedResponse large = sample("x".repeat(CacheCodec.DEFLATE_FROM_BYTES));
        byte[] deflated = CacheCodec.encode(large);
        assertThat(deflated[0]).isEqualTo((byte) 0x78); // zlib's header
        assertThat(CacheCodec.decode(deflated)).isEqualTo(large);
    }

    @Test
    void theFormatIsTheOneEntriesInSharedLayersWereWrittenIn() {
        // Entries outlive a release in Redis and the database: the bytes of format 1, field for field, as the
        // tree-built encoder of 2026-12-01 wrote them, so that old and new replicas read each other's entries.
        ChatResponse r = new ChatResponse("id\"1", "m", List.of(new Part.Image("https://x/y.png", "low"),
                new Part.ToolResult("call_1", "42 °C", true), new Part.Text("é")), StopReason.STOP,
                new Usage(7, 3, 0, 0, 0, 0, UsageSource.PROVIDER, UsageSource.PROVIDER), 1_760_000_000L);
        CachedResponse c = new CachedResponse(r, "openai", "gpt-4o-mini", Instant.parse("2026-06-01T10:00:00Z"),
                Instant.parse("2026-06-01T11:00:00.5Z"), List.of());
        byte[] bytes = CacheCodec.encode(c);
        assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"v\":1,\"id\":\"id\\\"1\","
                + "\"model\":\"m\",\"created\":1760000000,\"stop\":\"STOP\",\"parts\":[{\"t\":\"image\","
                + "\"url\":\"https://x/y.png\",\"detail\":\"low\"},{\"t\":\"tool_result\",\"id\":\"call_1\","
                + "\"content\":\"42 °C\",\"error\":true},{\"t\":\"text\",\"text\":\"é\"}],"
                + "\"usage\":[7,3,0,0,0,0,\"provider\",\"provider\"],\"provider\":\"openai\",\"served\":\"gpt-4o-mini\","
                + "\"stored\":\"2026-06-01T10:00:00Z\",\"expires\":\"2026-06-01T11:00:00.500Z\",\"tags\":[]}");
        assertThat(CacheCodec.decode(bytes)).isEqualTo(c);
    }

    @Test
    void reusedDeflatersAndInflatersGiveTheSameBytesAfterFailures() {
        CachedResponse c = sample("The answer is forty-two. ".repeat(100));
        byte[] first = CacheCodec.encode(c);
        for (int i = 0; i < 20; i++) { // more rounds than the pools hold, with failed inflates between
            assertThatThrownBy(() -> CacheCodec.decode(java.util.Arrays.copyOf(first, first.length / 2)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(CacheCodec.encode(c)).isEqualTo(first);
            assertThat(CacheCodec.decode(first)).isEqualTo(c);
        }
    }

    @Test
    void garbageAndTruncatedEntriesAreRefused() {
        byte[] bytes = CacheCodec.encode(sample("hi ".repeat(200)));
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> CacheCodec.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CacheCodec.decode("not deflated".getBytes())).isInstanceOf(IllegalArgumentException.class);
        byte[] plainTruncated = java.util.Arrays.copyOf(CacheCodec.encode(sample("hi")), 40);
        assertThatThrownBy(() -> CacheCodec.decode(plainTruncated)).hasMessageContaining("not valid JSON");
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
