package dev.tokenrt.tokens;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Tool;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Upper bounds on a prompt's tokens that cost a length computation instead of a tokenizer run.
 *
 * <p>Every tokenizer the providers bill by is byte-level (tiktoken's BPE encodings, Anthropic's, SentencePiece
 * with byte fallback): a token covers at least one byte of UTF-8, so a text never has more tokens than bytes. On
 * top of the text, chat framing adds a few tokens a message (OpenAI: 3, plus 1 for a name) and a few a request
 * (3 to prime the reply); {@link #FRAMING_PER_MESSAGE} and {@link #FRAMING_PER_REQUEST} are generous for all of
 * them. English runs about four bytes a token, so the bound is about four times the count: good enough to hold
 * against a budget with room to spare, which is what it is for (see the budget step), and never too small.
 */
public final class PromptBound {

    /** Framing tokens allowed for each message beyond its text's bytes (OpenAI uses 3, 4 with a name). */
    public static final int FRAMING_PER_MESSAGE = 8;
    /** Framing tokens allowed once a request (OpenAI primes the reply with 3). */
    public static final int FRAMING_PER_REQUEST = 8;

    private PromptBound() {
    }

    /**
     * A bound for a plain-text request: messages of text parts only (any role, optionally named), no tools and
     * no response format. Empty for anything else (images are billed by size, not by their URL's bytes; tools and
     * schemas are rendered by provider-specific rules), where only counting will do.
     */
    public static OptionalLong plainText(ChatRequest r) {
        if (!r.tools().isEmpty() || r.responseFormat().isPresent()) {
            return OptionalLong.empty();
        }
        long bound = FRAMING_PER_REQUEST;
        for (Message m : r.messages()) {
            for (Part p : m.parts()) {
                if (!(p instanceof Part.Text t)) {
                    return OptionalLong.empty();
                }
                bound += utf8Length(t.text());
            }
            bound += FRAMING_PER_MESSAGE + utf8Length(m.role().name()) + utf8Length(m.name());
        }
        return OptionalLong.of(bound);
    }

    /**
     * The best this class can do for any request when no tokenizer is at hand: the plain-text bound where it
     * applies, else the bytes of every message's text and every tool's description. Not a guaranteed bound for
     * images or tools (their tokens follow other rules); a last resort only.
     */
    public static long anyText(ChatRequest r) {
        OptionalLong plain = plainText(r);
        if (plain.isPresent()) {
            return plain.getAsLong();
        }
        long bytes = FRAMING_PER_REQUEST;
        for (Message m : r.messages()) {
            bytes += utf8Length(m.text()) + FRAMING_PER_MESSAGE;
        }
        for (Tool t : r.tools()) {
            bytes += t.toString().getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    /** UTF-8 length without encoding the string (no allocation on the request path). */
    static long utf8Length(CharSequence s) {
        long n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3; // other BMP characters, and a lone surrogate (encoded as '?' or U+FFFD: at most 3)
            }
        }
        return n;
    }
}
