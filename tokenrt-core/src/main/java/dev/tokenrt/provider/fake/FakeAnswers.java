package dev.tokenrt.provider.fake;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The text the fake provider answers with: real English sentences from public-domain works, chosen by a
 * hash of the request so that the same request always gets the same answer, and cut to a token budget
 * with the same counting the pipeline uses. Written by hand: no library produces deterministic filler
 * text bounded by an arbitrary tokenizer.
 */
final class FakeAnswers {

    /** Opening lines and well-known sentences of public-domain books and speeches (all published before 1930). */
    static final List<String> SENTENCES = List.of(
            "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
            "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.",
            "Happy families are all alike; every unhappy family is unhappy in its own way.",
            "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do.",
            "Marley was dead, to begin with, and there is no doubt whatever about that.",
            "To Sherlock Holmes she is always the woman.",
            "The Mole had been working very hard all the morning, spring-cleaning his little home.",
            "Whether I shall turn out to be the hero of my own life, or whether that station will be held by anybody else, these pages must show.",
            "You will rejoice to hear that no disaster has accompanied the commencement of an enterprise which you have regarded with such evil forebodings.",
            "Some years ago, having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.",
            "There is grandeur in this view of life, with its several powers, having been originally breathed into a few forms or into one.",
            "Four score and seven years ago our fathers brought forth on this continent a new nation, conceived in liberty.",
            "Early to bed and early to rise makes a man healthy, wealthy, and wise.",
            "I wandered lonely as a cloud that floats on high over vales and hills.",
            "The studio was filled with the rich odour of roses, and when the light summer wind stirred amidst the trees of the garden, there came through the open door the heavy scent of the lilac.",
            "Mr. Sherlock Holmes, who was usually very late in the mornings, was seated at the breakfast table.",
            "Most of the adventures recorded in this book really occurred; one or two were experiences of my own.",
            "In a hole in the ground there lived nobody at all, for the ground was wet and the river was near.",
            "The family of Dashwood had long been settled in Sussex.",
            "Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition, seemed to unite some of the best blessings of existence.",
            "All this happened, more or less, in the days when the roads were bad and the coaches slow.",
            "The sea was calm that morning, and the ship moved slowly out of the harbour under a grey sky.");

    private FakeAnswers() {
    }

    /** A stable digest of what the answer depends on: the model and the last user message. */
    static byte[] digest(ChatRequest request) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(lastUserText(request).getBytes(StandardCharsets.UTF_8));
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    static String hex(byte[] digest, int bytes) {
        return HexFormat.of().formatHex(digest, 0, bytes);
    }

    static int index(byte[] digest, int bound) {
        int v = ((digest[0] & 0xff) << 24) | ((digest[1] & 0xff) << 16) | ((digest[2] & 0xff) << 8) | (digest[3] & 0xff);
        return Math.floorMod(v, bound);
    }

    static String lastUserText(ChatRequest request) {
        List<Message> messages = request.messages();
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role() == Role.USER) {
                return messages.get(i).text();
            }
        }
        return "";
    }

    /**
     * The longest answer, sentence after sentence from the pool starting at the request's hash, whose
     * count does not exceed {@code limit} tokens. Sentences are added whole while they fit, then the words
     * of the next one; a text of {@code limit} or fewer tokens is guaranteed whatever the tokenizer.
     *
     */
    static String answer(byte[] digest, long limit, ToLongFunction<String> count) {
        if (limit <= 0) {
            return "";
        }
        int start = index(digest, SENTENCES.size());
        StringBuilder text = new StringBuilder();
        for (int i = 0; ; i++) {
            String sentence = SENTENCES.get((start + i) % SENTENCES.size());
            String candidate = text.isEmpty() ? sentence : text + " " + sentence;
            if (count.applyAsLong(candidate) <= limit) {
                text.setLength(0);
                text.append(candidate);
                continue;
            }
            for (String word : sentence.split(" ")) {
                String next = text.isEmpty() ? word : text + " " + word;
                if (count.applyAsLong(next) > limit) {
                    break;
                }
                text.setLength(0);
                text.append(next);
            }
            return text.toString();
        }
    }

    /** Splits text into pieces of {@code words} words each (a piece keeps its trailing space) so that they concatenate back to it. */
    static List<String> chunks(String text, int words) {
        List<String> out = new ArrayList<>();
        int pieceStart = 0;
        int seen = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ' ' && (i + 1 == text.length() || text.charAt(i + 1) != ' ')) {
                seen++;
                if (seen == words) {
                    out.add(text.substring(pieceStart, i + 1));
                    pieceStart = i + 1;
                    seen = 0;
                }
            }
        }
        if (pieceStart < text.length()) {
            out.add(text.substring(pieceStart));
        }
        return out;
    }
}
