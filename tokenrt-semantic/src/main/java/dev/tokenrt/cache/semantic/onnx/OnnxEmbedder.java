package dev.tokenrt.cache.semantic.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.tokenrt.cache.semantic.Embedder;
import dev.tokenrt.cache.semantic.LanguageRoutedEmbedder;
import dev.tokenrt.tokens.huggingface.DjlSettings;
import dev.tokenrt.tokens.huggingface.NativeGuard;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sentence-embedding model run in-process: the BERT encoder by ONNX Runtime, its tokenizer by the Hugging Face
 * tokenizers library (through DJL), both read from the class path ({@link EmbeddingModel} names what is where), so
 * nothing is downloaded at run time.
 *
 * <p>What ONNX Runtime and the tokenizer do not do is done here: padding a batch to its longest text, pooling the
 * token vectors into one (mean over the attention mask, or the {@code [CLS]} token, as each model card says) and
 * L2-normalising it. Texts longer than the model's maximum are truncated to it; {@link #covers(String)} tells when.
 *
 * <p><b>Threads.</b> Safe for concurrent use: {@code OrtSession.run} and the native tokenizer's encode may be called
 * from many threads. Each call uses at most {@link Settings#intraOpThreads()} threads of ONNX Runtime's own pool
 * (default 1: on a small machine, parallel requests use the cores better than one request's parallel operators).
 * A {@link NativeGuard} lets {@link #close()} wait for calls in flight, as in the tokenizer.
 *
 * <p><b>Load once, share.</b> Loading parses 23 MB of model and takes a few hundred milliseconds.
 */
public final class OnnxEmbedder implements Embedder {

    static {
        DjlSettings.apply();
    }

    /**
     * How an embedder runs.
     *
     * @param intraOpThreads threads ONNX Runtime may use for one call (at least 1)
     * @param batchSize      texts per model run in {@link #embedAll(List)} (at least 1)
     */
    public record Settings(int intraOpThreads, int batchSize) {
        public static final Settings DEFAULT = new Settings(1, 32);

        public Settings {
            if (intraOpThreads < 1) {
                throw new IllegalArgumentException("intraOpThreads must be at least 1, got " + intraOpThreads);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
        }
    }

    private final EmbeddingModel model;
    private final Settings settings;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean wantsTokenTypes;
    private final String hiddenStateOutput;
    private final int dimension;
    private final NativeGuard guard;

    private OnnxEmbedder(EmbeddingModel model, Settings settings, OrtEnvironment env, OrtSession session,
                         HuggingFaceTokenizer tokenizer) throws OrtException {
        this.model = model;
        this.settings = settings;
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        this.wantsTokenTypes = session.getInputNames().contains("token_type_ids");
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        this.hiddenStateOutput = outputs.containsKey("last_hidden_state")
                ? "last_hidden_state" : outputs.keySet().iterator().next();
        long[] shape = ((TensorInfo) outputs.get(hiddenStateOutput).getInfo()).getShape();
        this.dimension = Math.toIntExact(shape[shape.length - 1]);
        this.guard = new NativeGuard("embedder " + model.id());
    }

    /**
     * The embedder for "by detected language": bge-small-zh for Chinese and Japanese text, all-MiniLM-L6-v2 for
     * everything else (see {@link LanguageRoutedEmbedder}), both with {@code settings}.
     */
    public static LanguageRoutedEmbedder loadByLanguage(Settings settings) {
        OnnxEmbedder minilm = load(EmbeddingModel.ALL_MINILM_L6_V2_Q, settings);
        try {
            return new LanguageRoutedEmbedder(minilm, load(EmbeddingModel.BGE_SMALL_ZH_V15_Q, settings));
        } catch (RuntimeException e) {
            minilm.close();
            throw e;
        }
    }

    /** {@link #loadByLanguage(Settings)} with {@link Settings#DEFAULT}. */
    public static LanguageRoutedEmbedder loadByLanguage() {
        return loadByLanguage(Settings.DEFAULT);
    }

    /** Loads a model with {@link Settings#DEFAULT}. */
    public static OnnxEmbedder load(EmbeddingModel model) {
        return load(model, Settings.DEFAULT);
    }

    /**
     * Loads a model from the class path.
     *
     * @throws IllegalStateException when the model's files are not on the class path
     */
    public static OnnxEmbedder load(EmbeddingModel model, Settings settings) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(settings, "settings");
        byte[] onnx = resource(model.onnxResource());
        HuggingFaceTokenizer tokenizer;
        try (InputStream in = stream(model.tokenizerResource())) {
            // Truncation at the model's maximum; no padding here (a batch is padded to its longest text below),
            // which also overrides the fixed padding some tokenizer.json files carry.
            tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "true",
                    "maxLength", Integer.toString(model.maxTokens()),
                    "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model.tokenizerResource(), e);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(settings.intraOpThreads());
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return new OnnxEmbedder(model, settings, env, env.createSession(onnx, options), tokenizer);
        } catch (OrtException e) {
            tokenizer.close();
            throw new IllegalStateException("cannot load the ONNX model " + model.onnxResource() + ": " + e.getMessage(), e);
        }
    }

    private static InputStream stream(String resource) {
        InputStream in = OnnxEmbedder.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("model file " + resource + " is not on the class path (it comes with "
                    + "the LangChain4j model jar that tokenrt-semantic depends on)");
        }
        return in;
    }

    private static byte[] resource(String resource) {
        try (InputStream in = stream(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** The model this embedder runs. */
    public EmbeddingModel model() {
        return model;
    }

    @Override
    public String id() {
        return model.id();
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** False when {@code text} has more tokens than the model reads, so its vector stands for a prefix only. */
    @Override
    public boolean covers(String text) {
        Objects.requireNonNull(text, "text");
        return withOpen(() -> !tokenizer.encode(text).exceedMaxLength());
    }

    @Override
    public float[] embed(String text) {
        Objects.requireNonNull(text, "text");
        return withOpen(() -> run(new Encoding[] {tokenizer.encode(text)})[0]);
    }

    /**
     * Embeds in batches of {@link Settings#batchSize()}; texts are grouped by length first, so a batch pads little,
     * and the vectors are returned in the order of {@code texts}. The built-in models are dynamically quantized (a
     * run scales its activations by the whole batch's range), so a vector from a mixed batch may differ from the
     * same text's {@link #embed(String)} by a few hundredths in cosine: use one or the other for texts to compare.
     */
    @Override
    public List<float[]> embedAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        return withOpen(() -> {
            Encoding[] all = tokenizer.batchEncode(texts);
            Integer[] order = new Integer[all.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingInt(i -> all[i].getIds().length));
            float[][] out = new float[all.length][];
            for (int start = 0; start < order.length; start += settings.batchSize()) {
                int end = Math.min(order.length, start + settings.batchSize());
                Encoding[] batch = new Encoding[end - start];
                for (int i = start; i < end; i++) {
                    batch[i - start] = all[order[i]];
                }
                float[][] vectors = run(batch);
                for (int i = start; i < end; i++) {
                    out[order[i]] = vectors[i - start];
                }
            }
            return new ArrayList<>(Arrays.asList(out));
        });
    }

    /** One model run over a batch: pad to the longest, run, pool, normalise. */
    private float[][] run(Encoding[] batch) {
        int n = batch.length;
        int len = 0;
        for (Encoding e : batch) {
            len = Math.max(len, e.getIds().length);
        }
        long[] ids = new long[n * len];
        long[] mask = new long[n * len];
        long[] types = new long[n * len];
        for (int b = 0; b < n; b++) {
            long[] id = batch[b].getIds();
            long[] m = batch[b].getAttentionMask();
            long[] t = batch[b].getTypeIds();
            System.arraycopy(id, 0, ids, b * len, id.length);
            System.arraycopy(m, 0, mask, b * len, m.length);
            System.arraycopy(t, 0, types, b * len, t.length);
        }
        long[] shape = {n, len};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (wantsTokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxTensor hidden = (OnnxTensor) result.get(hiddenStateOutput)
                        .orElseThrow(() -> new IllegalStateException("the model returned no " + hiddenStateOutput));
                return pool(hidden.getFloatBuffer(), mask, n, len);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("embedding with " + model.id() + " failed: " + e.getMessage(), e);
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    /** Hidden states [n, len, dim] to one unit vector per text, as the model card pools. */
    private float[][] pool(FloatBuffer hidden, long[] mask, int n, int len) {
        float[][] out = new float[n][dimension];
        for (int b = 0; b < n; b++) {
            float[] v = out[b];
            int base = b * len * dimension;
            if (model.pooling() == EmbeddingModel.Pooling.CLS) {
                hidden.get(base, v, 0, dimension);
            } else {
                int tokens = 0;
                float[] row = new float[dimension];
                for (int t = 0; t < len; t++) {
                    if (mask[b * len + t] == 0) {
                        continue;
                    }
                    tokens++;
                    hidden.get(base + t * dimension, row, 0, dimension);
                    for (int d = 0; d < dimension; d++) {
                        v[d] += row[d];
                    }
                }
                float inv = 1f / Math.max(tokens, 1);
                for (int d = 0; d < dimension; d++) {
                    v[d] *= inv;
                }
            }
            normalise(v);
        }
        return out;
    }

    private static void normalise(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        // As sentence-transformers' Normalize (torch's normalize with eps 1e-12): a zero vector stays zero.
        float inv = (float) (1.0 / Math.max(Math.sqrt(sum), 1e-12));
        for (int d = 0; d < v.length; d++) {
            v[d] *= inv;
        }
    }

    private <T> T withOpen(java.util.function.Supplier<T> call) {
        return guard.call(call);
    }

    /** Frees the ONNX session and the native tokenizer, after any call in flight; idempotent. */
    @Override
    public void close() {
        guard.close(() -> {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("cannot close the ONNX session of " + model.id(), e);
            } finally {
                tokenizer.close();
            }
        });
    }

    @Override
    public String toString() {
        return "OnnxEmbedder[" + model.id() + ", " + dimension + " dimensions]";
    }
}
