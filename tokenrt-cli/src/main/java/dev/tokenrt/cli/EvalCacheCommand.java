package dev.tokenrt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.cache.semantic.Embedder;
import dev.tokenrt.cache.semantic.FixedThresholdPolicy;
import dev.tokenrt.cache.semantic.PolicyReport;
import dev.tokenrt.cache.semantic.SemanticCache;
import dev.tokenrt.cache.semantic.SemanticPolicy;
import dev.tokenrt.cache.semantic.VerifiedPolicy;
import dev.tokenrt.cache.semantic.lucene.LuceneVectorIndex;
import dev.tokenrt.cache.semantic.onnx.EmbeddingModel;
import dev.tokenrt.cache.semantic.onnx.OnnxEmbedder;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenrt eval cache}: the semantic cache's hit rate and wrong hits on labelled paraphrase pairs. */
@Command(name = "cache", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
            "Measure the semantic cache on labelled pairs: build an empty cache with",
            "the product's own embedder, Lucene index and policy, store the first",
            "text of every pair, look up the second, and count.",
            "",
            "All entries share one partition (one context), so a lookup can hit",
            "another pair's entry. A hit is correct only when the pair is a duplicate",
            "and the hit is that pair's own entry; pairs whose first texts are",
            "identical share one entry (it is the same cached question).",
            "  hit_rate       = correct hits / duplicate pairs",
            "  precision      = correct hits / hits",
            "  false_hit_rate = wrong hits / lookups",
            "",
            "The verified policy (the default) learns from verifications. For the",
            "lookups it chooses to verify, the evaluation simulates the upstream",
            "comparison with the pair's label (the answers agree when the pair is a",
            "duplicate and the candidate is its own entry) and counts the lookup as",
            "a miss, since it went upstream. Pairs are looked up in file order, so",
            "the policy pays for its learning within the run. The fixed policy",
            "serves from a cosine of --threshold (0.8, the peers' default) and never",
            "verifies."},
        footer = {
            "",
            "Formats:",
            "  pairs     JSON lines {\"text_a\",\"text_b\",\"label\":0|1}",
            "  lcqmc     s1<TAB>s2<TAB>label",
            "  stsb      the STS-B csv files; a duplicate where the score is >= 4",
            "  gptcache  GPTCache's mock_data.json; every {origin, similar} is one",
            "",
            "Examples:",
            "  tokenrt eval cache --pairs sts-dev.csv --format stsb",
            "  tokenrt eval cache --pairs dev.txt --format lcqmc --policy fixed --json",
            "  tokenrt eval cache --pairs mock_data.json --format gptcache \\",
            "      --max-false-hit-rate 0.02",
            "",
            "--json prints {\"pairs\", \"hit_rate\", \"precision\", \"false_hit_rate\",",
            "\"policy\", …, \"report\":{…}}; precision is null when nothing was served.",
            "Progress goes to standard error. Errors exit with status 2."})
final class EvalCacheCommand implements Callable<Integer> {

    @Option(names = "--pairs", required = true, paramLabel = "FILE", description = "The labelled pairs.")
    Path pairs;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "pairs, lcqmc, stsb or gptcache.")
    String format;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N pairs.")
    Integer limit;

    @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "verified",
            description = "verified (default: calibrated to the false-hit bound) or fixed (the --threshold baseline).")
    String policy;

    @Option(names = "--threshold", paramLabel = "COSINE", defaultValue = "0.8",
            description = "The fixed policy's cosine threshold (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--max-false-hit-rate", paramLabel = "RATE", defaultValue = "0.01",
            description = "The verified policy's bound on wrong hits per lookup (default: ${DEFAULT-VALUE}).")
    double maxFalseHitRate;

    @Option(names = "--max-wrong-share", paramLabel = "SHARE", defaultValue = "0.03",
            description = "The verified policy's bound on the share of served hits that are wrong (default: ${DEFAULT-VALUE}).")
    double maxWrongShare;

    @Option(names = "--embedder", paramLabel = "MODEL", defaultValue = "auto",
            description = "auto (default: bge-small-zh for Chinese or Japanese text, all-MiniLM-L6-v2 otherwise), "
                    + "all-minilm-l6-v2 or bge-small-zh.")
    String embedder;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the verified policy's audit draws, for a repeatable run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    /** A time for the whole run: entries never expire within it. */
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public Integer call() {
        if (limit != null && limit < 1) {
            throw new CliError("--limit must be at least 1, got " + limit);
        }
        SemanticPolicy chosen = policy();
        List<ParaphrasePairs.Pair> data = ParaphrasePairs.read(pairs, ParaphrasePairs.format(format),
                limit == null ? Integer.MAX_VALUE : limit);
        if (data.isEmpty()) {
            throw new CliError(pairs + ": no pairs");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("tokenrt-eval-cache");
        } catch (IOException e) {
            throw new CliError("cannot create a temporary index directory: " + e.getMessage());
        }
        try (Embedder model = embedder(); LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            SemanticCache cache = SemanticCache.builder(model, index).policy(chosen)
                    .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
            Result r = run(cache, data, System.err);
            System.out.print(json ? json(r, model) : table(r, model));
            return 0;
        } finally {
            delete(dir);
        }
    }

    private SemanticPolicy policy() {
        if (!(maxFalseHitRate > 0 && maxFalseHitRate < 1)) {
            throw new CliError("--max-false-hit-rate must be between 0 and 1 (exclusive), got " + maxFalseHitRate);
        }
        if (!(maxWrongShare > 0 && maxWrongShare <= 1)) {
            throw new CliError("--max-wrong-share must be above 0 and at most 1, got " + maxWrongShare);
        }
        try {
            return switch (policy.trim().toLowerCase(Locale.ROOT)) {
                case "verified" -> new VerifiedPolicy(VerifiedPolicy.Settings.DEFAULT
                        .withMaxFalseHitRate(maxFalseHitRate).withMaxWrongShareOfHits(maxWrongShare),
                        new SplittableRandom(seed));
                case "fixed" -> new FixedThresholdPolicy(threshold);
                default -> throw new CliError("unknown --policy '" + policy + "'; use verified or fixed");
            };
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage()); // a setting out of range, in the policy's words
        }
    }

    private Embedder embedder() {
        if (embedder.trim().equalsIgnoreCase("auto")) {
            return OnnxEmbedder.loadByLanguage();
        }
        try {
            return OnnxEmbedder.load(EmbeddingModel.byName(embedder));
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage().replace("embedding model", "--embedder") + ", or auto");
        }
    }

    record Result(int pairs, int duplicates, int entries, int hits, int correctHits, int verified, int unstorable,
                  PolicyReport report) {
        double hitRate() {
            return duplicates == 0 ? 0 : (double) correctHits / duplicates;
        }

        Optional<Double> precision() {
            return hits == 0 ? Optional.empty() : Optional.of((double) correctHits / hits);
        }

        double falseHitRate() {
            return (double) (hits - correctHits) / pairs;
        }
    }

    static Result run(SemanticCache cache, List<ParaphrasePairs.Pair> data, PrintStream progress) {
        String partition = "eval:one-context";
        Map<String, String> entryOfText = new HashMap<>();
        String[] own = new String[data.size()];
        int unstorable = 0;
        Progress bar = new Progress(progress, 2L * data.size());
        for (int i = 0; i < data.size(); i++) {
            String text = data.get(i).a();
            String known = entryOfText.get(text);
            if (known == null) {
                known = "e" + entryOfText.size();
                entryOfText.put(text, known);
                if (!cache.add(partition, known, text, NOW.plusSeconds(86_400))) {
                    unstorable++;
                }
            }
            own[i] = known;
            bar.step();
        }
        int hits = 0;
        int correct = 0;
        int verified = 0;
        int duplicates = 0;
        for (int i = 0; i < data.size(); i++) {
            ParaphrasePairs.Pair p = data.get(i);
            if (p.duplicate()) {
                duplicates++;
            }
            Optional<SemanticCache.Match> m = cache.lookup(partition, p.b(), NOW);
            if (m.isPresent()) {
                boolean right = p.duplicate() && m.get().entryId().equals(own[i]);
                if (m.get().mustVerify()) {
                    verified++;
                    cache.feedback(m.get(), right);
                } else {
                    hits++;
                    if (right) {
                        correct++;
                    }
                }
            }
            bar.step();
        }
        bar.done();
        return new Result(data.size(), duplicates, entryOfText.size(), hits, correct, verified, unstorable,
                cache.report());
    }

    private String json(Result r, Embedder model) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("pairs", r.pairs());
        o.put("hit_rate", r.hitRate());
        if (r.precision().isPresent()) {
            o.put("precision", r.precision().get());
        } else {
            o.putNull("precision");
        }
        o.put("false_hit_rate", r.falseHitRate());
        o.put("policy", r.report().policy());
        o.put("duplicates", r.duplicates());
        o.put("entries", r.entries());
        o.put("hits", r.hits());
        o.put("correct_hits", r.correctHits());
        o.put("verified", r.verified());
        o.put("embedder", model.id());
        ObjectNode rep = o.putObject("report");
        PolicyReport p = r.report();
        rep.put("lookups", p.lookups());
        rep.put("served", p.served());
        rep.put("labels", p.labels());
        if (p.threshold().isPresent()) {
            rep.put("threshold", p.threshold().getAsDouble());
        } else {
            rep.putNull("threshold");
        }
        if (p.bound().isPresent()) {
            rep.put("max_false_hit_rate", p.bound().getAsDouble());
        }
        if (p.modelBound().isPresent()) {
            rep.put("computed_bound_at_threshold", p.modelBound().getAsDouble());
        }
        if (p.wrongShareOfHits().n() == 0) {
            rep.putNull("achieved_false_hit_rate"); // nothing audited: the policy cannot tell
        } else {
            ObjectNode achieved = rep.putObject("achieved_false_hit_rate");
            achieved.put("estimate", p.falseHitRate().estimate());
            achieved.put("ci_low", p.falseHitRate().lower());
            achieved.put("ci_high", p.falseHitRate().upper());
            achieved.put("confidence", p.falseHitRate().confidence());
            achieved.put("audited_hits", p.wrongShareOfHits().n());
            achieved.put("audited_wrong", p.wrongShareOfHits().k());
        }
        rep.put("summary", p.summary());
        return Json.compact(o) + "\n";
    }

    private String table(Result r, Embedder model) {
        Table t = new Table("metric", "value").right(1);
        t.row("pairs", r.pairs());
        t.row("duplicate pairs", r.duplicates());
        t.row("entries", r.entries());
        t.row("hits", r.hits());
        t.row("correct hits", r.correctHits());
        t.row("verified (misses)", r.verified());
        t.row("hit_rate", String.format(Locale.ROOT, "%.4f", r.hitRate()));
        t.row("precision", r.precision().map(v -> String.format(Locale.ROOT, "%.4f", v)).orElse("n/a"));
        t.row("false_hit_rate", String.format(Locale.ROOT, "%.4f", r.falseHitRate()));
        return "policy " + r.report().policy() + ", embedder " + model.id() + "\n" + t.render()
                + r.report().summary() + "\n";
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("tokenrt eval cache: could not delete " + dir + ": " + e.getMessage());
        }
    }

    /** A progress bar on standard error, redrawn at each whole percent; silent for runs under 1,000 steps. */
    static final class Progress {
        private final PrintStream out;
        private final long total;
        private long done;
        private int shown = -1;

        Progress(PrintStream out, long total) {
            this.out = out;
            this.total = total;
        }

        void step() {
            done++;
            if (total < 1000) {
                return;
            }
            int percent = (int) (100 * done / total);
            if (percent != shown) {
                shown = percent;
                int filled = percent / 5;
                out.print("\r[" + "#".repeat(filled) + " ".repeat(20 - filled) + "] " + percent + "% (" + done
                        + "/" + total + " embeddings)");
                out.flush();
            }
        }

        void done() {
            if (total >= 1000) {
                out.println();
            }
        }
    }
}
