package dev.tokenrt.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.Map;
import java.util.Objects;

/**
 * An exact tiktoken encoding, computed by JTokkit. Building an encoder parses a vocabulary of up to 200k entries
 * (tens of milliseconds and megabytes), so there is one instance per encoding for the whole JVM and each builds its
 * JTokkit encoder on first use, once, whatever the number of threads asking.
 */
final class JTokkitTokenizer implements Tokenizer {

    /** Builds an encoding only when asked; the lock in {@link #encoding()} makes sure it is asked once per type. */
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    /** The encodings OpenAI chat and embedding models use; p50k_edit is left out (no current model needs it). */
    static final Map<String, JTokkitTokenizer> ALL = Map.of(
            "o200k_base", new JTokkitTokenizer(EncodingType.O200K_BASE),
            "cl100k_base", new JTokkitTokenizer(EncodingType.CL100K_BASE),
            "p50k_base", new JTokkitTokenizer(EncodingType.P50K_BASE),
            "r50k_base", new JTokkitTokenizer(EncodingType.R50K_BASE));

    private final EncodingType type;
    private volatile Encoding encoding;

    private JTokkitTokenizer(EncodingType type) {
        this.type = type;
    }

    @Override
    public String name() {
        return type.getName();
    }

    @Override
    public boolean exact() {
        return true;
    }

    @Override
    public int countTokens(String text) {
        return encoding().countTokensOrdinary(Objects.requireNonNull(text, "text"));
    }

    @Override
    public int[] encode(String text) {
        return encoding().encodeOrdinary(Objects.requireNonNull(text, "text")).toArray();
    }

    /** The JTokkit encoder, built on first use (double-checked on a volatile field: one build, no lock afterwards). */
    Encoding encoding() {
        Encoding e = encoding;
        if (e == null) {
            synchronized (this) {
                e = encoding;
                if (e == null) {
                    e = REGISTRY.getEncoding(type);
                    encoding = e;
                }
            }
        }
        return e;
    }

    @Override
    public String toString() {
        return "Tokenizer[" + name() + ", exact]";
    }
}
