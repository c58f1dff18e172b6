package dev.tokenrt.pricing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The prices Token Runtime charges by: the catalog generated from public sources and shipped in the jar
 * ({@link #bundled()}), optionally corrected by a user's override file ({@link #withOverrides(Path)}).
 * Immutable and therefore safe to share between threads; an override yields a new catalog.
 *
 * <p>{@link #find(String)} resolves the names clients actually send, in this order:
 * <ol>
 *   <li>provider-qualified ({@code openai/gpt-4o}, {@code gemini/gemini-2.5-pro}, {@code bedrock/us.anthropic...}):
 *       when the part before the first {@code /} is a provider in the catalog (or an alias of one, see
 *       {@link Providers}), the rest is resolved within that provider as below. This comes before the exact-id
 *       step because aggregators use ids such as {@code openai/gpt-4o} themselves: an explicit provider
 *       prefix is the stronger signal, and a miss there falls through to the steps below;</li>
 *   <li>exact id;</li>
 *   <li>alias;</li>
 *   <li>snapshot readings, pooled: the name with its dated-snapshot suffix stripped ({@code -2024-08-06},
 *       {@code -20241022}, {@code @20241022}, {@code -0613}, {@code -001}, {@code -latest}, repeatedly) as an
 *       exact id or alias, so that {@code gpt-4o-2024-08-06} prices as {@code gpt-4o} when it has no entry of
 *       its own; and the newest dated entry of the same family, so that {@code claude-3-7-sonnet-latest} prices
 *       as {@code claude-3-7-sonnet-20250219}. The preferred provider wins, then the closest reading;</li>
 *   <li>otherwise empty.</li>
 * </ol>
 * Where a name exists at several providers, first parties win, then clouds, then the rest by name
 * ({@link Providers#rank}).
 */
public final class PricingCatalog {

    private static final String BUNDLED_RESOURCE = "catalog.json";

    /** Snapshot suffixes, tried one at a time from the end of a name. */
    private static final Pattern SNAPSHOT_SUFFIX = Pattern.compile(
            "(?:-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|@\\d{8}|@\\d{3}|-\\d{4}|-\\d{3}|-latest|@latest)$");

    private final CatalogInfo info;
    private final List<ModelPrice> models;
    private final Map<String, Map<String, ModelPrice>> byProvider;
    private final Map<String, List<ModelPrice>> byId;
    private final Map<String, List<ModelPrice>> byAlias;
    private final Map<String, List<ModelPrice>> byFamily;

    private PricingCatalog(CatalogInfo info, List<ModelPrice> entries, String where) {
        this.info = info;
        List<ModelPrice> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(ModelPrice::provider).thenComparing(ModelPrice::id));
        this.models = List.copyOf(sorted);
        Map<String, Map<String, ModelPrice>> providers = new LinkedHashMap<>();
        Map<String, List<ModelPrice>> ids = new HashMap<>();
        Map<String, List<ModelPrice>> aliases = new HashMap<>();
        Map<String, List<ModelPrice>> families = new HashMap<>();
        for (ModelPrice m : models) {
            ModelPrice previous = providers.computeIfAbsent(m.provider(), p -> new LinkedHashMap<>()).put(m.id(), m);
            if (previous != null) {
                throw new CatalogException(where + ": model '" + m.qualifiedId() + "' appears twice");
            }
            ids.computeIfAbsent(m.id(), k -> new ArrayList<>()).add(m);
            for (String alias : m.aliases()) {
                aliases.computeIfAbsent(alias, k -> new ArrayList<>()).add(m);
            }
            String family = family(m.id());
            if (!family.equals(m.id())) {
                families.computeIfAbsent(family, k -> new ArrayList<>()).add(m);
            }
        }
        Comparator<ModelPrice> preferred = Comparator.comparingInt((ModelPrice m) -> Providers.rank(m.provider()))
                .thenComparing(ModelPrice::provider).thenComparing(ModelPrice::id);
        Comparator<ModelPrice> newestFirst = Comparator.comparingInt((ModelPrice m) -> Providers.rank(m.provider()))
                .thenComparing(ModelPrice::provider).thenComparing(ModelPrice::id, Comparator.reverseOrder());
        this.byProvider = freezeNested(providers);
        this.byId = freeze(ids, preferred);
        this.byAlias = freeze(aliases, preferred);
        this.byFamily = freeze(families, newestFirst);
    }

    /** The catalog shipped in this jar, parsed once on first use. */
    public static PricingCatalog bundled() {
        return Bundled.INSTANCE;
    }

    /** A complete catalog file in the bundled format (for example one {@code bin/update-pricing.sh} wrote). */
    public static PricingCatalog load(Path catalogFile) {
        try (InputStream in = Files.newInputStream(catalogFile)) {
            return read(in, catalogFile.toString());
        } catch (IOException e) {
            throw new CatalogException(catalogFile + ": cannot read: " + e.getMessage(), e);
        }
    }

    static PricingCatalog read(InputStream in, String where) {
        CatalogJson.Catalog catalog = CatalogJson.readCatalog(in, where);
        return new PricingCatalog(catalog.info(), catalog.models(), where);
    }

    /**
     * This catalog with a user's override file applied: a JSON object {@code {"models": [...]}} whose entries
     * use the catalog's per-model format but may be partial. An entry whose provider and id exist corrects only
     * the fields it gives ({@code null} removes a price or limit; {@code tiers} and {@code aliases} replace the
     * lists); any other entry adds a model and must give at least {@code provider}, {@code usdPerMTok.input} and
     * (unless {@code mode} is {@code embedding}) {@code usdPerMTok.output}. {@code provider} may be left out when
     * the id exists at exactly one provider. Prices the file sets are recorded with source {@code override}
     * (or the entry's {@code source}) and the entry's {@code sourceDate}, else the file's modification date.
     *
     * @throws CatalogException naming the file, model and field of the first problem found
     */
    public PricingCatalog withOverrides(Path overrideFile) {
        String where = "override file " + overrideFile;
        LocalDate fileDate;
        com.fasterxml.jackson.databind.JsonNode root;
        try (InputStream in = Files.newInputStream(overrideFile)) {
            fileDate = LocalDate.ofInstant(Files.getLastModifiedTime(overrideFile).toInstant(), ZoneOffset.UTC);
            root = CatalogJson.readTree(in, where);
        } catch (NoSuchFileException e) {
            throw new CatalogException(where + ": no such file", e);
        } catch (IOException e) {
            throw new CatalogException(where + ": cannot read: " + e.getMessage(), e);
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("models") && !name.equals("schemaVersion") && !name.equals("notes")) {
                throw new CatalogException(where + ": unknown top-level field '" + name + "' (expected 'models')");
            }
        }
        com.fasterxml.jackson.databind.JsonNode entries = root.get("models");
        if (entries == null || !entries.isArray()) {
            throw new CatalogException(where + ": field 'models' must be an array of model entries");
        }
        Map<String, ModelPrice> result = new LinkedHashMap<>();
        models.forEach(m -> result.put(m.qualifiedId(), m));
        Set<String> seen = new TreeSet<>();
        for (com.fasterxml.jackson.databind.JsonNode node : entries) {
            CatalogJson.ModelPatch patch = CatalogJson.parsePatch(node, where);
            String provider = patch.provider().orElseGet(() -> soleProvider(patch.id(), where));
            String key = provider + "/" + patch.id();
            if (!seen.add(key)) {
                throw new CatalogException(where + ": model '" + key + "' is given twice");
            }
            Optional<ModelPrice> base = Optional.ofNullable(result.get(key));
            result.put(key, CatalogJson.apply(base, patch, provider, false, "override", fileDate, where));
        }
        return new PricingCatalog(info, List.copyOf(result.values()), where);
    }

    private String soleProvider(String id, String where) {
        List<ModelPrice> matches = byId.getOrDefault(id, List.of());
        if (matches.size() == 1) {
            return matches.get(0).provider();
        }
        if (matches.isEmpty()) {
            throw new CatalogException(CatalogJson.at(where, id, "provider")
                    + ": required for a model the catalog does not have");
        }
        throw new CatalogException(CatalogJson.at(where, id, "provider") + ": required because the id exists at "
                + String.join(", ", matches.stream().map(ModelPrice::provider).sorted().toList()));
    }

    /** Header of the catalog: schema version, generation date and sources. */
    public CatalogInfo info() {
        return info;
    }

    /** Resolves a model name as a client sent it (see the class comment for the order). */
    public Optional<ModelPrice> find(String model) {
        Objects.requireNonNull(model, "model");
        String name = model.trim();
        if (name.isEmpty()) {
            return Optional.empty();
        }
        int slash = name.indexOf('/');
        if (slash > 0) {
            String provider = Providers.canonical(name.substring(0, slash));
            if (byProvider.containsKey(provider)) {
                Optional<ModelPrice> qualified = findIn(provider, name.substring(slash + 1));
                if (qualified.isPresent()) {
                    return qualified;
                }
            }
        }
        return resolve(name, m -> true);
    }

    /**
     * Resolves a model name at one provider (canonical id or alias, such as {@code gemini} for {@code google}).
     * Never answers with another provider's entry: a deployment-specific name that is not in the catalog is a
     * question for an override file, not for a guess.
     */
    public Optional<ModelPrice> find(String model, String provider) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(provider, "provider");
        String canonical = Providers.canonical(provider);
        if (!byProvider.containsKey(canonical)) {
            return Optional.empty();
        }
        return findIn(canonical, model.trim());
    }

    private Optional<ModelPrice> findIn(String provider, String model) {
        String name = model;
        String prefix = provider + "/";
        Map<String, ModelPrice> entries = byProvider.get(provider);
        if (name.startsWith(prefix) && !entries.containsKey(name)) {
            name = name.substring(prefix.length());
        }
        return resolve(name, m -> m.provider().equals(provider));
    }

    /**
     * Exact id, then alias, each taking the preferred provider; then every snapshot reading of the name at
     * once (suffixes stripped, exact or alias; the family's dated entries, newest first), taking the preferred
     * provider first and, within it, the closest reading. Pooling the snapshot readings keeps a reseller's
     * undated entry from beating the maker's dated one ({@code claude-3-7-sonnet-latest} prices as Anthropic's
     * {@code claude-3-7-sonnet-20250219}, not as a reseller's {@code claude-3-7-sonnet}).
     */
    private Optional<ModelPrice> resolve(String name, Predicate<ModelPrice> allowed) {
        Optional<ModelPrice> exact = first(byId.get(name), allowed);
        if (exact.isPresent()) {
            return exact;
        }
        Optional<ModelPrice> alias = first(byAlias.get(name), allowed);
        if (alias.isPresent()) {
            return alias;
        }
        List<Reading> readings = new ArrayList<>();
        String current = name;
        int closeness = 0;
        for (int strips = 0; strips < 4; strips++) {
            String stripped = stripSnapshot(current);
            if (stripped.equals(current)) {
                break;
            }
            current = stripped;
            add(readings, byId.get(current), allowed, closeness++);
            add(readings, byAlias.get(current), allowed, closeness++);
        }
        List<ModelPrice> family = byFamily.getOrDefault(family(name), List.of());
        for (ModelPrice m : family) {
            if (allowed.test(m)) {
                readings.add(new Reading(m, closeness++));
            }
        }
        return readings.stream().min(Comparator.comparingInt((Reading r) -> Providers.rank(r.model().provider()))
                .thenComparing(r -> r.model().provider())
                .thenComparingInt(Reading::closeness)).map(Reading::model);
    }

    private record Reading(ModelPrice model, int closeness) {
    }

    private static void add(List<Reading> readings, List<ModelPrice> candidates, Predicate<ModelPrice> allowed, int closeness) {
        if (candidates != null) {
            for (ModelPrice m : candidates) {
                if (allowed.test(m)) {
                    readings.add(new Reading(m, closeness));
                }
            }
        }
    }

    private static Optional<ModelPrice> first(List<ModelPrice> candidates, Predicate<ModelPrice> allowed) {
        if (candidates != null) {
            for (ModelPrice m : candidates) {
                if (allowed.test(m)) {
                    return Optional.of(m);
                }
            }
        }
        return Optional.empty();
    }

    static String stripSnapshot(String name) {
        Matcher m = SNAPSHOT_SUFFIX.matcher(name);
        if (m.find() && m.start() > 0) {
            return name.substring(0, m.start());
        }
        return name;
    }

    /** A name with every snapshot suffix removed: the key shared by a model's dated snapshots. */
    static String family(String name) {
        String current = name;
        for (int i = 0; i < 4; i++) {
            String stripped = stripSnapshot(current);
            if (stripped.equals(current)) {
                break;
            }
            current = stripped;
        }
        return current;
    }

    /** Every model, sorted by provider then id. */
    public List<ModelPrice> models() {
        return models;
    }

    /** The models of one provider (canonical id or alias), sorted by id; empty for an unknown provider. */
    public List<ModelPrice> models(String provider) {
        Map<String, ModelPrice> entries = byProvider.get(Providers.canonical(provider));
        return entries == null ? List.of() : List.copyOf(entries.values());
    }

    /** The canonical ids of the providers the catalog prices, sorted. */
    public Set<String> providers() {
        return java.util.Collections.unmodifiableSet(new TreeSet<>(byProvider.keySet()));
    }

    private static Map<String, List<ModelPrice>> freeze(Map<String, List<ModelPrice>> map, Comparator<ModelPrice> order) {
        Map<String, List<ModelPrice>> frozen = new HashMap<>();
        map.forEach((k, v) -> {
            List<ModelPrice> list = new ArrayList<>(v);
            list.sort(order);
            frozen.put(k, List.copyOf(list));
        });
        return Map.copyOf(frozen);
    }

    private static Map<String, Map<String, ModelPrice>> freezeNested(Map<String, Map<String, ModelPrice>> map) {
        Map<String, Map<String, ModelPrice>> frozen = new LinkedHashMap<>();
        map.forEach((k, v) -> frozen.put(k, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        return java.util.Collections.unmodifiableMap(frozen);
    }

    /** Lazy holder: the bundled catalog is parsed on first use, once, by the JVM's class-initialisation lock. */
    private static final class Bundled {
        static final PricingCatalog INSTANCE = loadBundled();

        private static PricingCatalog loadBundled() {
            try (InputStream in = PricingCatalog.class.getResourceAsStream(BUNDLED_RESOURCE)) {
                if (in == null) {
                    throw new CatalogException("bundled pricing catalog " + BUNDLED_RESOURCE + " is missing from the jar");
                }
                return read(in, "bundled catalog " + BUNDLED_RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
