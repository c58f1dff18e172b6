package dev.tokenrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.tokenrt.tokens.CachingTokenizer;
import dev.tokenrt.tokens.ChatTokenCounter;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.tokens.Tokenizers;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Counting throughput of Token Runtime's path against JTokkit called directly on the same text, so that any cost our
 * layer adds shows up side by side:
 * <ul>
 * <li>{@code corpusJTokkitDirect} / {@code corpusTokenizersForModel}: every ~4 kB chunk of the mixed corpus
 *     (English, Chinese, code; bench/corpus/build-corpus.sh), counted with {@code Encoding.countTokensOrdinary}, or
 *     through {@code Tokenizers.forModel(model)} and {@code Tokenizer.count} (the lookup is made for every chunk, as a
 *     gateway would per request). One operation is the whole corpus.</li>
 * <li>{@code chatJTokkitDirect} / {@code chatTokenCounter} / {@code chatTokenCounterCached}: a ~2,000-token
 *     chat request with tools; the baseline counts the same strings (roles, contents, arguments, tool JSON) with
 *     JTokkit, {@link ChatTokenCounter} walks the JSON, renders the tool namespace and applies OpenAI's framing; the
 *     cached variant registers a {@link CachingTokenizer} for the model, as a gateway serving a fixed system prompt
 *     would. One operation is one request.</li>
 * </ul>
 * The auxiliary counters {@code bytes} and {@code tokens} are UTF-8 bytes and tokens counted per second; the report
 * step ({@link CountingReport}) turns them into MB/s and tokens/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
public class CountingBenchmark {

    @Param({"o200k_base", "cl100k_base"})
    public String encoding;

    /** The corpus file; empty means the system property tokenrt.corpus, else bench/work/corpus.txt. */
    @Param({""})
    public String corpus;

    private List<String> chunks;
    private long corpusBytes;
    private long corpusTokens;
    private String model;
    private Tokenizers tokenizers;
    private Encoding jtokkit;

    private JsonNode request;
    private List<String> requestTexts;
    private long requestBytes;
    private ChatTokenCounter counter;
    private ChatTokenCounter cachedCounter;

    /** Bytes and tokens counted, reported by JMH as rates next to ops/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counted {
        public long bytes;
        public long tokens;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            tokens = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        Corpus c = Corpus.load(corpus);
        chunks = c.chunks();
        corpusBytes = c.utf8Bytes();
        model = switch (encoding) {
            case "o200k_base" -> "gpt-4o";
            case "cl100k_base" -> "gpt-4";
            default -> throw new IllegalArgumentException("no model for encoding " + encoding);
        };
        tokenizers = Tokenizers.defaults();
        jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.fromName(encoding).orElseThrow());

        long ours = 0;
        long theirs = 0;
        for (String s : chunks) {
            ours += tokenizers.forModel(model).orElseThrow().countTokens(s);
            theirs += jtokkit.countTokensOrdinary(s);
        }
        if (ours != theirs) {
            throw new IllegalStateException("our count " + ours + " differs from JTokkit's " + theirs);
        }
        corpusTokens = ours;

        request = ChatRequests.build(c);
        requestTexts = ChatRequests.texts(request);
        requestBytes = requestTexts.stream().mapToLong(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
        counter = new ChatTokenCounter(tokenizers);
        cachedCounter = new ChatTokenCounter(tokenizers.withModel(model,
                CachingTokenizer.wrap(tokenizers.forModel(model).orElseThrow())));
        TokenCount prompt = counter.countPrompt(model, request);
        if (!prompt.equals(cachedCounter.countPrompt(model, request))) {
            throw new IllegalStateException("cached count differs");
        }
        System.out.printf("%ncorpus %s: %d chunks, %d bytes, %d %s tokens; chat request: %s prompt tokens%n",
                c.path(), chunks.size(), corpusBytes, corpusTokens, encoding, prompt);
    }

    @Benchmark
    public long corpusJTokkitDirect(Counted counted) {
        long n = 0;
        for (String s : chunks) {
            n += jtokkit.countTokensOrdinary(s);
        }
        counted.bytes += corpusBytes;
        counted.tokens += n;
        return n;
    }

    @Benchmark
    public long corpusTokenizersForModel(Counted counted) {
        long n = 0;
        for (String s : chunks) {
            n += tokenizers.forModel(model).orElseThrow().count(s).tokens();
        }
        counted.bytes += corpusBytes;
        counted.tokens += n;
        return n;
    }

    @Benchmark
    public long chatJTokkitDirect(Counted counted) {
        long n = 0;
        for (String s : requestTexts) {
            n += jtokkit.countTokensOrdinary(s);
        }
        counted.bytes += requestBytes;
        counted.tokens += n;
        return n;
    }

    @Benchmark
    public long chatTokenCounter(Counted counted) {
        long n = counter.countPrompt(model, request).tokens();
        counted.bytes += requestBytes;
        counted.tokens += n;
        return n;
    }

    @Benchmark
    public long chatTokenCounterCached(Counted counted) {
        long n = cachedCounter.countPrompt(model, request).tokens();
        counted.bytes += requestBytes;
        counted.tokens += n;
        return n;
    }
}
