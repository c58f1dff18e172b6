package dev.tokenrt.pricing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The catalog file format, read and written in one place so that the builder, the bundled catalog and
 * user override files cannot drift apart. Written by hand over Jackson's tree model because the format
 * has two shapes for a price (a plain decimal string that inherits the entry's provenance, or an object
 * with its own) and partial entries in override files, which data binding would blur.
 *
 * <pre>{@code
 * {"id": "gpt-4o", "provider": "openai", "mode": "chat", "source": "litellm", "sourceDate": "2026-07-24",
 *  "contextWindow": 128000, "maxOutputTokens": 16384,
 *  "usdPerMTok": {"input": "2.5", "output": "10", "cacheRead": "1.25",
 *                 "cacheWrite1h": {"price": "6", "source": "derived", "date": "2026-07-24"}},
 *  "tiers": [{"aboveInputTokens": 200000, "usdPerMTok": {"input": "5", "output": "22.5"}}],
 *  "aliases": ["gpt-4o-latest"]}
 * }</pre>
 */
final class CatalogJson {

    static final int SCHEMA_VERSION = 1;

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Set<String> MODEL_FIELDS = Set.of("id", "provider", "mode", "source", "sourceDate",
            "contextWindow", "maxOutputTokens", "deprecationDate", "usdPerMTok", "tiers", "aliases");
    private static final Set<String> PRICE_OBJECT_FIELDS = Set.of("price", "source", "date");
    private static final Set<String> TIER_FIELDS = Set.of("aboveInputTokens", "usdPerMTok");

    private CatalogJson() {
    }

    /** A parsed catalog file. */
    record Catalog(CatalogInfo info, List<ModelPrice> models) {
    }

    // ------------------------------------------------------------------ reading

    static JsonNode readTree(InputStream in, String where) {
        try {
            JsonNode node = MAPPER.readTree(in);
            if (node == null || !node.isObject()) {
                throw new CatalogException(where + ": expected a JSON object");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CatalogException(where + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        } catch (IOException e) {
            throw new CatalogException(where + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads a complete catalog file (the bundled one, or one a builder wrote). */
    static Catalog readCatalog(InputStream in, String where) {
        JsonNode root = readTree(in, where);
        int version = root.path("schemaVersion").asInt(-1);
        if (version != SCHEMA_VERSION) {
            throw new CatalogException(where + ": schemaVersion " + root.path("schemaVersion")
                    + " is not supported (expected " + SCHEMA_VERSION + ")");
        }
        LocalDate generated = date(root.get("generated"), where + ": field 'generated'");
        List<CatalogInfo.Source> sources = new ArrayList<>();
        for (JsonNode s : root.path("sources")) {
            String at = where + ": source '" + s.path("name").asText() + "'";
            sources.add(new CatalogInfo.Source(text(s.get("name"), at + " field 'name'"),
                    text(s.get("project"), at + " field 'project'"), text(s.get("license"), at + " field 'license'"),
                    date(s.get("date"), at + " field 'date'"), text(s.get("dateBasis"), at + " field 'dateBasis'"),
                    s.hasNonNull("commit") ? Optional.of(s.get("commit").asText()) : Optional.empty(),
                    text(s.get("sha256"), at + " field 'sha256'")));
        }
        JsonNode models = root.get("models");
        if (models == null || !models.isArray()) {
            throw new CatalogException(where + ": field 'models' must be an array");
        }
        List<ModelPrice> result = new ArrayList<>(models.size());
        for (JsonNode node : models) {
            ModelPatch patch = parsePatch(node, where);
            String provider = patch.provider().orElseThrow(() -> new CatalogException(
                    where + ": model '" + patch.id() + "': field 'provider' is required"));
            result.add(apply(Optional.empty(), patch, provider, true, "", LocalDate.EPOCH, where));
        }
        return new Catalog(new CatalogInfo(version, generated, sources), result);
    }

    /**
     * One entry as written: every field optional except {@code id}; {@code null} clears a price or limit.
     * Prices keep their own provenance only when the entry gave one.
     */
    record ModelPatch(
            String id,
            Optional<String> provider,
            Optional<ModelMode> mode,
            Optional<String> source,
            Optional<LocalDate> sourceDate,
            Map<PriceKind, Optional<PriceSpec>> prices,
            Optional<List<TierSpec>> tiers,
            Optional<OptionalLong> contextWindow,
            Optional<OptionalLong> maxOutputTokens,
            Optional<Optional<LocalDate>> deprecationDate,
            Optional<List<String>> aliases) {
    }

    record PriceSpec(BigDecimal usdPerMillion, Optional<String> source, Optional<LocalDate> date) {
    }

    record TierSpec(long aboveInputTokens, Map<PriceKind, PriceSpec> prices) {
    }

    static ModelPatch parsePatch(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new CatalogException(where + ": every model entry must be a JSON object, found " + node.getNodeType());
        }
        JsonNode idNode = node.get("id");
        if (idNode == null || !idNode.isTextual() || idNode.asText().isBlank()) {
            throw new CatalogException(where + ": a model entry has no 'id' (entry: " + abbreviate(node) + ")");
        }
        String id = idNode.asText();
        Optional<String> provider = node.hasNonNull("provider")
                ? Optional.of(Providers.canonical(text(node.get("provider"), at(where, id, "provider"))))
                : Optional.empty();
        String model = provider.map(p -> p + "/" + id).orElse(id);
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MODEL_FIELDS.contains(name)) {
                throw new CatalogException(at(where, model, name) + ": unknown field (expected one of "
                        + String.join(", ", MODEL_FIELDS.stream().sorted().toList()) + ")");
            }
        }
        Optional<ModelMode> mode = Optional.empty();
        if (node.hasNonNull("mode")) {
            String wire = text(node.get("mode"), at(where, model, "mode"));
            mode = Optional.of(ModelMode.fromWireName(wire).orElseThrow(() -> new CatalogException(
                    at(where, model, "mode") + ": unknown mode '" + wire + "' (expected chat, responses, completion or embedding)")));
        }
        Optional<String> source = node.hasNonNull("source")
                ? Optional.of(text(node.get("source"), at(where, model, "source"))) : Optional.empty();
        Optional<LocalDate> sourceDate = node.hasNonNull("sourceDate")
                ? Optional.of(date(node.get("sourceDate"), at(where, model, "sourceDate"))) : Optional.empty();

        Map<PriceKind, Optional<PriceSpec>> prices = new EnumMap<>(PriceKind.class);
        if (node.has("usdPerMTok")) {
            JsonNode block = node.get("usdPerMTok");
            if (!block.isObject()) {
                throw new CatalogException(at(where, model, "usdPerMTok") + ": must be an object of prices");
            }
            for (Map.Entry<String, JsonNode> e : block.properties()) {
                String field = "usdPerMTok." + e.getKey();
                PriceKind kind = PriceKind.fromWireName(e.getKey()).orElseThrow(() -> new CatalogException(
                        at(where, model, field) + ": unknown price kind (expected one of " + kindNames() + ")"));
                prices.put(kind, e.getValue().isNull() ? Optional.empty()
                        : Optional.of(priceSpec(e.getValue(), at(where, model, field))));
            }
        }
        Optional<List<TierSpec>> tiers = Optional.empty();
        if (node.has("tiers")) {
            JsonNode array = node.get("tiers");
            List<TierSpec> list = new ArrayList<>();
            if (!array.isNull()) {
                if (!array.isArray()) {
                    throw new CatalogException(at(where, model, "tiers") + ": must be an array");
                }
                for (int i = 0; i < array.size(); i++) {
                    list.add(tierSpec(array.get(i), at(where, model, "tiers[" + i + "]")));
                }
            }
            tiers = Optional.of(list);
        }
        Optional<List<String>> aliases = Optional.empty();
        if (node.has("aliases")) {
            JsonNode array = node.get("aliases");
            List<String> list = new ArrayList<>();
            if (!array.isNull()) {
                if (!array.isArray()) {
                    throw new CatalogException(at(where, model, "aliases") + ": must be an array of strings");
                }
                for (JsonNode alias : array) {
                    String value = text(alias, at(where, model, "aliases"));
                    if (value.isBlank()) {
                        throw new CatalogException(at(where, model, "aliases") + ": an alias cannot be blank");
                    }
                    list.add(value);
                }
            }
            aliases = Optional.of(list);
        }
        return new ModelPatch(id, provider, mode, source, sourceDate, prices, tiers,
                optionalCount(node, "contextWindow", where, model), optionalCount(node, "maxOutputTokens", where, model),
                node.has("deprecationDate")
                        ? Optional.of(node.get("deprecationDate").isNull() ? Optional.empty()
                                : Optional.of(date(node.get("deprecationDate"), at(where, model, "deprecationDate"))))
                        : Optional.empty(),
                aliases);
    }

    /**
     * Applies an entry to an existing model (an override) or to nothing (a new model). Prices the entry gives
     * without their own provenance take the entry's {@code source}/{@code sourceDate}, else the defaults.
     *
     * @param complete true for catalog files: mode, source and sourceDate must be given
     */
    static ModelPrice apply(Optional<ModelPrice> base, ModelPatch patch, String provider, boolean complete,
                            String defaultSource, LocalDate defaultDate, String where) {
        String model = provider + "/" + patch.id();
        if (complete) {
            require(patch.mode().isPresent(), at(where, model, "mode"));
            require(patch.source().isPresent(), at(where, model, "source"));
            require(patch.sourceDate().isPresent(), at(where, model, "sourceDate"));
        }
        String priceSource = patch.source().orElse(defaultSource);
        LocalDate priceDate = patch.sourceDate().orElse(defaultDate);

        Rates rates = base.map(ModelPrice::rates).orElse(Rates.NONE);
        for (Map.Entry<PriceKind, Optional<PriceSpec>> e : patch.prices().entrySet()) {
            rates = rates.with(e.getKey(), e.getValue().map(spec -> price(spec, priceSource, priceDate)));
        }
        List<PriceTier> tiers = base.map(ModelPrice::tiers).orElse(List.of());
        if (patch.tiers().isPresent()) {
            tiers = new ArrayList<>();
            for (TierSpec spec : patch.tiers().get()) {
                Rates tierRates = Rates.NONE;
                for (Map.Entry<PriceKind, PriceSpec> e : spec.prices().entrySet()) {
                    tierRates = tierRates.with(e.getKey(), price(e.getValue(), priceSource, priceDate));
                }
                try {
                    tiers.add(new PriceTier(spec.aboveInputTokens(), tierRates));
                } catch (IllegalArgumentException e) {
                    throw new CatalogException(at(where, model, "tiers") + ": " + e.getMessage(), e);
                }
            }
        }
        try {
            return new ModelPrice(
                    patch.id(),
                    provider,
                    patch.mode().orElse(base.map(ModelPrice::mode).orElse(ModelMode.CHAT)),
                    rates,
                    tiers,
                    patch.contextWindow().orElse(base.map(ModelPrice::contextWindow).orElse(OptionalLong.empty())),
                    patch.maxOutputTokens().orElse(base.map(ModelPrice::maxOutputTokens).orElse(OptionalLong.empty())),
                    patch.aliases().orElse(base.map(ModelPrice::aliases).orElse(List.of())),
                    base.map(ModelPrice::source).orElse(priceSource),
                    base.map(ModelPrice::sourceDate).orElse(priceDate),
                    patch.deprecationDate().orElse(base.flatMap(ModelPrice::deprecationDate)));
        } catch (IllegalArgumentException e) {
            throw new CatalogException(where + ": model '" + model + "': " + e.getMessage(), e);
        }
    }

    private static Price price(PriceSpec spec, String defaultSource, LocalDate defaultDate) {
        return new Price(spec.usdPerMillion(), spec.source().orElse(defaultSource), spec.date().orElse(defaultDate));
    }

    private static PriceSpec priceSpec(JsonNode node, String at) {
        if (node.isObject()) {
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!PRICE_OBJECT_FIELDS.contains(name)) {
                    throw new CatalogException(at + ": unknown field '" + name + "' (expected price, source, date)");
                }
            }
            JsonNode amount = node.get("price");
            if (amount == null || amount.isNull()) {
                throw new CatalogException(at + ": field 'price' is required");
            }
            return new PriceSpec(amount(amount, at + ".price"),
                    node.hasNonNull("source") ? Optional.of(text(node.get("source"), at + ".source")) : Optional.empty(),
                    node.hasNonNull("date") ? Optional.of(date(node.get("date"), at + ".date")) : Optional.empty());
        }
        return new PriceSpec(amount(node, at), Optional.empty(), Optional.empty());
    }

    /** A decimal string or a JSON number (read exactly, never through a double), not negative. */
    private static BigDecimal amount(JsonNode node, String at) {
        BigDecimal value;
        if (node.isTextual()) {
            try {
                value = new BigDecimal(node.asText().trim());
            } catch (NumberFormatException e) {
                throw new CatalogException(at + ": '" + node.asText() + "' is not a decimal number", e);
            }
        } else if (node.isNumber()) {
            value = node.decimalValue();
        } else {
            throw new CatalogException(at + ": expected a price in USD per 1M tokens (a decimal string), found "
                    + node.getNodeType());
        }
        if (value.signum() < 0) {
            throw new CatalogException(at + ": a price cannot be negative (" + value.toPlainString() + ")");
        }
        return value;
    }

    private static TierSpec tierSpec(JsonNode node, String at) {
        if (!node.isObject()) {
            throw new CatalogException(at + ": a tier must be an object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!TIER_FIELDS.contains(name)) {
                throw new CatalogException(at + ": unknown field '" + name + "' (expected aboveInputTokens, usdPerMTok)");
            }
        }
        JsonNode above = node.get("aboveInputTokens");
        if (above == null || !above.canConvertToExactIntegral() || above.asLong() <= 0) {
            throw new CatalogException(at + ".aboveInputTokens: must be a positive whole number of tokens");
        }
        JsonNode block = node.get("usdPerMTok");
        if (block == null || !block.isObject() || block.isEmpty()) {
            throw new CatalogException(at + ".usdPerMTok: a tier needs at least one price");
        }
        Map<PriceKind, PriceSpec> prices = new EnumMap<>(PriceKind.class);
        for (Map.Entry<String, JsonNode> e : block.properties()) {
            String field = at + ".usdPerMTok." + e.getKey();
            PriceKind kind = PriceKind.fromWireName(e.getKey()).orElseThrow(() -> new CatalogException(
                    field + ": unknown price kind (expected one of " + kindNames() + ")"));
            prices.put(kind, priceSpec(e.getValue(), field));
        }
        return new TierSpec(above.asLong(), prices);
    }

    private static Optional<OptionalLong> optionalCount(JsonNode node, String field, String where, String model) {
        if (!node.has(field)) {
            return Optional.empty();
        }
        JsonNode value = node.get(field);
        if (value.isNull()) {
            return Optional.of(OptionalLong.empty());
        }
        if (!value.canConvertToExactIntegral() || value.asLong() <= 0) {
            throw new CatalogException(at(where, model, field) + ": must be a positive whole number of tokens");
        }
        return Optional.of(OptionalLong.of(value.asLong()));
    }

    private static String text(JsonNode node, String at) {
        if (node == null || !node.isTextual()) {
            throw new CatalogException(at + ": expected a string");
        }
        return node.asText();
    }

    private static LocalDate date(JsonNode node, String at) {
        String value = text(node, at);
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new CatalogException(at + ": '" + value + "' is not a date (YYYY-MM-DD)", e);
        }
    }

    private static void require(boolean present, String at) {
        if (!present) {
            throw new CatalogException(at + ": field is required");
        }
    }

    static String at(String where, String model, String field) {
        return where + ": model '" + model + "': field '" + field + "'";
    }

    private static String kindNames() {
        List<String> names = new ArrayList<>();
        for (PriceKind kind : PriceKind.values()) {
            names.add(kind.wireName());
        }
        return String.join(", ", names);
    }

    private static String abbreviate(JsonNode node) {
        String text = node.toString();
        return text.length() > 120 ? text.substring(0, 117) + "..." : text;
    }

    // ------------------------------------------------------------------ writing

    /**
     * The catalog as text: a pretty header, then one model a line (sorted by the caller), so that a price
     * change shows as a one-line diff. Line ends are always {@code \n}, whatever the platform.
     */
    static String write(CatalogInfo info, List<String> notes, List<ModelPrice> models) {
        ObjectNode header = MAPPER.createObjectNode();
        header.put("schemaVersion", info.schemaVersion());
        header.put("generated", info.generated().toString());
        header.put("priceUnit", "USD per 1,000,000 tokens, as exact decimal strings");
        ArrayNode notesNode = header.putArray("notes");
        notes.forEach(notesNode::add);
        ArrayNode sources = header.putArray("sources");
        for (CatalogInfo.Source s : info.sources()) {
            ObjectNode node = sources.addObject();
            node.put("name", s.name());
            node.put("project", s.project());
            node.put("license", s.license());
            node.put("date", s.date().toString());
            node.put("dateBasis", s.dateBasis());
            if (s.commit().isPresent()) {
                node.put("commit", s.commit().get());
            } else {
                node.putNull("commit");
            }
            node.put("sha256", s.sha256());
        }
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        String head;
        try {
            head = MAPPER.writer(printer).writeValueAsString(header);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write catalog header", e);
        }
        StringBuilder out = new StringBuilder(head.length() + models.size() * 400);
        out.append(head.substring(0, head.lastIndexOf('}')).stripTrailing()).append(",\n  \"models\": [\n");
        for (int i = 0; i < models.size(); i++) {
            out.append("    ").append(modelJson(models.get(i)).toString());
            out.append(i + 1 < models.size() ? ",\n" : "\n");
        }
        out.append("  ]\n}\n");
        return out.toString();
    }

    static ObjectNode modelJson(ModelPrice m) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", m.id());
        node.put("provider", m.provider());
        node.put("mode", m.mode().wireName());
        node.put("source", m.source());
        node.put("sourceDate", m.sourceDate().toString());
        m.contextWindow().ifPresent(v -> node.put("contextWindow", v));
        m.maxOutputTokens().ifPresent(v -> node.put("maxOutputTokens", v));
        m.deprecationDate().ifPresent(v -> node.put("deprecationDate", v.toString()));
        node.set("usdPerMTok", ratesJson(m.rates(), m.source(), m.sourceDate()));
        if (!m.tiers().isEmpty()) {
            ArrayNode tiers = node.putArray("tiers");
            for (PriceTier tier : m.tiers()) {
                ObjectNode t = tiers.addObject();
                t.put("aboveInputTokens", tier.aboveInputTokens());
                t.set("usdPerMTok", ratesJson(tier.rates(), m.source(), m.sourceDate()));
            }
        }
        if (!m.aliases().isEmpty()) {
            ArrayNode aliases = node.putArray("aliases");
            m.aliases().forEach(aliases::add);
        }
        return node;
    }

    private static ObjectNode ratesJson(Rates rates, String source, LocalDate date) {
        Map<String, Price> ordered = new LinkedHashMap<>();
        for (PriceKind kind : PriceKind.values()) {
            rates.get(kind).ifPresent(p -> ordered.put(kind.wireName(), p));
        }
        ObjectNode node = MAPPER.createObjectNode();
        ordered.forEach((name, price) -> {
            if (price.source().equals(source) && price.date().equals(date)) {
                node.put(name, price.plain());
            } else {
                ObjectNode p = node.putObject(name);
                p.put("price", price.plain());
                p.put("source", price.source());
                p.put("date", price.date().toString());
            }
        });
        return node;
    }
}
