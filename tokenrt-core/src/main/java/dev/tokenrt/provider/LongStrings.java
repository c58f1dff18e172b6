package dev.tokenrt.provider;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Jackson generator that writes long strings (a 20,000-token prompt sent upstream, a long answer sent back)
 * through the JDK's UTF-8 encoder instead of Jackson's own loop.
 *
 * <p>Written by hand because no library does it: Jackson 2.22's {@code UTF8JsonGenerator} encodes a
 * {@code String} one {@code charAt} at a time, about 3 ns a character on our VMs. In a JFR profile of chat-large at
 * 250/s, a quarter of the gateway's CPU went to writing the ~100 kB request upstream. {@code String.getBytes(UTF_8)}
 * is a JDK intrinsic, ~0.1 ns a character; a scan of the bytes, eight at a time, then finds what JSON needs
 * escaped. JMH ({@code HotPathBenchmark.writeRequest20000}): 91 µs for that request against Jackson's 285 µs.
 *
 * <p>The bytes written are exactly Jackson's (its default escapes: backslash with {@code " \ b t n f r}, other
 * control characters as six-character {@code u00XX} escapes, a character beyond the BMP as its surrogate pair
 * escaped the same way; everything else as UTF-8), which {@code LongStringsTest} checks against Jackson itself. A
 * string with a lone surrogate, which the JDK's encoder would turn into {@code ?}, goes to Jackson as before, and so
 * does every string when the generator was configured to write strings otherwise (escaped non-ASCII or '/',
 * custom escapes, lower-case hex, surrogate pairs combined).
 */
public final class LongStrings extends JsonGeneratorDelegate {

    /** Shorter strings go to Jackson: its loop costs little there, and the arrays this class allocates more. */
    public static final int MIN_CHARS = 256;

    /** For each ASCII byte: 0 = as is; else its short escape letter, or 'u' for a six-character u00XX escape. */
    private static final byte[] ESCAPES = new byte[128];
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    /** Reads eight bytes of an array as one long, for the scan. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long QUOTES = ONES * '"';
    private static final long BACKSLASHES = ONES * '\\';
    private static final long QUESTIONS = ONES * '?';
    /** Generator features under which Jackson writes strings otherwise than this class does. */
    private static final int NOT_DEFAULT = JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature().getMask()
            | JsonWriteFeature.ESCAPE_FORWARD_SLASHES.mappedFeature().getMask()
            | JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8.mappedFeature().getMask();
    private static final int HEX_UPPER_CASE = JsonWriteFeature.WRITE_HEX_UPPER_CASE.mappedFeature().getMask();

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = 'u';
        }
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
    }

    /** Wraps {@code jackson}, which it closes when closed. */
    public LongStrings(JsonGenerator jackson) {
        super(jackson, false);
    }

    @Override
    public void writeString(String s) throws IOException {
        if (s == null || s.length() < MIN_CHARS || !jacksonDefaults()) {
            super.writeString(s);
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        int[] at = null; // where the bytes to escape are
        int count = 0;
        int extra = 0;
        boolean question = false;
        for (int i = nextSpecial(utf8, 0); i < utf8.length; i = nextSpecial(utf8, i + 1)) {
            byte b = utf8[i];
            if (b == '?') {
                question = true; // written as it is; see below
                continue;
            }
            if (at == null || count == at.length) {
                at = at == null ? new int[16] : Arrays.copyOf(at, count * 2);
            }
            at[count++] = i;
            if (b < 0) {
                extra += 8; // a character beyond the BMP: Jackson writes its surrogate pair escaped, 12 bytes for 4
                i += 3;
            } else {
                extra += ESCAPES[b] == 'u' ? 5 : 1;
            }
        }
        // The encoder wrote '?' for each lone surrogate, which Jackson writes escaped: without a '?', there is none.
        if (question && hasLoneSurrogate(s)) {
            super.writeString(s);
            return;
        }
        byte[] out = count == 0 ? utf8 : escape(utf8, at, count, extra);
        delegate.writeRawUTF8String(out, 0, out.length);
    }

    /** Whether the generator escapes as this class does: JSON's own escapes, in upper-case hex, pairs escaped. */
    private boolean jacksonDefaults() {
        int features = delegate.getFeatureMask();
        return delegate.getCharacterEscapes() == null && delegate.getHighestEscapedChar() == 0
                && (features & NOT_DEFAULT) == 0 && (features & HEX_UPPER_CASE) != 0;
    }

    /**
     * The index of the first byte at or after {@code from} that is escaped, starts a 4-byte character or is
     * {@code '?'}; {@code utf8.length} if none. Eight bytes at a time where it can: a word with none of them (prose,
     * mostly) costs a few arithmetic operations instead of eight lookups.
     */
    static int nextSpecial(byte[] utf8, int from) {
        int i = from;
        for (int end = utf8.length - 7; i < end; ) {
            long w = (long) LONGS.get(utf8, i);
            if ((lessThan0x20(w) | zeroByte(w ^ QUOTES) | zeroByte(w ^ BACKSLASHES) | zeroByte(w ^ QUESTIONS)
                    | (w & (w << 1) & (w << 2) & (w << 3) & HIGH_BITS)) == 0) { // the last: a byte >= 0xF0
                i += 8;
                continue;
            }
            for (int j = i + 8; i < j; i++) {
                if (special(utf8[i])) {
                    return i;
                }
            }
        }
        for (; i < utf8.length; i++) {
            if (special(utf8[i])) {
                return i;
            }
        }
        return utf8.length;
    }

    private static boolean special(byte b) {
        return b >= 0 ? ESCAPES[b] != 0 || b == '?' : (b & 0xF0) == 0xF0; // >= 0xF0: a 4-byte character starts
    }

    /** Non-zero when some byte of {@code w} is zero (the classic bit trick; exact as a test of presence). */
    private static long zeroByte(long w) {
        return (w - ONES) & ~w & HIGH_BITS;
    }

    /** Non-zero when some byte of {@code w} is below 0x20 (unsigned; exact as a test of presence). */
    private static long lessThan0x20(long w) {
        return (w - ONES * 0x20) & ~w & HIGH_BITS;
    }

    /** {@code utf8} with the {@code count} bytes (or 4-byte characters) at {@code at} escaped. */
    private static byte[] escape(byte[] utf8, int[] at, int count, int extra) {
        byte[] out = new byte[utf8.length + extra];
        int o = 0;
        int from = 0;
        for (int k = 0; k < count; k++) {
            int i = at[k];
            System.arraycopy(utf8, from, out, o, i - from);
            o += i - from;
            byte b = utf8[i];
            if (b < 0) {
                int cp = ((b & 0x07) << 18) | ((utf8[i + 1] & 0x3F) << 12) | ((utf8[i + 2] & 0x3F) << 6)
                        | (utf8[i + 3] & 0x3F);
                o = hexEscape(out, o, Character.highSurrogate(cp));
                o = hexEscape(out, o, Character.lowSurrogate(cp));
                from = i + 4;
            } else {
                o = ESCAPES[b] == 'u' ? hexEscape(out, o, (char) b) : shortEscape(out, o, ESCAPES[b]);
                from = i + 1;
            }
        }
        System.arraycopy(utf8, from, out, o, utf8.length - from);
        return out;
    }

    private static int shortEscape(byte[] out, int o, byte letter) {
        out[o] = '\\';
        out[o + 1] = letter;
        return o + 2;
    }

    /** The six-character escape of {@code c}, in upper-case hex as Jackson writes it; returns the position after it. */
    private static int hexEscape(byte[] out, int o, char c) {
        out[o++] = '\\';
        out[o++] = 'u';
        out[o++] = HEX[(c >> 12) & 0xF];
        out[o++] = HEX[(c >> 8) & 0xF];
        out[o++] = HEX[(c >> 4) & 0xF];
        out[o++] = HEX[c & 0xF];
        return o;
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
