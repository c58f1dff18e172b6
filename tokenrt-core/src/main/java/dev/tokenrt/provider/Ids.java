package dev.tokenrt.provider;

import java.security.SecureRandom;

/** Response and tool-call ids in each provider's style, for when a translation has no id of the target's kind. */
final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            .toCharArray();

    private Ids() {
    }

    static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    static String openAiCompletion() {
        return "chatcmpl-" + random(29);
    }

    static String openAiToolCall() {
        return "call_" + random(24);
    }

    static String anthropicMessage() {
        return "msg_" + random(24);
    }

    static String anthropicToolUse() {
        return "toolu_" + random(24);
    }

    static String geminiResponse() {
        return random(23);
    }
}
