package dev.tokenrt.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The long-string writer against Jackson itself: the same bytes for every string, escapes and all. */
class LongStringsTest {

    /** Jackson as it comes, with none of our writing in the way. */
    private static final ObjectMapper PLAIN = new ObjectMapper();

    /** Characters of every kind JSON writing treats differently. */
    private static final String[] PIECES = {"a", "Z", " ", "?", "/", "\u007f", "\"", "\\", "\n", "\r", "\t", "\b", "\f",
        "\u0000", "\u0001", "\u001f", "é", "ß", "\u0800", "漢", "\uffff", "🙂", "\ud83d\ude00", "\u2028", "<", "&", "\ud83d", "\ude00"};

    private static String randomText(SplittableRandom random, int length) {
        StringBuilder sb = new StringBuilder(length + 2);
        while (sb.length() < length) {
            // Mostly plain runs, as in prose, with the other kinds in between.
            if (random.nextInt(4) == 0) {
                sb.append(PIECES[random.nextInt(PIECES.length)]);
            } else {
                sb.append((char) ('a' + random.nextInt(26)));
            }
        }
        return sb.toString();
    }

    private static byte[] ours(JsonNode node) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (LongStrings generator = new LongStrings(PLAIN.createGenerator(out))) {
            PLAIN.writeTree(generator, node);
        }
        return out.toByteArray();
    }

    @Test
    void writesExactlyWhatJacksonWritesForTextOfEveryKind() throws Exception {
        SplittableRandom random = new SplittableRandom(20261207);
        for (int i = 0; i < 2_000; i++) {
            int length = LongStrings.MIN_CHARS - 2 + random.nextInt(3_000);
            ObjectNode node = PLAIN.createObjectNode().put("model", "m").put("content", randomText(random, length));
            node.putArray("list").add(randomText(random, length)).add(7);
            assertThat(new String(ours(node), StandardCharsets.UTF_8)).as("text %d", i)
                    .isEqualTo(new String(PLAIN.writeValueAsBytes(node), StandardCharsets.UTF_8));
        }
    }

    @Test
    void writesPlainAndFullyEscapedTextAsJacksonDoes() throws Exception {
        for (String text : new String[] {"x".repeat(100_000), "\n".repeat(300), "\u0001\"\\".repeat(200),
            "漢字".repeat(400), "🙂".repeat(300), "?".repeat(300) + "é"}) {
            ObjectNode node = PLAIN.createObjectNode().put("t", text);
            assertThat(ours(node)).isEqualTo(PLAIN.writeValueAsBytes(node));
            assertThat(PLAIN.readTree(ours(node)).get("t").asText()).isEqualTo(text);
        }
    }

    @Test
    void leavesALoneSurrogateToJacksonWhichEscapesIt() throws Exception {
        assertThat(LongStrings.hasLoneSurrogate("a\ud83d")).isTrue();
        assertThat(LongStrings.hasLoneSurrogate("🙂".repeat(200))).isFalse();
        assertThat(LongStrings.hasLoneSurrogate("\ude00" + "🙂".repeat(200))).isTrue();
        // The JDK's encoder would have sent '?' in its place; in ASCII text, its UTF-8 is as long as the text.
        for (String lone : new String[] {"a?é".repeat(100) + "\ud83d" + "b".repeat(10), "abc".repeat(100) + "\ud800",
            "\udc00" + "x".repeat(300)}) {
            ObjectNode node = PLAIN.createObjectNode().put("t", lone);
            assertThat(new String(ours(node), StandardCharsets.UTF_8)).containsPattern("\\\\uD[8C]00|\\\\uD83D")
                    .isEqualTo(new String(PLAIN.writeValueAsBytes(node), StandardCharsets.UTF_8));
        }
    }

    @Test
    void leavesEveryStringToJacksonWhenItWasConfiguredToWriteThemOtherwise() throws Exception {
        String text = "a/b é 漢 🙂 \n".repeat(100);
        for (ObjectMapper mapper : new ObjectMapper[] {
            JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build(),
            JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES).build(),
            JsonMapper.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build(),
            JsonMapper.builder().disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE).build()}) {
            ObjectNode node = mapper.createObjectNode().put("t", text);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (LongStrings generator = new LongStrings(mapper.createGenerator(out))) {
                mapper.writeTree(generator, node);
            }
            assertThat(out.toByteArray()).isEqualTo(mapper.writeValueAsBytes(node))
                    .isNotEqualTo(PLAIN.writeValueAsBytes(node));
        }
    }

    /** What {@code nextSpecial} finds eight bytes at a time, found one byte at a time. */
    private static int oneByOne(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            if (b < 0x20 || b == '"' || b == '\\' || b == '?' || b >= 0xF0) {
                return i;
            }
        }
        return bytes.length;
    }

    @Test
    void findsEverySpecialByteValueAtEveryPlaceInAWord() {
        for (int v = 0; v < 256; v++) {
            for (int at = 0; at < 24; at++) {
                byte[] bytes = "abcdefghijklmnopqrstuvwx".getBytes(StandardCharsets.US_ASCII);
                bytes[at] = (byte) v;
                for (int from = 0; from <= at; from += 3) {
                    assertThat(LongStrings.nextSpecial(bytes, from)).as("byte %d at %d from %d", v, at, from)
                            .isEqualTo(oneByOne(bytes, from));
                }
            }
        }
    }

    @Test
    void findsSpecialBytesInRandomBytes() {
        SplittableRandom random = new SplittableRandom(42);
        for (int n = 0; n < 20_000; n++) {
            byte[] bytes = new byte[random.nextInt(80)];
            for (int k = 0; k < bytes.length; k++) {
                bytes[k] = random.nextInt(8) == 0 ? (byte) random.nextInt(256) : (byte) ('a' + random.nextInt(26));
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            assertThat(LongStrings.nextSpecial(bytes, from)).isEqualTo(oneByOne(bytes, from));
        }
    }
}
