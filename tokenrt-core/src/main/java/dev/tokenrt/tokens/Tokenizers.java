package dev.tokenrt.tokens;

import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which tokenizer counts for which model. The OpenAI model-to-encoding table is data ({@code openai-models.json}:
 * exact names and prefixes, longest prefix wins, provider prefixes such as {@code openai/} and {@code azure/} stripped),
 * so a new OpenAI model needs no code. Other modules add exact Hugging Face tokenizers or estimators for their models
 * with {@link #withModel}, which returns a new registry: a registry is immutable and can be shared freely.
 *
 * <p>The tiktoken encoders behind it are built lazily, once per JVM, and shared by every registry.
 */
public final class Tokenizers {

    private static final Tokenizers DEFAULTS = new Tokenizers(ModelData.builtIn(), PrefixTable.empty());
    private static final Set<String> ENCODINGS =
            Collections.unmodifiableSortedSet(new TreeSet<>(JTokkitTokenizer.ALL.keySet()));

    private final ModelData data;
    /** Registered with {@link #withModel}; consulted before the built-in table so a caller can override it. */
    private final PrefixTable<Tokenizer> registered;

    private Tokenizers(ModelData data, PrefixTable<Tokenizer> registered) {
        this.data = data;
        this.registered = registered;
    }

    /** The built-in OpenAI table with nothing registered. */
    public static Tokenizers defaults() {
        return DEFAULTS;
    }

    /**
     * The tokenizer for {@code model}: a registered one if its name or prefix matches (longest wins), else the tiktoken
     * encoding of the built-in table; empty when neither knows the model.
     */
    public Optional<Tokenizer> forModel(String model) {
        String m = data.normalise(Objects.requireNonNull(model, "model"));
        Optional<Tokenizer> own = registered.find(m);
        if (own.isPresent()) {
            return own;
        }
        return data.encodings().find(m).map(JTokkitTokenizer.ALL::get);
    }

    /**
     * Like {@link #forModel} but for callers that cannot go on without a count.
     *
     * @throws IllegalArgumentException {@code unknown model 'x': ...} naming what is known and how to add a model
     */
    public Tokenizer forModelOrThrow(String model) {
        return forModel(model).orElseThrow(() -> unknownModel(model));
    }

    /**
     * The name of the tokenizer {@link #forModel} would use: the tiktoken encoding name for an OpenAI model, or the
     * registered tokenizer's {@link Tokenizer#name()}.
     */
    public Optional<String> encodingForModel(String model) {
        String m = data.normalise(Objects.requireNonNull(model, "model"));
        Optional<Tokenizer> own = registered.find(m);
        if (own.isPresent()) {
            return own.map(Tokenizer::name);
        }
        return data.encodings().find(m);
    }

    /**
     * The exact tiktoken encoding by name ({@code o200k_base}, {@code cl100k_base}, {@code p50k_base},
     * {@code r50k_base}).
     *
     * @throws IllegalArgumentException for any other name, listing the known ones
     */
    public Tokenizer forEncoding(String encodingName) {
        Objects.requireNonNull(encodingName, "encodingName");
        Tokenizer t = JTokkitTokenizer.ALL.get(encodingName.strip().toLowerCase(Locale.ROOT));
        if (t == null) {
            throw new IllegalArgumentException("unknown encoding '" + encodingName + "': known encodings are "
                    + String.join(", ", encodings()));
        }
        return t;
    }

    /**
     * A registry in which {@code modelOrPrefix} (matched as a prefix of the normalised model name, so an exact name
     * works too) maps to {@code tokenizer}, ahead of the built-in table. This registry is unchanged.
     */
    public Tokenizers withModel(String modelOrPrefix, Tokenizer tokenizer) {
        Objects.requireNonNull(modelOrPrefix, "modelOrPrefix");
        Objects.requireNonNull(tokenizer, "tokenizer");
        String key = data.normalise(modelOrPrefix);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("model or prefix must not be blank");
        }
        return new Tokenizers(data, registered.withPrefix(key, tokenizer));
    }

    /** The tiktoken encodings this registry can build, sorted. */
    public Set<String> encodings() {
        return ENCODINGS;
    }

    /**
     * True when {@code model} is an OpenAI model of the built-in table and is counted with that table's encoding
     * (directly, or through a registered wrapper of the same name such as a {@link CachingTokenizer}), so OpenAI's
     * chat framing applies exactly.
     */
    boolean isOpenAiModel(String model) {
        String m = data.normalise(model);
        Optional<String> encoding = data.encodings().find(m);
        if (encoding.isEmpty()) {
            return false;
        }
        return registered.find(m).map(t -> t.name().equals(encoding.get())).orElse(true);
    }

    ModelData data() {
        return data;
    }

    IllegalArgumentException unknownModel(String model) {
        StringBuilder sb = new StringBuilder("unknown model '").append(model)
                .append("': no tokenizer is known for it. Known OpenAI models and prefixes: ")
                .append(String.join(", ", data.encodings().keys()));
        if (!registered.isEmpty()) {
            sb.append("; registered: ").append(String.join(", ", registered.keys()));
        }
        sb.append(". Add a model with Tokenizers.withModel(model, tokenizer).");
        return new IllegalArgumentException(sb.toString());
    }

    @Override
    public String toString() {
        return "Tokenizers[" + data.encodings().keys().size() + " built-in, " + registered.keys().size()
                + " registered]";
    }
}
