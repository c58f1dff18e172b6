package dev.tokenrt.budget;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.pricing.Money;
import java.io.IOException;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A budget as JSON, the one shape shared by the admin API ({@code /admin/v1/budgets}), a virtual key's own
 * {@code budgets} and configuration:
 *
 * <pre>{@code
 * {"id": "team-acme-daily",            // optional: generated (bud_...) when left out
 *  "scope": "team",                    // global | team | project | user | key | session
 *  "scope_id": "acme",                 // the member, or "*" for each member separately; left out for global
 *  "period": "day",                    // minute | hour | day | week | month | total
 *  "metric": "cost_usd",               // cost_usd (default) | tokens | requests
 *  "limit": "50.00",                   // cost: decimal USD, string or number; tokens, requests: an integer
 *  "warn_at": 0.8, "critical_at": 0.95,// fractions of the limit (these defaults)
 *  "action": "deny",                   // allow | deny (default) | degrade | throttle | queue
 *  "degrade_to": "gpt-4o-mini",        // with action degrade only
 *  "split": "priority",                // optional: a pool shared by the priority of the keys' tiers
 *  "weights": {"critical": 0.5, "high": 0.3, "medium": 0.15, "low": 0.05}}  // with split; these defaults
 * }</pre>
 *
 * <p>Money is converted exactly to nano-USD ({@link Money}): an amount finer than a nano-dollar is refused
 * rather than rounded, and numbers are read as decimals, never through a {@code double}, when the text is
 * parsed here ({@link #read}). Errors are {@link BudgetJsonException}s naming the field at fault. Parsing
 * is hand-written on Jackson's tree because every field needs its own message and exact number handling.
 */
public final class BudgetJson {

    /** Every field a budget's JSON may carry; anything else is refused, naming it. */
    public static final Set<String> FIELDS = Set.of("id", "object", "scope", "scope_id", "period", "metric", "limit",
            "warn_at", "critical_at", "action", "degrade_to", "split", "weights");
    /** The longest scope member: attribution values are cut to 200 characters, so a longer id never matches. */
    public static final int MAX_SCOPE_ID = 200;
    private static final int MAX_MODEL = 256;
    private static final int MAX_FRACTION_DIGITS = 9;
    /** Ids go into counter keys ({@code b:<id>[:<member>]:<window>}): no ':' so that keys cannot collide. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final BigDecimal MAX_USD = Money.nanosToUsd(Long.MAX_VALUE);
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private BudgetJson() {
    }

    // ---------------------------------------------------------------- reading

    /**
     * Parses JSON text into an object tree, numbers as exact decimals.
     *
     * @throws BudgetJsonException (param {@code ""}, code {@code invalid_json}) when it is not a JSON object
     */
    public static ObjectNode read(byte[] json) {
        JsonNode n;
        try {
            n = MAPPER.readTree(json);
        } catch (IOException e) {
            n = null;
        }
        if (n == null || !n.isObject()) {
            throw new BudgetJsonException("", "The request body is not a JSON object.", "invalid_json");
        }
        return (ObjectNode) n;
    }

    /** {@link #read(byte[])} of UTF-8 text, for tests and configuration. */
    public static ObjectNode read(String json) {
        return read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A budget from the admin API's JSON; an id is generated ({@link #newId}) when it has none. */
    public static Budget parse(JsonNode json) {
        Fields f = fields(json);
        String id = f.id().orElseGet(BudgetJson::newId);
        Scope scope = f.scope().orElseThrow(() -> required("scope", "one of " + names(Scope.values())));
        String scopeId = scopeId(scope, f.scopeId());
        return f.toBudget(id, scope, scopeId);
    }

    /** A fresh budget id: {@code bud_} and 16 random base32 characters. */
    public static String newId() {
        StringBuilder b = new StringBuilder("bud_");
        for (int i = 0; i < 16; i++) {
            b.append(BASE32.charAt(RANDOM.nextInt(BASE32.length())));
        }
        return b.toString();
    }

    /** Whether {@code id} is acceptable as a budget id from outside (the admin API, a key's budgets). */
    public static boolean isValidId(String id) {
        return ID.matcher(id).matches();
    }

    /**
     * The fields of one budget object, checked one by one; scope and id are left for the caller (the admin API
     * and a key's budgets treat them differently).
     */
    record Fields(Optional<String> id, Optional<Scope> scope, Optional<String> scopeId, Period period, Metric metric,
            long limit, BigDecimal warnAt, BigDecimal criticalAt, Action action, Optional<String> degradeTo,
            Optional<PriorityPool> pool) {

        Budget toBudget(String budgetId, Scope s, String member) {
            try {
                return new Budget(budgetId, s, member, period, metric, limit, warnAt, criticalAt, action, degradeTo,
                        pool);
            } catch (IllegalArgumentException e) {
                // Every rule Budget checks is checked above with the field named; this is a safety net.
                throw new BudgetJsonException("", e.getMessage());
            }
        }
    }

    static Fields fields(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new BudgetJsonException("", "A budget must be a JSON object.");
        }
        ObjectNode in = (ObjectNode) json;
        for (Map.Entry<String, JsonNode> e : in.properties()) {
            if (!FIELDS.contains(e.getKey())) {
                throw new BudgetJsonException(e.getKey(), "Unrecognized budget field: '" + e.getKey() + "'.",
                        BudgetJsonException.UNKNOWN_PARAMETER);
            }
        }
        Optional<String> object = text(in, "object");
        if (object.isPresent() && !object.get().equals("budget")) {
            throw new BudgetJsonException("object", "'object' can only be \"budget\".");
        }
        Optional<String> id = text(in, "id");
        if (id.isPresent() && !isValidId(id.get())) {
            throw new BudgetJsonException("id", "'id' must be 1 to 64 letters, digits, '_', '.' or '-', starting "
                    + "with a letter or digit.");
        }
        Optional<Scope> scope = text(in, "scope").map(s -> choice("scope", s, Scope.values(), Scope::parse));
        Optional<String> scopeId = text(in, "scope_id");
        Period period = text(in, "period").map(s -> choice("period", s, Period.values(), Period::parse))
                .orElseThrow(() -> required("period", "one of " + names(Period.values())));
        Metric metric = text(in, "metric").map(s -> choice("metric", s, Metric.values(), Metric::parse))
                .orElse(Metric.COST_USD);
        long limit = limit(in.get("limit"), metric);
        BigDecimal warn = fraction(in, "warn_at", Budget.DEFAULT_WARN_AT);
        BigDecimal critical = fraction(in, "critical_at", Budget.DEFAULT_CRITICAL_AT);
        if (warn.compareTo(critical) > 0) {
            throw new BudgetJsonException("warn_at", "'warn_at' (" + warn.toPlainString()
                    + ") cannot be above 'critical_at' (" + critical.toPlainString() + ").");
        }
        Action action = text(in, "action").map(s -> choice("action", s, Action.values(), Action::parse))
                .orElse(Action.DENY);
        Optional<String> degradeTo = text(in, "degrade_to");
        if (action == Action.DEGRADE) {
            if (degradeTo.isEmpty() || degradeTo.get().isBlank()) {
                throw new BudgetJsonException("degrade_to", "'degrade_to' (the cheaper model) is required when "
                        + "'action' is degrade.");
            }
            if (degradeTo.get().length() > MAX_MODEL) {
                throw new BudgetJsonException("degrade_to", "'degrade_to' is longer than " + MAX_MODEL
                        + " characters.");
            }
        } else if (degradeTo.isPresent()) {
            throw new BudgetJsonException("degrade_to", "'degrade_to' is only meaningful with \"action\": "
                    + "\"degrade\".");
        }
        Optional<PriorityPool> pool = pool(in, action);
        return new Fields(id, scope, scopeId, period, metric, limit, warn, critical, action, degradeTo, pool);
    }

    /** {@code "split": "priority"} with optional {@code "weights"}; weights without split are refused. */
    private static Optional<PriorityPool> pool(ObjectNode in, Action action) {
        Optional<String> split = text(in, "split");
        JsonNode weights = in.get("weights");
        boolean hasWeights = weights != null && !weights.isNull();
        if (split.isEmpty()) {
            if (hasWeights) {
                throw new BudgetJsonException("weights", "'weights' is only meaningful with \"split\": \"priority\".");
            }
            return Optional.empty();
        }
        if (!split.get().equals("priority")) {
            throw new BudgetJsonException("split", "'split' can only be \"priority\" (a pool shared by the priority "
                    + "of the keys' tiers).");
        }
        if (!action.isHard()) {
            throw new BudgetJsonException("action", "A pool shared by priority needs a hard 'action' (deny, degrade, "
                    + "throttle or queue), not allow.");
        }
        if (!hasWeights) {
            return Optional.of(PriorityPool.defaults());
        }
        if (!weights.isObject()) {
            throw new BudgetJsonException("weights", "'weights' must be an object of priority to weight, e.g. "
                    + "{\"critical\": 0.5, \"high\": 0.3, \"medium\": 0.15, \"low\": 0.05}.");
        }
        Map<Priority, BigDecimal> w = new java.util.EnumMap<>(Priority.class);
        for (Map.Entry<String, JsonNode> e : weights.properties()) {
            String p = "weights." + e.getKey();
            Priority priority;
            try {
                priority = Priority.parse(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new BudgetJsonException(p, "'" + p + "' is not a priority: one of " + names(Priority.values())
                        + ".", BudgetJsonException.UNKNOWN_PARAMETER);
            }
            JsonNode v = e.getValue();
            BigDecimal d;
            try {
                d = v.isNumber() ? v.decimalValue() : new BigDecimal(v.asText().strip());
            } catch (NumberFormatException ex) {
                throw new BudgetJsonException(p, "'" + p + "' must be a number, e.g. 0.5.");
            }
            if (!v.isNumber() && !v.isTextual() || d.signum() < 0 || d.stripTrailingZeros().scale() > MAX_FRACTION_DIGITS
                    || d.compareTo(BigDecimal.valueOf(1_000_000)) > 0) {
                throw new BudgetJsonException(p, "'" + p + "' must be a number from 0 to 1000000 with at most "
                        + MAX_FRACTION_DIGITS + " decimal places.");
            }
            w.put(priority, d);
        }
        try {
            return Optional.of(PriorityPool.of(w));
        } catch (IllegalArgumentException e) {
            throw new BudgetJsonException("weights", "'weights' needs at least one positive weight.");
        }
    }

    /** The member for the admin API's scope: none for global, a name or {@code *} for every other scope. */
    static String scopeId(Scope scope, Optional<String> given) {
        if (scope == Scope.GLOBAL) {
            if (given.isPresent() && !given.get().isEmpty()) {
                throw new BudgetJsonException("scope_id", "Leave 'scope_id' out for a global budget.");
            }
            return "";
        }
        if (given.isEmpty() || given.get().isBlank()) {
            throw new BudgetJsonException("scope_id", "'scope_id' is required for a " + scope.wireName()
                    + " budget: the " + scope.wireName() + " it limits, or \"*\" for each "
                    + scope.wireName() + " separately.");
        }
        if (given.get().length() > MAX_SCOPE_ID) {
            throw new BudgetJsonException("scope_id", "'scope_id' is longer than " + MAX_SCOPE_ID + " characters.");
        }
        return given.get();
    }

    /** A text field, stripped; absent or null is empty. */
    private static Optional<String> text(ObjectNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new BudgetJsonException(field, "'" + field + "' must be a string.");
        }
        return Optional.of(v.textValue().strip());
    }

    private interface Parser<E> {
        E parse(String s);
    }

    private static <E extends Enum<E>> E choice(String field, String value, E[] values, Parser<E> parser) {
        try {
            return parser.parse(value);
        } catch (IllegalArgumentException e) {
            throw new BudgetJsonException(field, "'" + field + "' must be one of " + names(values) + ", not '"
                    + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "'.");
        }
    }

    private static String names(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(java.util.Locale.ROOT))
                .collect(Collectors.joining(", "));
    }

    private static BudgetJsonException required(String field, String what) {
        return new BudgetJsonException(field, "'" + field + "' is required: " + what + ".");
    }

    /** The limit in the metric's unit: exact nano-USD for cost, a whole number otherwise. */
    static long limit(JsonNode v, Metric metric) {
        if (v == null || v.isNull()) {
            throw required("limit", metric == Metric.COST_USD ? "a decimal amount of US dollars, e.g. \"50.00\""
                    : "a whole number of " + metric.wireName());
        }
        return switch (metric) {
            case COST_USD -> usd(v);
            case TOKENS, REQUESTS -> whole(v, metric);
        };
    }

    private static long usd(JsonNode v) {
        String hint = "'limit' must be a decimal amount of US dollars, e.g. \"50.00\"";
        BigDecimal usd;
        if (v.isTextual()) {
            try {
                usd = new BigDecimal(v.textValue().strip());
            } catch (NumberFormatException e) {
                throw new BudgetJsonException("limit", hint + ", not '" + clip(v.textValue()) + "'.");
            }
        } else if (v.isNumber()) {
            // Exact when read by read(); a tree parsed elsewhere may hold a double, whose shortest decimal is used.
            usd = v.decimalValue();
        } else {
            throw new BudgetJsonException("limit", hint + ".");
        }
        if (usd.signum() < 0) {
            throw new BudgetJsonException("limit", "'limit' cannot be negative.");
        }
        // Compare before converting: 1e100000000 would otherwise build a huge integer.
        if (usd.compareTo(MAX_USD) > 0) {
            throw new BudgetJsonException("limit", "'limit' is too large (at most " + MAX_USD.toPlainString()
                    + " USD).");
        }
        if (usd.stripTrailingZeros().scale() > MAX_FRACTION_DIGITS) {
            throw new BudgetJsonException("limit", "'limit' is finer than a nano-dollar: at most "
                    + MAX_FRACTION_DIGITS + " decimal places.");
        }
        // Exact now that the amount has at most nine decimal places and fits a long.
        return v.isTextual() ? Money.parseUsd(v.textValue()) : Money.usdToNanos(usd);
    }

    private static long whole(JsonNode v, Metric metric) {
        String hint = "'limit' must be a whole number of " + metric.wireName();
        if (v.isTextual()) {
            String s = v.textValue().strip();
            if (!s.matches("[0-9]{1,19}")) {
                throw new BudgetJsonException("limit", hint + ", not '" + clip(s) + "'.");
            }
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new BudgetJsonException("limit", "'limit' is too large.");
            }
        }
        if (!v.isIntegralNumber()) {
            throw new BudgetJsonException("limit", hint + ".");
        }
        if (!v.canConvertToLong()) {
            throw new BudgetJsonException("limit", "'limit' is too large.");
        }
        long n = v.longValue();
        if (n < 0) {
            throw new BudgetJsonException("limit", "'limit' cannot be negative.");
        }
        return n;
    }

    /** A threshold: a number or numeric string with {@code 0 < x <= 1}, at most nine decimal places. */
    private static BigDecimal fraction(ObjectNode in, String field, BigDecimal absent) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        String hint = "'" + field + "' must be a fraction of the limit, greater than 0 and at most 1 (e.g. 0.8)";
        BigDecimal f;
        if (v.isNumber()) {
            f = v.decimalValue();
        } else if (v.isTextual()) {
            try {
                f = new BigDecimal(v.textValue().strip());
            } catch (NumberFormatException e) {
                throw new BudgetJsonException(field, hint + ".");
            }
        } else {
            throw new BudgetJsonException(field, hint + ".");
        }
        if (f.signum() <= 0 || f.compareTo(BigDecimal.ONE) > 0) {
            throw new BudgetJsonException(field, hint + ", not " + clip(f.toString()) + ".");
        }
        f = f.stripTrailingZeros();
        if (f.scale() > MAX_FRACTION_DIGITS) {
            throw new BudgetJsonException(field, "'" + field + "' has more than " + MAX_FRACTION_DIGITS
                    + " decimal places.");
        }
        return f.scale() < 0 ? f.setScale(0) : f;
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    // ---------------------------------------------------------------- writing

    /** A budget as the admin API shows it: the shape {@link #parse} reads, with {@code "object": "budget"}. */
    public static ObjectNode render(Budget b) {
        ObjectNode out = NODES.objectNode();
        out.put("id", b.id());
        out.put("object", "budget");
        out.put("scope", b.scope().wireName());
        if (b.scope() == Scope.GLOBAL) {
            out.putNull("scope_id");
        } else {
            out.put("scope_id", b.scopeId());
        }
        out.put("period", b.period().wireName());
        out.put("metric", b.metric().wireName());
        out.set("limit", amount(b.metric(), b.limit()));
        out.set("warn_at", NODES.numberNode(plain(b.warnAt())));
        out.set("critical_at", NODES.numberNode(plain(b.criticalAt())));
        out.put("action", b.action().wireName());
        if (b.degradeTo().isPresent()) {
            out.put("degrade_to", b.degradeTo().get());
        } else {
            out.putNull("degrade_to");
        }
        if (b.pool().isPresent()) {
            out.put("split", "priority");
            ObjectNode w = out.putObject("weights");
            Map<Priority, BigDecimal> weights = b.pool().get().decimalWeights();
            for (Priority p : Priority.values()) {
                w.set(p.wireName(), NODES.numberNode(weights.get(p)));
            }
        }
        return out;
    }

    /** A window as {@code period_start} and {@code period_end} (both null for a total budget's). */
    public static void putWindow(ObjectNode out, Window w) {
        if (w.isForever()) {
            out.putNull("period_start");
            out.putNull("period_end");
        } else {
            out.put("period_start", w.start().toString());
            out.put("period_end", w.end().toString());
        }
    }

    /** An amount in a metric's unit as JSON: a decimal USD string for cost (exact), a number otherwise. */
    public static JsonNode amount(Metric metric, long amount) {
        return metric == Metric.COST_USD ? NODES.textNode(Money.format(amount)) : NODES.numberNode(amount);
    }

    private static BigDecimal plain(BigDecimal f) {
        BigDecimal s = f.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }
}
