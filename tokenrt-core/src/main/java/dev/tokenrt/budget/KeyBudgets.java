package dev.tokenrt.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The budgets a virtual key carries itself: the JSON array in {@link VirtualKey#budgets()} (the shape of
 * {@link BudgetJson}, scope and member left out since they are the key), plus its tier's daily cap
 * ({@link Tier#dailyCapBudget}). As a {@link BudgetSource} it answers {@code budgets(KEY, keyId)} and nothing
 * else, so it composes with the admin registry in a {@link CompositeBudgetSource}.
 *
 * <p>It also answers what else the budget machinery needs of a key on every request, from the same cached
 * lookup: its own rate limits ({@link VirtualKey#rateLimits()} in {@link RateLimitJson}'s shape, each on the key
 * alone; as a {@link RateLimitSource}) and its tier's priority in shared pools ({@link #priority}).
 *
 * <p><b>Ids.</b> A key's budget gets the id {@code key:<keyId>:<id>} when it names an id, else
 * {@code key:<keyId>:<metric>:<period>}: unique across keys (so two keys never share a counter) and stable when
 * the key's budgets are edited (so raising a key's daily limit keeps the day's spend). The admin API's own ids
 * cannot contain ':', so they never collide with these.
 *
 * <p><b>Caching.</b> The budget step asks on every request; this looks a key up through {@code keys} at most
 * once per {@code ttl} (1 s by default) per key. A key's budgets older than the ttl are reloaded in the
 * background while the old ones are still served; older than ten ttls (the key was idle) they are reloaded
 * on the calling thread. So an edit to a key's budgets is enforced within about a ttl on every replica. A
 * failed background reload keeps serving what was loaded last (logged by Caffeine); a failed first load is a
 * {@link BudgetStoreException}.
 *
 * <p><b>Bad JSON.</b> The admin API validates a key's budgets with {@link #validate} before storing them; an
 * entry that still cannot be read (a row written by hand) is logged and not enforced rather than failing
 * every request of the key.
 */
public final class KeyBudgets implements BudgetSource, RateLimitSource {

    private static final Logger LOG = LoggerFactory.getLogger(KeyBudgets.class);
    private static final String PREFIX = "key:";
    /** The most budgets one key may carry (the admin API refuses more). */
    public static final int MAX_PER_KEY = 100;

    private final Function<String, Optional<VirtualKey>> keys;
    private final Map<String, Tier> tiers;
    private final LoadingCache<String, Limits> cache;

    /** What one key carries, as loaded: its budgets (with the tier cap), its rate limits, its tier's priority. */
    private record Limits(List<Budget> budgets, List<RateLimit> rateLimits, Optional<Priority> priority) {
        static final Limits NONE = new Limits(List.of(), List.of(), Optional.empty());
    }

    private KeyBudgets(Builder b) {
        this.keys = Objects.requireNonNull(b.keys, "keys");
        this.tiers = Map.copyOf(b.tiers);
        this.cache = Caffeine.newBuilder()
                .maximumSize(b.maxKeys)
                .refreshAfterWrite(b.ttl)
                .expireAfterWrite(b.ttl.multipliedBy(10))
                .ticker(b.ticker)
                .executor(b.executor)
                .build(this::load);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<Budget> budgets(Scope scope, String scopeId) {
        if (scope != Scope.KEY || scopeId.isEmpty() || Budget.EACH.equals(scopeId)) {
            return List.of();
        }
        return limits(scopeId).budgets();
    }

    /** The key's own rate limits (none for a request without a key). */
    @Override
    public List<RateLimit> rateLimits(Attribution attribution) {
        return attribution.keyId().isEmpty() ? List.of() : limits(attribution.keyId()).rateLimits();
    }

    /** The priority of the key's tier in shared pools; empty for a key without a (configured) tier. */
    public Optional<Priority> priority(String keyId) {
        return keyId.isEmpty() ? Optional.empty() : limits(keyId).priority();
    }

    private Limits limits(String keyId) {
        try {
            return cache.get(keyId);
        } catch (CompletionException e) {
            throw new BudgetStoreException("cannot read the budgets of key " + keyId, e.getCause());
        } catch (BudgetStoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BudgetStoreException("cannot read the budgets of key " + keyId + ": " + e.getMessage(), e);
        }
    }

    /** Forgets a key's cached budgets, so this process reads them afresh next time (after an admin change). */
    public void invalidate(String keyId) {
        cache.invalidate(keyId);
    }

    private Limits load(String keyId) {
        return keys.apply(keyId).map(k -> new Limits(budgetsOf(k), rateLimitsOf(k), tierOf(k).map(Tier::priority)))
                .orElse(Limits.NONE);
    }

    private Optional<Tier> tierOf(VirtualKey key) {
        return key.tier().isEmpty() ? Optional.empty() : Optional.ofNullable(tiers.get(key.tier()));
    }

    /** A key's own rate limits; unreadable ones are logged and not enforced rather than failing every request. */
    static List<RateLimit> rateLimitsOf(VirtualKey key) {
        try {
            return RateLimitJson.parseKey(key.id(), key.rateLimits());
        } catch (BudgetJsonException e) {
            LOG.warn("virtual key {}: its rate limits are not enforced: {}", key.id(), e.getMessage());
            return List.of();
        }
    }

    /** A key's own budgets (unreadable entries logged and left out) and its tier's daily cap. */
    public List<Budget> budgetsOf(VirtualKey key) {
        List<Budget> out = new ArrayList<>(lenient(key));
        Optional<Tier> tier = tierOf(key);
        if (tier.isPresent()) {
            tier.get().dailyCapBudget(key.id()).ifPresent(out::add);
        } else if (!key.tier().isEmpty()) {
            LOG.debug("key {} names tier '{}', which is not configured: no tier cap", key.id(), key.tier());
        }
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------- parsing

    /**
     * The budgets in a key's JSON array, each scoped to the key ({@link Scope#KEY}, {@code keyId}).
     *
     * @throws BudgetJsonException naming the entry and field at fault, e.g. {@code budgets[1].limit}
     */
    public static List<Budget> parse(String keyId, String json) {
        Objects.requireNonNull(keyId, "keyId");
        JsonNode array = array(json);
        List<Budget> out = new ArrayList<>(array.size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            Budget b = entry(keyId, array.get(i), i);
            if (!ids.add(b.id())) {
                throw duplicate(b, i);
            }
            out.add(b);
        }
        return List.copyOf(out);
    }

    /**
     * Checks a key's budgets before the key is stored (its id is not known yet).
     *
     * @throws BudgetJsonException naming the entry and field at fault
     */
    public static void validate(String json) {
        parse("key_validation", json);
    }

    /** What {@link #parse} reads, but an unreadable entry is logged and skipped instead of failing the rest. */
    static List<Budget> lenient(VirtualKey key) {
        JsonNode array;
        try {
            array = array(key.budgets());
        } catch (BudgetJsonException e) {
            LOG.warn("virtual key {}: its budgets are not enforced: {}", key.id(), e.getMessage());
            return List.of();
        }
        List<Budget> out = new ArrayList<>(array.size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            try {
                Budget b = entry(key.id(), array.get(i), i);
                if (!ids.add(b.id())) {
                    throw duplicate(b, i);
                }
                out.add(b);
            } catch (BudgetJsonException e) {
                LOG.warn("virtual key {}: budget {} is not enforced: {}", key.id(), i, e.getMessage());
            }
        }
        return out;
    }

    private static JsonNode array(String json) {
        JsonNode array;
        try {
            array = BudgetJson.read("{\"budgets\":" + json + "}").get("budgets");
        } catch (BudgetJsonException e) {
            throw new BudgetJsonException("budgets", "'budgets' must be a JSON array of budget objects.");
        }
        if (array == null || !array.isArray()) {
            throw new BudgetJsonException("budgets", "'budgets' must be a JSON array of budget objects.");
        }
        if (array.size() > MAX_PER_KEY) {
            throw new BudgetJsonException("budgets", "'budgets' has more than " + MAX_PER_KEY + " entries.");
        }
        return array;
    }

    private static Budget entry(String keyId, JsonNode node, int index) {
        String at = "budgets[" + index + "]";
        if (node == null || !node.isObject()) {
            throw new BudgetJsonException(at, "'" + at + "' must be a budget object.");
        }
        BudgetJson.Fields f;
        try {
            f = BudgetJson.fields(node);
        } catch (BudgetJsonException e) {
            throw e.within(at);
        }
        if (f.scope().isPresent() && f.scope().get() != Scope.KEY) {
            throw new BudgetJsonException(at + ".scope", "A key's budgets apply to the key itself: leave '" + at
                    + ".scope' out (or \"key\"); set " + f.scope().get().wireName()
                    + " budgets with /admin/v1/budgets.");
        }
        if (f.scopeId().isPresent() && !f.scopeId().get().equals(keyId)) {
            throw new BudgetJsonException(at + ".scope_id", "Leave '" + at + ".scope_id' out: a key's budgets "
                    + "apply to that key.");
        }
        if (f.pool().isPresent()) {
            throw new BudgetJsonException(at + ".split", "A key's own budget cannot be split by priority ('" + at
                    + ".split'): a key has one tier. Share a team or global budget with /admin/v1/budgets.");
        }
        String local = f.id().orElse(f.metric().wireName() + ":" + f.period().wireName());
        return f.toBudget(PREFIX + keyId + ":" + local, Scope.KEY, keyId);
    }

    private static BudgetJsonException duplicate(Budget b, int index) {
        String local = b.id().substring(b.id().indexOf(':', PREFIX.length()) + 1);
        return new BudgetJsonException("budgets[" + index + "].id", "Two of the key's budgets have the id '" + local
                + "'" + (local.contains(":") ? " (the same metric and period)" : "")
                + "; give them distinct 'id's.");
    }

    // ---------------------------------------------------------------- builder

    /** Configures where keys are read from, the tiers, and the cache. */
    public static final class Builder {
        private Function<String, Optional<VirtualKey>> keys;
        private Map<String, Tier> tiers = Map.of();
        private Duration ttl = Duration.ofSeconds(1);
        private long maxKeys = 100_000;
        private Ticker ticker = Ticker.systemTicker();
        private Executor executor = ForkJoinPool.commonPool();

        private Builder() {
        }

        /** Keys by id from a key store (one indexed SELECT per key and ttl for {@code JdbcKeyStore}). */
        public Builder keys(KeyStore store) {
            Objects.requireNonNull(store, "store");
            this.keys = store::get;
            return this;
        }

        /** Keys by id from anywhere. */
        public Builder keys(Function<String, Optional<VirtualKey>> lookup) {
            this.keys = Objects.requireNonNull(lookup, "lookup");
            return this;
        }

        /** The configured tiers by name, for their daily caps. */
        public Builder tiers(Map<String, Tier> byName) {
            this.tiers = Map.copyOf(byName);
            return this;
        }

        /** How long a key's budgets are served from memory before they are read again (1 s by default). */
        public Builder ttl(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("ttl must be positive");
            }
            this.ttl = d;
            return this;
        }

        /** The most keys kept in memory (100,000 by default); the least recently used go first. */
        public Builder maxKeys(long n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxKeys must be positive");
            }
            this.maxKeys = n;
            return this;
        }

        /** The time source for the ttl, in nanoseconds; injectable so tests need not wait. */
        public Builder ticker(Ticker t) {
            this.ticker = Objects.requireNonNull(t);
            return this;
        }

        /** Where background reloads run (the common pool by default); {@code Runnable::run} in tests. */
        public Builder executor(Executor e) {
            this.executor = Objects.requireNonNull(e);
            return this;
        }

        public KeyBudgets build() {
            return new KeyBudgets(this);
        }
    }
}
