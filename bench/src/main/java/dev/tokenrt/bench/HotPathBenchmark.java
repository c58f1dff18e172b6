package dev.tokenrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.bench.load.ChatBodies;
import dev.tokenrt.cache.RequestFingerprint;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pipeline.DefaultTokenCounting;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.provider.LongStrings;
import dev.tokenrt.provider.OpenAiChatFormat;
import dev.tokenrt.tokens.PromptBound;
import dev.tokenrt.tokens.ProviderEstimators;
import dev.tokenrt.tokens.Tokenizers;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request steps of the gateway's hot path, each on its own, with the objects the gateway uses for them:
 * <ul>
 * <li>{@code countChat2000}: the prompt of a ~2,000-token chat request (system and user message of English
 *     prose, parsed from its JSON by the OpenAI format as the gateway does) counted for gpt-4o-mini by
 *     {@link DefaultTokenCounting}, the counting step's exact o200k count with OpenAI's framing.</li>
 * <li>{@code costOfUsage}: the cost of one response's usage (2,000 in, 256 out, 512 cached) for gpt-4o-mini by
 *     {@link CatalogPricing}: catalog lookup and exact decimal arithmetic to nano-dollars.</li>
 * <li>{@code cacheKey2000} / {@code cacheKey100} / {@code cacheKey20000}: the exact cache's key for the same
 *     request (and for a ~100-token one and the comparison's ~20,000-token one), {@link RequestFingerprint#exact}:
 *     the canonical encoding and its SHA-256.</li>
 * <li>{@code promptBound2000}: what a budget with room holds the same prompt at instead of counting it,
 *     {@link PromptBound#plainText}: UTF-8 bytes plus framing, an upper bound no byte-level tokenizer exceeds
 *     (the budget step counts exactly only when this bound does not fit).</li>
 * <li>{@code parseChat2000}: for scale, what parsing the request's JSON into the neutral model costs.</li>
 * <li>{@code writeRequest20000} / {@code writeRequest20000Jackson}: the ~20,000-token request as the gateway
 *     sends it upstream, written to bytes through {@link LongStrings} and, for comparison, by Jackson alone.</li>
 * <li>{@code promptBound20000}: the free bound of that request.</li>
 * </ul>
 * Budget reserve and settle are in {@link BudgetStoreBenchmark} (engines memory, sqlite, redis).
 * Run with {@code -prof gc} for the allocation per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class HotPathBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "gpt-4o-mini";

    private DefaultTokenCounting counting;
    private CatalogPricing pricing;
    private OpenAiChatFormat format;
    private JsonNode body2000;
    private ChatRequest chat2000;
    private ChatRequest chat100;
    private ChatRequest chat20000;
    private Usage usage;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        PricingCatalog catalog = PricingCatalog.bundled();
        counting = new DefaultTokenCounting(Tokenizers.defaults(), ProviderEstimators.withDefaults(), catalog);
        pricing = new CatalogPricing(catalog);
        format = new OpenAiChatFormat();
        body2000 = JSON.readTree(ChatBodies.chat(MODEL, 2000, false).json());
        chat2000 = format.parseRequest(body2000);
        chat100 = format.parseRequest(JSON.readTree(ChatBodies.chat(MODEL, 100, false).json()));
        chat20000 = format.parseRequest(JSON.readTree(ChatBodies.chat(MODEL, 20_000, false).json()));
        usage = new Usage(2000, 256, 512, 0, 0, 0, UsageSource.PROVIDER, UsageSource.PROVIDER);
        long tokens = counting.prompt(chat2000, MODEL).tokens();
        if (tokens < 1900 || tokens > 2200) {
            throw new IllegalStateException("the 2,000-token request counts " + tokens + " tokens");
        }
        if (PromptBound.plainText(chat2000).orElse(0) < tokens) {
            throw new IllegalStateException("the bound is under the count");
        }
        if (pricing.costNanos("openai", MODEL, usage).isEmpty()) {
            throw new IllegalStateException("no price for " + MODEL);
        }
    }

    @Benchmark
    public long countChat2000() {
        return counting.prompt(chat2000, MODEL).tokens();
    }

    @Benchmark
    public OptionalLong costOfUsage() {
        return pricing.costNanos("openai", MODEL, usage);
    }

    @Benchmark
    public String cacheKey2000() {
        return RequestFingerprint.exact(chat2000, "openai", MODEL);
    }

    @Benchmark
    public String cacheKey20000() {
        return RequestFingerprint.exact(chat20000, "openai", MODEL);
    }

    @Benchmark
    public String cacheKey100() {
        return RequestFingerprint.exact(chat100, "openai", MODEL);
    }

    @Benchmark
    public OptionalLong promptBound2000() {
        return PromptBound.plainText(chat2000);
    }

    @Benchmark
    public ChatRequest parseChat2000() {
        return format.parseRequest(body2000);
    }

    @Benchmark
    public OptionalLong promptBound20000() {
        return PromptBound.plainText(chat20000);
    }

    @Benchmark
    public int writeRequest20000() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 * 1024);
        try (LongStrings generator = new LongStrings(JSON.createGenerator(out))) {
            JSON.writeTree(generator, format.writeRequest(chat20000, MODEL));
        }
        return out.size();
    }

    @Benchmark
    public int writeRequest20000Jackson() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 * 1024);
        JSON.writeValue(out, format.writeRequest(chat20000, MODEL));
        return out.size();
    }
}
