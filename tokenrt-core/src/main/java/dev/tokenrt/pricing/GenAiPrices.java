package dev.tokenrt.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads pydantic's genai-prices catalog ({@code data.json}, MIT) for the builder's cross-check. Only what the
 * cross-check needs: each provider's models, their {@code match} clauses (how genai-prices recognises a model
 * name), and their text-token prices as of a given day. Its schema ({@code data.schema.json}) is the reference
 * for every rule here. Used at build time only, never at run time.
 */
final class GenAiPrices {

    static final String SOURCE = "genai-prices";

    /** Clock time at which daily time-of-day constraints (DeepSeek's off-peak window) are evaluated. */
    private static final LocalTime REFERENCE_TIME = LocalTime.NOON;

    private final Map<String, GProvider> providers;

    private GenAiPrices(Map<String, GProvider> providers) {
        this.providers = providers;
    }

    record GProvider(String id, List<GModel> models, List<String> fallbacks) {
    }

    record GModel(String providerId, String id, JsonNode match, JsonNode prices) {
    }

    /** A genai-prices model resolved for one of our entries, its prices as of the build day. */
    record Match(GModel model, boolean viaFallback, Rates rates, List<PriceTier> tiers,
                 Optional<LocalDate> effectiveFrom) {

        String label() {
            return model.providerId() + ":" + model.id() + (viaFallback ? " (fallback)" : "");
        }
    }

    static GenAiPrices load(Path dataJson, ObjectMapper mapper) throws IOException {
        JsonNode root = mapper.readTree(dataJson.toFile());
        if (root == null || !root.isArray()) {
            throw new IOException(dataJson + ": expected a JSON array of providers (genai-prices data.json)");
        }
        Map<String, GProvider> providers = new LinkedHashMap<>();
        for (JsonNode p : root) {
            String id = p.path("id").asText();
            List<GModel> models = new ArrayList<>();
            for (JsonNode m : p.path("models")) {
                models.add(new GModel(id, m.path("id").asText(), m.get("match"), m.get("prices")));
            }
            List<String> fallbacks = new ArrayList<>();
            p.path("fallback_model_providers").forEach(f -> fallbacks.add(f.asText()));
            providers.put(id, new GProvider(id, List.copyOf(models), List.copyOf(fallbacks)));
        }
        return new GenAiPrices(Collections.unmodifiableMap(providers));
    }

    /** All models, for finding those no entry of ours matched. */
    List<GModel> allModels() {
        List<GModel> all = new ArrayList<>();
        providers.values().forEach(p -> all.addAll(p.models()));
        return all;
    }

    /** genai-prices providers that are the same provider as our canonical one (Google covers Vertex AI too). */
    List<GProvider> directProviders(String ourProvider) {
        List<GProvider> result = new ArrayList<>();
        for (GProvider p : providers.values()) {
            String canonical = Providers.canonical(p.id());
            if (canonical.equals(ourProvider) || (ourProvider.equals("vertex_ai") && canonical.equals("google"))) {
                result.add(p);
            }
        }
        return result;
    }

    /**
     * The genai-prices model that prices {@code modelId} at {@code ourProvider}: the first model, in file order,
     * whose match clause accepts the lower-cased name, looking at the provider itself first and then at its
     * {@code fallback_model_providers} (Azure falls back to OpenAI, as genai-prices does).
     */
    Optional<Match> lookup(String ourProvider, String modelId, LocalDate asOf, LocalDate sourceDate) {
        String name = modelId.toLowerCase(Locale.ROOT);
        List<GProvider> direct = directProviders(ourProvider);
        for (GProvider p : direct) {
            for (GModel m : p.models()) {
                if (m.match() != null && matches(m.match(), name)) {
                    return Optional.of(resolve(m, false, asOf, sourceDate));
                }
            }
        }
        for (GProvider p : direct) {
            for (String fallbackId : p.fallbacks()) {
                GProvider fallback = providers.get(fallbackId);
                if (fallback == null) {
                    continue;
                }
                for (GModel m : fallback.models()) {
                    if (m.match() != null && matches(m.match(), name)) {
                        return Optional.of(resolve(m, true, asOf, sourceDate));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The literal names a model's match clause accepts through {@code equals} (not under an {@code and}). */
    static List<String> equalsNames(JsonNode clause) {
        List<String> names = new ArrayList<>();
        if (clause == null) {
            return names;
        }
        if (clause.has("equals")) {
            names.add(clause.get("equals").asText());
        } else if (clause.has("or")) {
            for (JsonNode c : clause.get("or")) {
                names.addAll(equalsNames(c));
            }
        }
        return names;
    }

    static boolean matches(JsonNode clause, String name) {
        if (clause.has("equals")) {
            return name.equals(lower(clause, "equals"));
        }
        if (clause.has("starts_with")) {
            return name.startsWith(lower(clause, "starts_with"));
        }
        if (clause.has("ends_with")) {
            return name.endsWith(lower(clause, "ends_with"));
        }
        if (clause.has("contains")) {
            return name.contains(lower(clause, "contains"));
        }
        if (clause.has("regex")) {
            return Pattern.compile(clause.get("regex").asText()).matcher(name).find();
        }
        if (clause.has("or")) {
            for (JsonNode c : clause.get("or")) {
                if (matches(c, name)) {
                    return true;
                }
            }
            return false;
        }
        if (clause.has("and")) {
            for (JsonNode c : clause.get("and")) {
                if (!matches(c, name)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static String lower(JsonNode clause, String field) {
        return clause.get(field).asText().toLowerCase(Locale.ROOT);
    }

    /**
     * Picks the price in force on {@code asOf} at {@link #REFERENCE_TIME} UTC. Per the schema, conditional prices
     * are tried last to first and the first whose constraint holds wins; when none holds, the first is used.
     */
    private static Match resolve(GModel model, boolean viaFallback, LocalDate asOf, LocalDate sourceDate) {
        JsonNode prices = model.prices();
        JsonNode chosen = prices;
        Optional<LocalDate> effectiveFrom = Optional.empty();
        if (prices != null && prices.isArray()) {
            chosen = prices.size() == 0 ? null : prices.get(0).get("prices");
            for (int i = prices.size() - 1; i >= 0; i--) {
                JsonNode conditional = prices.get(i);
                JsonNode constraint = conditional.get("constraint");
                if (constraint == null || constraint.isNull()) {
                    chosen = conditional.get("prices");
                    break;
                }
                if (constraint.has("start_date")) {
                    LocalDate start = LocalDate.parse(constraint.get("start_date").asText());
                    if (!start.isAfter(asOf)) {
                        chosen = conditional.get("prices");
                        effectiveFrom = Optional.of(start);
                        break;
                    }
                } else if (constraint.has("start_time") && constraint.has("end_time")) {
                    LocalTime start = time(constraint.get("start_time").asText());
                    LocalTime end = time(constraint.get("end_time").asText());
                    boolean inWindow = start.isBefore(end)
                            ? !REFERENCE_TIME.isBefore(start) && REFERENCE_TIME.isBefore(end)
                            : !REFERENCE_TIME.isBefore(start) || REFERENCE_TIME.isBefore(end);
                    if (inWindow) {
                        chosen = conditional.get("prices");
                        break;
                    }
                }
            }
        }
        LocalDate date = effectiveFrom.orElse(sourceDate);
        Rates rates = Rates.NONE;
        Map<Long, Rates> tiers = new TreeMap<>();
        if (chosen != null && chosen.isObject()) {
            rates = put(chosen, "input_mtok", PriceKind.INPUT, rates, tiers, date);
            rates = put(chosen, "output_mtok", PriceKind.OUTPUT, rates, tiers, date);
            rates = put(chosen, "cache_read_mtok", PriceKind.CACHE_READ, rates, tiers, date);
            rates = put(chosen, "cache_write_mtok", PriceKind.CACHE_WRITE_5M, rates, tiers, date);
        }
        List<PriceTier> tierList = new ArrayList<>();
        tiers.forEach((above, r) -> tierList.add(new PriceTier(above, r)));
        return new Match(model, viaFallback, rates, List.copyOf(tierList), effectiveFrom);
    }

    private static Rates put(JsonNode prices, String field, PriceKind kind, Rates rates, Map<Long, Rates> tiers,
                             LocalDate date) {
        JsonNode value = prices.get(field);
        if (value == null || value.isNull()) {
            return rates;
        }
        if (value.isNumber()) {
            return rates.with(kind, new Price(decimal(value), SOURCE, date));
        }
        if (value.isObject() && value.has("base")) {
            for (JsonNode tier : value.path("tiers")) {
                long start = tier.path("start").asLong();
                if (start > 0 && tier.path("price").isNumber()) {
                    tiers.merge(start, Rates.NONE.with(kind, new Price(decimal(tier.get("price")), SOURCE, date)),
                            Rates::overlaidWith);
                }
            }
            return rates.with(kind, new Price(decimal(value.get("base")), SOURCE, date));
        }
        return rates;
    }

    /** genai-prices numbers are doubles in USD per million already: their shortest decimal form, exactly. */
    static BigDecimal decimal(JsonNode number) {
        if (number.isIntegralNumber()) {
            return new BigDecimal(number.bigIntegerValue());
        }
        return new BigDecimal(Double.toString(number.doubleValue()));
    }

    private static LocalTime time(String text) {
        String plain = text.endsWith("Z") ? text.substring(0, text.length() - 1) : text;
        int plus = plain.indexOf('+');
        return LocalTime.parse(plus > 0 ? plain.substring(0, plus) : plain);
    }
}
