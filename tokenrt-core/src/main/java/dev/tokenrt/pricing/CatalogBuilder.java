package dev.tokenrt.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds Token Runtime's own pricing catalog ({@code catalog.json}) from two public catalogs, and a report of
 * where they disagree. Run by {@code bin/update-pricing.sh}; never at run time.
 *
 * <pre>
 * CatalogBuilder --litellm FILE --genai-prices DIR --out FILE [--report FILE] [--date YYYY-MM-DD]
 *                [--litellm-date YYYY-MM-DD] [--litellm-commit SHA]
 *                [--genai-prices-date YYYY-MM-DD] [--genai-prices-commit SHA]
 * </pre>
 *
 * <p><b>Sources.</b> LiteLLM's {@code model_prices_and_context_window.json} (BerriAI/litellm, MIT) is the primary
 * source: it is dated ({@code last_updated}), prices each provider's deployment separately and carries the fields
 * cost control needs (cache read and write by TTL, batch, long-context tiers, context windows). pydantic's
 * genai-prices (MIT) is an independent catalog used to cross-check it.
 *
 * <p><b>Which source wins</b> (applied in this order, each case listed in the report):
 * <ol>
 *   <li>LiteLLM wins every disagreement by default: it is the dated, per-deployment source.</li>
 *   <li>Except when genai-prices records a dated price change ({@code start_date}) that took effect after
 *       LiteLLM's snapshot and on or before the build date: LiteLLM could not know it. Then genai-prices' input,
 *       output, cache read and cache write prices replace LiteLLM's, and LiteLLM's other prices for that model
 *       (1h write, reasoning, batch, tiers), which belong to the old price generation, are dropped.</li>
 *   <li>genai-prices fills a cache read or cache write price, or long-context tiers, that LiteLLM lacks, but only
 *       when both agree on the model's input and output prices (so the two are the same price generation).</li>
 *   <li>genai-prices' exact-name {@code equals} matches become aliases under the same condition, unless the name
 *       has an entry of its own.</li>
 *   <li>Anthropic's 1-hour cache write costs 2&times; the base input price (Anthropic's prompt-caching docs); every
 *       Anthropic-family entry in LiteLLM that prices it follows this except two obvious slips, so for provider
 *       {@code anthropic} a missing or contradicting 1h price is set to 2&times; input with source {@code derived}.</li>
 * </ol>
 * genai-prices matches reached only through its {@code fallback_model_providers} (Azure to OpenAI) are reported
 * but never change a price.
 *
 * <p><b>Exact decimals.</b> LiteLLM's prices are JSON doubles per token. Each is converted with
 * {@code new BigDecimal(Double.toString(x))}, the shortest decimal that reads back as the same double (so exactly
 * the figure LiteLLM's maintainers wrote, e.g. {@code 2.5e-06}, never its binary expansion
 * {@code 2.50000000000000010…e-06}), and then multiplied by 10<sup>6</sup> by moving the decimal point, which is
 * exact. genai-prices' per-million doubles get the same shortest-decimal conversion.
 *
 * <p><b>Deterministic.</b> The output depends only on the input files and the options: entries are sorted, the
 * only date that is not taken from the inputs is {@code --date} (default: today, UTC).
 */
public final class CatalogBuilder {

    static final String LITELLM = "litellm";
    static final String DERIVED = "derived";

    private static final Set<String> KEPT_MODES = Set.of("chat", "responses", "completion", "embedding");
    private static final Pattern TIER_FIELD = Pattern.compile(
            "(input_cost_per_token|output_cost_per_token|output_cost_per_reasoning_token|cache_read_input_token_cost"
                    + "|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr)_above_(\\d+)k_tokens");
    private static final Map<String, PriceKind> TIER_KINDS = Map.of(
            "input_cost_per_token", PriceKind.INPUT,
            "output_cost_per_token", PriceKind.OUTPUT,
            "output_cost_per_reasoning_token", PriceKind.REASONING,
            "cache_read_input_token_cost", PriceKind.CACHE_READ,
            "cache_creation_input_token_cost", PriceKind.CACHE_WRITE_5M,
            "cache_creation_input_token_cost_above_1hr", PriceKind.CACHE_WRITE_1H);
    private static final List<PriceKind> COMPARED = List.of(
            PriceKind.INPUT, PriceKind.OUTPUT, PriceKind.CACHE_READ, PriceKind.CACHE_WRITE_5M);
    private static final BigDecimal ANTHROPIC_1H_MULTIPLIER = BigDecimal.valueOf(2);
    private static final Comparator<ModelPrice> ORDER =
            Comparator.comparing(ModelPrice::provider).thenComparing(ModelPrice::id);

    private CatalogBuilder() {
    }

    /** Builder options; see the class comment for their meaning. */
    record Options(Path litellm, Path genaiPricesDir, Path out, Optional<Path> report, LocalDate asOf,
                   Optional<LocalDate> litellmDate, Optional<String> litellmCommit,
                   Optional<LocalDate> genaiPricesDate, Optional<String> genaiPricesCommit) {
    }

    /** The catalog text, the report text and how many models the catalog holds. */
    record Result(String catalogJson, String report, int modelCount) {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println("usage: CatalogBuilder --litellm FILE --genai-prices DIR --out FILE [--report FILE] [--date YYYY-MM-DD]");
            err.println("       [--litellm-date YYYY-MM-DD] [--litellm-commit SHA] [--genai-prices-date YYYY-MM-DD] [--genai-prices-commit SHA]");
            return 2;
        }
        try {
            Result result = build(options);
            Path parent = options.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.out(), result.catalogJson(), StandardCharsets.UTF_8);
            out.println("wrote " + result.modelCount() + " models to " + options.out());
            if (options.report().isPresent()) {
                Path reportParent = options.report().get().toAbsolutePath().getParent();
                if (reportParent != null) {
                    Files.createDirectories(reportParent);
                }
                Files.writeString(options.report().get(), result.report(), StandardCharsets.UTF_8);
                out.println("wrote cross-check report to " + options.report().get());
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    static Options parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> known = Set.of("--litellm", "--genai-prices", "--out", "--report", "--date", "--litellm-date",
                "--litellm-commit", "--genai-prices-date", "--genai-prices-commit");
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option '" + name + "'");
            }
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            values.put(name, args[++i]);
        }
        for (String required : List.of("--litellm", "--genai-prices", "--out")) {
            if (!values.containsKey(required)) {
                throw new IllegalArgumentException("option " + required + " is required");
            }
        }
        return new Options(Path.of(values.get("--litellm")), Path.of(values.get("--genai-prices")),
                Path.of(values.get("--out")), Optional.ofNullable(values.get("--report")).map(Path::of),
                Optional.ofNullable(values.get("--date")).map(d -> date(d, "--date")).orElse(LocalDate.now(ZoneOffset.UTC)),
                Optional.ofNullable(values.get("--litellm-date")).map(d -> date(d, "--litellm-date")),
                Optional.ofNullable(values.get("--litellm-commit")),
                Optional.ofNullable(values.get("--genai-prices-date")).map(d -> date(d, "--genai-prices-date")),
                Optional.ofNullable(values.get("--genai-prices-commit")));
    }

    private static LocalDate date(String text, String option) {
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be a date (YYYY-MM-DD), got '" + text + "'", e);
        }
    }

    // ------------------------------------------------------------------ build

    static Result build(Options o) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        byte[] liteBytes = Files.readAllBytes(o.litellm());
        JsonNode lite = mapper.readTree(liteBytes);
        if (lite == null || !lite.isObject()) {
            throw new IOException(o.litellm() + ": expected LiteLLM's JSON object of models");
        }
        LocalDate liteDate;
        String liteBasis;
        if (o.litellmDate().isPresent()) {
            liteDate = o.litellmDate().get();
            liteBasis = "given with --litellm-date";
        } else if (lite.path("last_updated").isTextual()) {
            liteDate = OffsetDateTime.parse(lite.get("last_updated").asText()).atZoneSameInstant(ZoneOffset.UTC).toLocalDate();
            liteBasis = "the file's last_updated field (" + lite.get("last_updated").asText() + ")";
        } else {
            liteDate = LocalDate.ofInstant(Files.getLastModifiedTime(o.litellm()).toInstant(), ZoneOffset.UTC);
            liteBasis = "modification time of the file (it has no last_updated field)";
        }
        Path genaiData = o.genaiPricesDir().resolve("data.json");
        byte[] genaiBytes = Files.readAllBytes(genaiData);
        GenAiPrices genai = GenAiPrices.load(genaiData, mapper);
        LocalDate genaiDate;
        String genaiBasis;
        if (o.genaiPricesDate().isPresent()) {
            genaiDate = o.genaiPricesDate().get();
            genaiBasis = "given with --genai-prices-date";
        } else {
            genaiDate = LocalDate.ofInstant(Files.getLastModifiedTime(genaiData).toInstant(), ZoneOffset.UTC);
            genaiBasis = "modification time of data.json (the data carries no date of its own)";
        }

        Report report = new Report(o.asOf(), liteDate, genaiDate);

        // 1. LiteLLM entries, grouped by (provider, id)
        Map<String, List<Candidate>> groups = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : lite.properties()) {
            convert(e.getKey(), e.getValue(), liteDate, report)
                    .ifPresent(c -> groups.computeIfAbsent(c.model().qualifiedId(), k -> new ArrayList<>()).add(c));
        }

        // 2. collisions: LiteLLM's provider-qualified key ("gemini/x") wins over a bare one ("x")
        List<ModelPrice> models = new ArrayList<>();
        for (List<Candidate> group : groups.values()) {
            group.sort(Comparator.comparing((Candidate c) -> !c.key().contains("/")).thenComparing(Candidate::key));
            Candidate winner = group.get(0);
            for (Candidate loser : group.subList(1, group.size())) {
                String a = describe(winner.model().rates()) + tiersText(winner.model().tiers());
                String b = describe(loser.model().rates()) + tiersText(loser.model().tiers());
                if (!a.equals(b)) {
                    report.collisions.add(List.of(winner.model().qualifiedId(), winner.key(), loser.key(), a, b));
                }
            }
            models.add(winner.model());
        }
        models.sort(ORDER);

        // 3. cross-check with genai-prices
        Map<String, ModelPrice> byKey = new LinkedHashMap<>();
        models.forEach(m -> byKey.put(m.qualifiedId(), m));
        Map<String, Map<String, List<String[]>>> aliasClaims = new TreeMap<>(); // provider -> alias -> [id, genai id]
        Set<String> matchedGenai = new TreeSet<>();
        for (ModelPrice original : models) {
            Optional<GenAiPrices.Match> found = genai.lookup(original.provider(), original.id(), o.asOf(), genaiDate);
            if (found.isEmpty()) {
                report.unmatched++;
                continue;
            }
            GenAiPrices.Match g = found.get();
            report.matched++;
            matchedGenai.add(g.model().providerId() + ":" + g.model().id());
            ModelPrice m = original;
            boolean agrees = agree(m.rates(), g.rates());
            if (!g.viaFallback() && g.effectiveFrom().isPresent() && g.effectiveFrom().get().isAfter(liteDate)
                    && !agrees && g.rates().input().isPresent()) {
                Rates replaced = Rates.NONE;
                for (PriceKind kind : COMPARED) {
                    replaced = replaced.with(kind, g.rates().get(kind));
                }
                if (m.mode() != ModelMode.EMBEDDING && replaced.output().isEmpty()) {
                    replaced = replaced.with(PriceKind.OUTPUT, m.rates().output());
                }
                report.superseded.add(List.of(m.qualifiedId(), g.label(), g.effectiveFrom().get().toString(),
                        describe(m.rates()) + tiersText(m.tiers()), describe(replaced) + tiersText(g.tiers())));
                m = m.withRates(replaced).withTiers(g.tiers());
                byKey.put(m.qualifiedId(), m);
                continue;
            }
            for (PriceKind kind : COMPARED) {
                Optional<Price> ours = m.rates().get(kind);
                Optional<Price> theirs = g.rates().get(kind);
                if (ours.isPresent() && theirs.isPresent() && !ours.get().sameAmount(theirs.get())) {
                    report.disagreements.add(List.of(m.provider(), m.id(), kind.wireName(), ours.get().plain(),
                            theirs.get().plain(), g.label()));
                }
            }
            compareTiers(m, g, report);
            if (g.viaFallback() || !agrees) {
                continue;
            }
            Rates rates = m.rates();
            for (PriceKind kind : List.of(PriceKind.CACHE_READ, PriceKind.CACHE_WRITE_5M)) {
                if (rates.get(kind).isEmpty() && g.rates().get(kind).isPresent()) {
                    rates = rates.with(kind, g.rates().get(kind));
                    report.filled.add(List.of(m.qualifiedId(), kind.wireName(), g.rates().get(kind).get().plain(), g.label()));
                }
            }
            m = m.withRates(rates);
            if (m.tiers().isEmpty() && !g.tiers().isEmpty()) {
                m = m.withTiers(g.tiers());
                report.filled.add(List.of(m.qualifiedId(), "tiers", tiersText(g.tiers()).trim(), g.label()));
            }
            byKey.put(m.qualifiedId(), m);
            for (String alias : GenAiPrices.equalsNames(g.model().match())) {
                if (!alias.equals(m.id()) && !alias.contains("/")) {
                    aliasClaims.computeIfAbsent(m.provider(), p -> new TreeMap<>())
                            .computeIfAbsent(alias, a -> new ArrayList<>()).add(new String[] {m.id(), g.model().id()});
                }
            }
        }

        // 4. aliases: only names with no entry of their own, claimed unambiguously
        Map<String, List<String>> aliasesByKey = new TreeMap<>();
        for (Map.Entry<String, Map<String, List<String[]>>> p : aliasClaims.entrySet()) {
            for (Map.Entry<String, List<String[]>> a : p.getValue().entrySet()) {
                String alias = a.getKey();
                if (byKey.containsKey(p.getKey() + "/" + alias)) {
                    continue;
                }
                List<String[]> claims = a.getValue();
                Optional<String> owner = claims.size() == 1 ? Optional.of(claims.get(0)[0])
                        : claims.stream().filter(c -> c[0].equals(c[1])).map(c -> c[0]).findFirst();
                if (owner.isPresent()) {
                    aliasesByKey.computeIfAbsent(p.getKey() + "/" + owner.get(), k -> new ArrayList<>()).add(alias);
                } else {
                    report.ambiguousAliases.add(List.of(p.getKey(), alias,
                            String.join(", ", claims.stream().map(c -> c[0]).sorted().toList())));
                }
            }
        }
        aliasesByKey.forEach((key, aliases) -> {
            ModelPrice m = byKey.get(key);
            List<String> sorted = new ArrayList<>(new TreeSet<>(aliases));
            byKey.put(key, m.withAliases(sorted));
            report.aliases.add(List.of(key, String.join(", ", sorted)));
        });

        // 5. Anthropic's 1h cache write rule
        for (Map.Entry<String, ModelPrice> e : byKey.entrySet()) {
            ModelPrice m = e.getValue();
            if (!m.provider().equals("anthropic")) {
                continue;
            }
            Rates rates = anthropic1h(m.qualifiedId(), "base", m.rates(), report);
            List<PriceTier> tiers = new ArrayList<>();
            for (PriceTier t : m.tiers()) {
                tiers.add(new PriceTier(t.aboveInputTokens(),
                        anthropic1h(m.qualifiedId(), "above " + t.aboveInputTokens(), t.rates(), report)));
            }
            e.setValue(m.withRates(rates).withTiers(tiers));
        }

        // 6. sanity notes (reported, never changed)
        for (ModelPrice m : byKey.values()) {
            sanity(m, report);
        }
        for (GenAiPrices.GModel g : genai.allModels()) {
            if (!matchedGenai.contains(g.providerId() + ":" + g.id())) {
                report.genaiOnly.computeIfAbsent(g.providerId(), p -> new TreeSet<>()).add(g.id());
            }
        }

        List<ModelPrice> result = new ArrayList<>(byKey.values());
        result.sort(ORDER);
        CatalogInfo info = new CatalogInfo(CatalogJson.SCHEMA_VERSION, o.asOf(), List.of(
                new CatalogInfo.Source(LITELLM, "BerriAI/litellm (model_prices_and_context_window.json)", "MIT",
                        liteDate, liteBasis, o.litellmCommit(), sha256(liteBytes)),
                new CatalogInfo.Source(GenAiPrices.SOURCE, "pydantic/genai-prices (prices/data.json)", "MIT",
                        genaiDate, genaiBasis, o.genaiPricesCommit(), sha256(genaiBytes))));
        String catalog = CatalogJson.write(info, notes(), result);
        return new Result(catalog, report.render(info, result), result.size());
    }

    static List<String> notes() {
        return List.of(
                "Generated by dev.tokenrt.pricing.CatalogBuilder (bin/update-pricing.sh); do not edit by hand: "
                        + "correct prices with an override file (PricingCatalog.withOverrides).",
                "A price given as a plain string has the model entry's source and sourceDate; a price with another "
                        + "provenance is an object {price, source, date}.",
                "LiteLLM's per-token doubles x are stored as new BigDecimal(Double.toString(x)) x 1e6: the shortest "
                        + "decimal that reads back as the same double (the figure as written upstream), then the decimal "
                        + "point moved six places, which is exact.",
                "tiers: when a request's input tokens (cached included) exceed aboveInputTokens, the whole request is "
                        + "billed at the tier's prices; kinds a tier leaves out keep the base price.",
                "Which source wins, and every disagreement: docs/pricing/catalog-crosscheck.md.");
    }

    /** One LiteLLM entry converted, or empty (with the reason counted) when the catalog does not keep it. */
    private static Optional<Candidate> convert(String key, JsonNode node, LocalDate date, Report report) {
        if (!node.isObject() || key.equals("sample_spec") || !node.path("litellm_provider").isTextual()) {
            report.skipped.merge("not a model entry (sample_spec, metadata)", 1, Integer::sum);
            return Optional.empty();
        }
        String mode = node.path("mode").asText("(no mode)");
        if (!KEPT_MODES.contains(mode)) {
            report.skipped.merge("mode " + mode + " (not billed per text token)", 1, Integer::sum);
            return Optional.empty();
        }
        Prices prices = new Prices(key, date, report);
        // LiteLLM's tiered_pricing ranges: the range starting at 0 is the base price when no flat price is given.
        JsonNode firstRange = null;
        for (JsonNode range : node.path("tiered_pricing")) {
            if (range.path("range").path(0).asLong(-1) == 0) {
                firstRange = range;
            }
        }
        JsonNode base = firstRange != null && !node.hasNonNull("input_cost_per_token") ? firstRange : node;
        Optional<Price> input = prices.get(base, "input_cost_per_token");
        if (input.isEmpty()) {
            report.skipped.merge(mode + " with no per-token input price (priced per second, character or hour)", 1, Integer::sum);
            return Optional.empty();
        }
        Optional<Price> output = prices.get(base, "output_cost_per_token");
        if (output.isEmpty() && !mode.equals("embedding")) {
            report.skipped.merge(mode + " with no per-token output price", 1, Integer::sum);
            return Optional.empty();
        }
        Optional<Price> cacheRead = prices.get(base, "cache_read_input_token_cost");
        if (cacheRead.isEmpty()) {
            cacheRead = prices.get(node, "input_cost_per_token_cache_hit");
        }
        Rates rates = new Rates(input, output, cacheRead,
                prices.get(node, "cache_creation_input_token_cost"),
                prices.get(node, "cache_creation_input_token_cost_above_1hr"),
                prices.get(base, "output_cost_per_reasoning_token"),
                prices.get(node, "input_cost_per_token_batches"),
                prices.get(node, "output_cost_per_token_batches"));

        Map<Long, Rates> tiers = new TreeMap<>();
        for (Map.Entry<String, JsonNode> f : node.properties()) {
            Matcher m = TIER_FIELD.matcher(f.getKey());
            if (m.matches()) {
                long above = Long.parseLong(m.group(2)) * 1000;
                PriceKind kind = TIER_KINDS.get(m.group(1));
                prices.get(node, f.getKey()).ifPresent(p ->
                        tiers.merge(above, Rates.NONE.with(kind, p), Rates::overlaidWith));
            }
        }
        for (JsonNode range : node.path("tiered_pricing")) {
            long start = range.path("range").path(0).asLong(0);
            if (start <= 0) {
                continue;
            }
            Rates tier = Rates.NONE;
            for (Map.Entry<String, PriceKind> k : TIER_KINDS.entrySet()) {
                Optional<Price> p = prices.get(range, k.getKey());
                if (p.isPresent()) {
                    tier = tier.with(k.getValue(), p);
                }
            }
            if (!tier.isEmpty()) {
                tiers.merge(start, tier, Rates::overlaidWith);
            }
        }
        List<PriceTier> tierList = new ArrayList<>();
        tiers.forEach((above, r) -> tierList.add(new PriceTier(above, r)));

        String provider = Providers.canonical(node.get("litellm_provider").asText());
        ModelPrice model = new ModelPrice(modelId(key, node.get("litellm_provider").asText()), provider,
                ModelMode.fromWireName(mode).orElseThrow(), rates, tierList,
                count(node.get("max_input_tokens")), count(node.get("max_output_tokens")), List.of(),
                LITELLM, date, isoDate(node.get("deprecation_date")));
        return Optional.of(new Candidate(key, model));
    }

    /** LiteLLM keys carry a provider prefix for most providers ("gemini/gemini-2.5-pro"); our ids do not. */
    static String modelId(String key, String litellmProvider) {
        int slash = key.indexOf('/');
        if (slash <= 0) {
            return key;
        }
        String first = key.substring(0, slash);
        boolean prefix = first.equals(litellmProvider)
                || litellmProvider.startsWith(first + "-") || litellmProvider.startsWith(first + "_")
                || first.replace('-', '_').equals(litellmProvider)
                || Providers.canonical(first).equals(Providers.canonical(litellmProvider));
        return prefix ? key.substring(slash + 1) : key;
    }

    private record Candidate(String key, ModelPrice model) {
    }

    /** Reads LiteLLM per-token prices as exact per-million decimals, reporting values that are not prices. */
    private record Prices(String key, LocalDate date, Report report) {
        Optional<Price> get(JsonNode node, String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                return Optional.empty();
            }
            if (!value.isNumber()) {
                report.issues.add(List.of(key, field, "not a number: " + value));
                return Optional.empty();
            }
            BigDecimal perToken = value.isIntegralNumber() ? new BigDecimal(value.bigIntegerValue())
                    : new BigDecimal(Double.toString(value.doubleValue()));
            if (perToken.signum() < 0) {
                report.issues.add(List.of(key, field, "negative: " + perToken.toPlainString()));
                return Optional.empty();
            }
            return Optional.of(new Price(perToken.movePointRight(6), LITELLM, date));
        }
    }

    private static OptionalLong count(JsonNode node) {
        if (node != null && node.canConvertToExactIntegral() && node.asLong() > 0) {
            return OptionalLong.of(node.asLong());
        }
        return OptionalLong.empty();
    }

    private static Optional<LocalDate> isoDate(JsonNode node) {
        if (node == null || !node.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.parse(node.asText()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Input equal, and output equal (an embedding with no output price on one side and zero on the other agrees). */
    private static boolean agree(Rates ours, Rates theirs) {
        if (ours.input().isEmpty() || theirs.input().isEmpty() || !ours.input().get().sameAmount(theirs.input().get())) {
            return false;
        }
        BigDecimal a = ours.output().map(Price::usdPerMillion).orElse(BigDecimal.ZERO);
        BigDecimal b = theirs.output().map(Price::usdPerMillion).orElse(BigDecimal.ZERO);
        return a.compareTo(b) == 0;
    }

    private static void compareTiers(ModelPrice m, GenAiPrices.Match g, Report report) {
        if (m.tiers().isEmpty() && g.tiers().isEmpty()) {
            return;
        }
        Map<Long, Rates> ours = new TreeMap<>();
        m.tiers().forEach(t -> ours.put(t.aboveInputTokens(), t.rates()));
        Map<Long, Rates> theirs = new TreeMap<>();
        g.tiers().forEach(t -> theirs.put(t.aboveInputTokens(), t.rates()));
        if (m.tiers().isEmpty() || g.tiers().isEmpty()) {
            if (!m.tiers().isEmpty()) {
                report.disagreements.add(List.of(m.provider(), m.id(), "tiers", tiersText(m.tiers()).trim(), "(none)", g.label()));
            }
            return; // genai-prices tiers where LiteLLM has none are filled, or reported as fills
        }
        Set<Long> thresholds = new TreeSet<>(ours.keySet());
        thresholds.addAll(theirs.keySet());
        for (long t : thresholds) {
            Rates a = ours.get(t);
            Rates b = theirs.get(t);
            if (a == null || b == null) {
                report.disagreements.add(List.of(m.provider(), m.id(), "tier above " + t,
                        a == null ? "(none)" : describe(a), b == null ? "(none)" : describe(b), g.label()));
                continue;
            }
            for (PriceKind kind : COMPARED) {
                if (a.get(kind).isPresent() && b.get(kind).isPresent() && !a.get(kind).get().sameAmount(b.get(kind).get())) {
                    report.disagreements.add(List.of(m.provider(), m.id(), kind.wireName() + " above " + t,
                            a.get(kind).get().plain(), b.get(kind).get().plain(), g.label()));
                }
            }
        }
    }

    private static Rates anthropic1h(String model, String where, Rates rates, Report report) {
        if (rates.input().isEmpty() || (rates.cacheWrite5m().isEmpty() && rates.cacheWrite1h().isEmpty())) {
            return rates;
        }
        Price input = rates.input().get();
        Price expected = new Price(input.usdPerMillion().multiply(ANTHROPIC_1H_MULTIPLIER), DERIVED, input.date());
        Optional<Price> given = rates.cacheWrite1h();
        if (given.isPresent() && given.get().sameAmount(expected)) {
            return rates;
        }
        report.anthropic1h.add(List.of(model, where, input.plain(), given.map(Price::plain).orElse("(none)"), expected.plain()));
        return rates.with(PriceKind.CACHE_WRITE_1H, expected);
    }

    private static void sanity(ModelPrice m, Report report) {
        Rates r = m.rates();
        BigDecimal input = m.input().usdPerMillion();
        r.cacheRead().filter(p -> p.usdPerMillion().compareTo(input) > 0)
                .ifPresent(p -> report.suspicious.add(List.of(m.qualifiedId(), "cacheRead " + p.plain() + " > input " + input.toPlainString())));
        r.batchInput().filter(p -> p.usdPerMillion().compareTo(input) > 0)
                .ifPresent(p -> report.suspicious.add(List.of(m.qualifiedId(), "batchInput " + p.plain() + " > input " + input.toPlainString())));
        if (r.output().isPresent()) {
            BigDecimal output = r.output().get().usdPerMillion();
            if (m.mode() != ModelMode.EMBEDDING && output.signum() == 0 && input.signum() > 0) {
                report.suspicious.add(List.of(m.qualifiedId(), "output 0 while input is " + input.toPlainString()));
            }
            r.batchOutput().filter(p -> p.usdPerMillion().compareTo(output) > 0)
                    .ifPresent(p -> report.suspicious.add(List.of(m.qualifiedId(), "batchOutput " + p.plain() + " > output " + output.toPlainString())));
        }
    }

    static String describe(Rates rates) {
        List<String> parts = new ArrayList<>();
        for (PriceKind kind : PriceKind.values()) {
            rates.get(kind).ifPresent(p -> parts.add(kind.wireName() + " " + p.plain()));
        }
        return String.join(", ", parts);
    }

    private static String tiersText(List<PriceTier> tiers) {
        StringBuilder text = new StringBuilder();
        for (PriceTier t : tiers) {
            text.append("; above ").append(t.aboveInputTokens()).append(": ").append(describe(t.rates()));
        }
        return text.length() == 0 ? "" : " " + text.substring(2);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    // ------------------------------------------------------------------ report

    /** Everything the builder decided, rendered as the cross-check report (Markdown). */
    private static final class Report {
        final LocalDate asOf;
        final LocalDate liteDate;
        final LocalDate genaiDate;
        final Map<String, Integer> skipped = new TreeMap<>();
        final List<List<String>> issues = new ArrayList<>();
        final List<List<String>> collisions = new ArrayList<>();
        final List<List<String>> superseded = new ArrayList<>();
        final List<List<String>> disagreements = new ArrayList<>();
        final List<List<String>> filled = new ArrayList<>();
        final List<List<String>> aliases = new ArrayList<>();
        final List<List<String>> ambiguousAliases = new ArrayList<>();
        final List<List<String>> anthropic1h = new ArrayList<>();
        final List<List<String>> suspicious = new ArrayList<>();
        final Map<String, Set<String>> genaiOnly = new TreeMap<>();
        int matched;
        int unmatched;

        Report(LocalDate asOf, LocalDate liteDate, LocalDate genaiDate) {
            this.asOf = asOf;
            this.liteDate = liteDate;
            this.genaiDate = genaiDate;
        }

        String render(CatalogInfo info, List<ModelPrice> models) {
            StringBuilder md = new StringBuilder();
            md.append("# Pricing catalog cross-check\n\n");
            md.append("Generated by `dev.tokenrt.pricing.CatalogBuilder` (`bin/update-pricing.sh`) on ").append(asOf)
                    .append(" together with `tokenrt-core/src/main/resources/dev/tokenrt/pricing/catalog.json`. ")
                    .append("Do not edit: rerun the script.\n\n");
            md.append("## Sources\n\n");
            table(md, List.of("source", "project", "licence", "date", "date from", "commit", "sha256"),
                    info.sources().stream().map(s -> List.of(s.name(), s.project(), s.license(), s.date().toString(),
                            s.dateBasis(), s.commit().orElse("unknown"), s.sha256())).toList());
            Map<String, Integer> perProvider = new TreeMap<>();
            models.forEach(m -> perProvider.merge(m.provider(), 1, Integer::sum));
            md.append("\nThe catalog holds **").append(models.size()).append("** models at **").append(perProvider.size())
                    .append("** providers. ").append(matched).append(" of them have a genai-prices counterpart; ")
                    .append(unmatched).append(" do not.\n\n");

            md.append("## Rules\n\n");
            md.append("""
                    * **Exact decimals.** LiteLLM stores USD per token as JSON doubles. Each value `x` becomes \
                    `new BigDecimal(Double.toString(x))`, the shortest decimal that reads back as the same double \
                    (exactly what LiteLLM's maintainers wrote, e.g. `2.5e-06`), then the decimal point moves six \
                    places to give USD per million tokens, exactly. genai-prices is already per million; its doubles \
                    get the same shortest-decimal conversion.
                    * **LiteLLM wins by default.** It is the primary source: dated (`last_updated`), priced per provider \
                    deployment, and the only one with 1-hour cache writes, batch prices and context windows. Every \
                    disagreement below kept LiteLLM's figure; fix a wrong one with an override file.
                    * **Except newer dated changes.** When genai-prices records a price with a `start_date` after \
                    LiteLLM's snapshot and on or before the build date, LiteLLM could not have known it, so \
                    genai-prices' input, output, cache-read and cache-write prices replace LiteLLM's and LiteLLM's \
                    other prices for the model (from the older generation) are dropped. Daily time-of-day prices \
                    (DeepSeek's off-peak) are read at 12:00 UTC.
                    * **Fills.** genai-prices supplies a cache-read or cache-write price, or long-context tiers, that \
                    LiteLLM lacks, only when both agree on the model's input and output prices.
                    * **Aliases.** genai-prices' exact-name (`equals`) matches become aliases under the same condition, \
                    unless the name has an entry of its own or several entries claim it.
                    * **Anthropic 1-hour cache writes** cost 2x the base input price (Anthropic's prompt-caching \
                    documentation). Every Anthropic-family entry in LiteLLM that prices 1-hour writes follows this, apart \
                    from the slips listed below, so for provider `anthropic` a missing or contradicting 1h price is set \
                    to 2x input with source `derived`.
                    * **Key collisions.** LiteLLM sometimes lists one model twice (`gemini/x` and `x`); the \
                    provider-qualified key wins, as that is the form LiteLLM routes by.
                    * **Matching.** An entry is compared with the first genai-prices model (in file order) whose `match` \
                    clause accepts the lower-cased id, at the same provider (genai-prices' `google` covers Vertex AI), \
                    then at its `fallback_model_providers`. Fallback matches are reported but change nothing.
                    * **Kept.** LiteLLM modes chat, responses, completion and embedding with a per-token input price \
                    (and output price, except embeddings). Image, audio, video, rerank, search and moderation models \
                    are priced per unit, not per text token, and are left out.

                    """);

            md.append("## Prices replaced by newer dated genai-prices changes (").append(superseded.size()).append(")\n\n");
            table(md, List.of("model", "genai-prices model", "effective", "LiteLLM (dropped)", "catalog"), sorted(superseded));

            md.append("\n## Disagreements, LiteLLM kept (").append(disagreements.size()).append(")\n\n");
            md.append("USD per million tokens.\n\n");
            table(md, List.of("provider", "model", "price", "LiteLLM (kept)", "genai-prices", "genai-prices model"), sorted(disagreements));

            md.append("\n## Filled from genai-prices (").append(filled.size()).append(")\n\n");
            table(md, List.of("model", "price", "value", "genai-prices model"), sorted(filled));

            md.append("\n## Aliases from genai-prices (").append(aliases.size()).append(")\n\n");
            table(md, List.of("model", "aliases"), sorted(aliases));
            if (!ambiguousAliases.isEmpty()) {
                md.append("\nNot used, claimed by several entries:\n\n");
                table(md, List.of("provider", "name", "claimed by"), sorted(ambiguousAliases));
            }

            md.append("\n## Anthropic 1-hour cache writes set to 2x input (").append(anthropic1h.size()).append(")\n\n");
            table(md, List.of("model", "prices", "input", "LiteLLM 1h", "catalog 1h"), sorted(anthropic1h));

            md.append("\n## LiteLLM key collisions with different prices (").append(collisions.size()).append(")\n\n");
            table(md, List.of("model", "kept key", "dropped key", "kept", "dropped"), sorted(collisions));

            md.append("\n## Worth a look (").append(suspicious.size()).append(")\n\n");
            md.append("Reported only; the catalog keeps these figures.\n\n");
            table(md, List.of("model", "note"), sorted(suspicious));

            if (!issues.isEmpty()) {
                md.append("\n## LiteLLM values that are not prices (").append(issues.size()).append(")\n\n");
                table(md, List.of("key", "field", "problem"), sorted(issues));
            }

            md.append("\n## LiteLLM entries left out\n\n");
            table(md, List.of("reason", "entries"), skipped.entrySet().stream()
                    .map(e -> List.of(e.getKey(), e.getValue().toString())).toList());

            md.append("\n## genai-prices models no catalog entry matched\n\n");
            md.append("Not added: genai-prices names models by match patterns rather than API ids, and has no modes or ")
                    .append("per-deployment limits. Counts per genai-prices provider, names for the first-party ones.\n\n");
            Set<String> listed = Set.of("anthropic", "openai", "google", "mistral", "deepseek", "x-ai", "cohere", "groq");
            List<List<String>> rows = new ArrayList<>();
            genaiOnly.forEach((p, ids) -> rows.add(List.of(p, Integer.toString(ids.size()),
                    listed.contains(p) ? String.join(", ", ids) : "")));
            table(md, List.of("provider", "models", "names"), rows);
            return md.toString();
        }

        private static List<List<String>> sorted(List<List<String>> rows) {
            List<List<String>> copy = new ArrayList<>(rows);
            copy.sort((a, b) -> {
                for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                    int c = a.get(i).compareTo(b.get(i));
                    if (c != 0) {
                        return c;
                    }
                }
                return Integer.compare(a.size(), b.size());
            });
            return copy;
        }

        private static void table(StringBuilder md, List<String> header, List<List<String>> rows) {
            if (rows.isEmpty()) {
                md.append("None.\n");
                return;
            }
            md.append("| ").append(String.join(" | ", header)).append(" |\n|");
            header.forEach(h -> md.append("---|"));
            md.append('\n');
            for (List<String> row : rows) {
                md.append("| ");
                md.append(String.join(" | ", row.stream().map(c -> c.replace("|", "\\|")).toList()));
                md.append(" |\n");
            }
        }
    }
}
