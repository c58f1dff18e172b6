package dev.tokenrt.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark corpus (built by bench/corpus/build-corpus.sh), cut into chunks of about 4 kB at line ends: the size
 * of a chat turn or a retrieved passage, which is how a gateway counts text, rather than one 15 MB string.
 */
record Corpus(Path path, List<String> chunks, long utf8Bytes) {

    static final String PROPERTY = "tokenrt.corpus";
    static final String DEFAULT_PATH = "bench/work/corpus.txt";
    static final int CHUNK_CHARS = 4096;

    /** The path from the given parameter, else the system property, else the default; fails clearly if absent. */
    static Corpus load(String param) {
        String p = !param.isBlank() ? param : System.getProperty(PROPERTY, DEFAULT_PATH);
        Path path = Path.of(p).toAbsolutePath();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("benchmark corpus not found at " + path + ": build it with "
                    + "bench/corpus/build-corpus.sh, then pass -p corpus=<path> or -D" + PROPERTY + "=<path> "
                    + "(default " + DEFAULT_PATH + ", relative to the working directory)");
        }
        try {
            String text = Files.readString(path, StandardCharsets.UTF_8);
            if (text.length() < 1_000_000) {
                throw new IllegalStateException("benchmark corpus " + path + " has only " + text.length()
                        + " characters; expected about 15 MB from build-corpus.sh");
            }
            return new Corpus(path, split(text), text.getBytes(StandardCharsets.UTF_8).length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read benchmark corpus " + path, e);
        }
    }

    private static List<String> split(String text) {
        List<String> chunks = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + CHUNK_CHARS);
            if (end < text.length()) {
                int newline = text.lastIndexOf('\n', end);
                if (newline > start) {
                    end = newline + 1;
                } else if (Character.isHighSurrogate(text.charAt(end - 1))) {
                    end--;
                }
            }
            chunks.add(text.substring(start, end));
            start = end;
        }
        return List.copyOf(chunks);
    }
}
