package dev.tokenrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.tokenrt.tokens.ChatTokenCounter;
import dev.tokenrt.tokens.Tokenizers;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A paired check that complements {@link CountingBenchmark} on a shared, noisy machine: JMH measures each benchmark
 * in its own fork, one after another, so a neighbour's load that comes and goes lands on one side of a comparison.
 * Here JTokkit direct and our path run alternately in one JVM (A B A B ...), and the ratio of each pair is taken, so
 * drifting load cancels out. It reports the median and the spread of ours/direct over the pairs after warm-up.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.tokenrt.bench.PairedCheck <corpus> [pairs]}
 */
public final class PairedCheck {

    private PairedCheck() {
    }

    public static void main(String[] args) {
        Corpus corpus = Corpus.load(args.length > 0 ? args[0] : "");
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int warmup = 5;
        Tokenizers tokenizers = Tokenizers.defaults();
        System.out.println("| comparison | encoding | pairs | median ours/direct | min | max |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (String encoding : List.of("o200k_base", "cl100k_base")) {
            String model = encoding.equals("o200k_base") ? "gpt-4o" : "gpt-4";
            Encoding direct = Encodings.newDefaultEncodingRegistry()
                    .getEncoding(EncodingType.fromName(encoding).orElseThrow());
            List<String> chunks = corpus.chunks();
            double[] corpusRatios = pairs(warmup, pairs,
                    () -> {
                        long n = 0;
                        for (String s : chunks) {
                            n += direct.countTokensOrdinary(s);
                        }
                        return n;
                    },
                    () -> {
                        long n = 0;
                        for (String s : chunks) {
                            n += tokenizers.forModel(model).orElseThrow().count(s).tokens();
                        }
                        return n;
                    });
            print("corpus: Tokenizers.forModel + count vs countTokensOrdinary", encoding, corpusRatios);

            JsonNode request = ChatRequests.build(corpus);
            List<String> texts = ChatRequests.texts(request);
            ChatTokenCounter counter = new ChatTokenCounter(tokenizers);
            int repeat = 500;
            double[] chatRatios = pairs(warmup, pairs,
                    () -> {
                        long n = 0;
                        for (int i = 0; i < repeat; i++) {
                            for (String s : texts) {
                                n += direct.countTokensOrdinary(s);
                            }
                        }
                        return n;
                    },
                    () -> {
                        long n = 0;
                        for (int i = 0; i < repeat; i++) {
                            n += counter.countPrompt(model, request).tokens();
                        }
                        return n;
                    });
            print("chat request: ChatTokenCounter vs countTokensOrdinary of its texts", encoding, chatRatios);
        }
    }

    private interface Work {
        long run();
    }

    private static long sink;

    private static double[] pairs(int warmup, int pairs, Work direct, Work ours) {
        double[] ratios = new double[pairs];
        for (int i = -warmup; i < pairs; i++) {
            // alternate which side goes first, so neither always follows the other's garbage
            boolean directFirst = (i & 1) == 0;
            long d;
            long o;
            if (directFirst) {
                d = time(direct);
                o = time(ours);
            } else {
                o = time(ours);
                d = time(direct);
            }
            if (i >= 0) {
                ratios[i] = (double) o / d;
            }
        }
        Arrays.sort(ratios);
        return ratios;
    }

    private static long time(Work w) {
        long t0 = System.nanoTime();
        sink += w.run();
        return System.nanoTime() - t0;
    }

    private static void print(String what, String encoding, double[] sorted) {
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.3f | %.3f | %.3f |%n",
                what, encoding, sorted.length, median, sorted[0], sorted[sorted.length - 1]);
    }
}
