package dev.tokenrt.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A rate limit as JSON, the one shape shared by the configuration file's {@code rate_limits} and a virtual key's
 * own {@code rate_limits}:
 *
 * <pre>{@code
 * {"id": "rpm",               // optional: generated from the unit and period when left out
 *  "subject": "key",          // key (default) | user | project | model; a key's own limits are always "key"
 *  "subject_id": "alice",     // optional: one subject only (configuration file only)
 *  "unit": "requests",        // requests (default) | input_tokens | output_tokens
 *  "limit": 60,               // units per period, a positive whole number
 *  "per": "minute",           // minute (default) | hour
 *  "burst": 10}               // optional: the most that may pass at once (default: one period's limit)
 * }</pre>
 *
 * Errors are {@link BudgetJsonException}s naming the field at fault ({@code rate_limits[1].limit}).
 */
public final class RateLimitJson {

    static final Set<String> FIELDS = Set.of("id", "subject", "subject_id", "unit", "limit", "per", "burst");
    private static final String KEY_PREFIX = "key:";

    private RateLimitJson() {
    }

    /**
     * A limit of the configuration file, at path {@code at} ({@code rate_limits[0]}).
     *
     * @param fallbackId the id when the entry gives none
     */
    public static RateLimit parse(JsonNode node, String at, String fallbackId) {
        ObjectNode in = object(node, at);
        RateLimit.Subject subject = choice(in, "subject", at, RateLimit.Subject.values(), RateLimit.Subject.KEY);
        RateLimit l = common(in, at, id(in, at).orElse(fallbackId), subject);
        Optional<String> one = text(in, "subject_id", at);
        return one.isPresent() ? l.forSubject(one.get()) : l;
    }

    /**
     * The limits in a virtual key's JSON array, each on that key alone: id {@code key:<keyId>:<id>}, or
     * {@code key:<keyId>:<unit>:<per>} when the entry names none (unique across keys, stable across edits).
     *
     * @throws BudgetJsonException naming the entry and field at fault
     */
    public static List<RateLimit> parseKey(String keyId, String json) {
        JsonNode array;
        try {
            array = BudgetJson.read("{\"rate_limits\":" + json + "}").get("rate_limits");
        } catch (BudgetJsonException e) {
            array = null;
        }
        if (array == null || !array.isArray()) {
            throw new BudgetJsonException("rate_limits", "'rate_limits' must be a JSON array of rate limit objects.");
        }
        List<RateLimit> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            String at = "rate_limits[" + i + "]";
            ObjectNode in = object(array.get(i), at);
            RateLimit.Subject subject = choice(in, "subject", at, RateLimit.Subject.values(), RateLimit.Subject.KEY);
            if (subject != RateLimit.Subject.KEY) {
                throw new BudgetJsonException(at + ".subject", "A key's rate limits apply to the key itself: leave '"
                        + at + ".subject' out (or \"key\"); limits per user, project or model belong in the "
                        + "configuration file.");
            }
            if (in.has("subject_id")) {
                throw new BudgetJsonException(at + ".subject_id", "Leave '" + at + ".subject_id' out: a key's rate "
                        + "limits apply to that key.");
            }
            RateLimit.Unit unit = choice(in, "unit", at, RateLimit.Unit.values(), RateLimit.Unit.REQUESTS);
            RateLimit.Per per = choice(in, "per", at, RateLimit.Per.values(), RateLimit.Per.MINUTE);
            String local = id(in, at).orElse(unit.wireName() + ":" + per.name().toLowerCase(Locale.ROOT));
            if (!ids.add(local)) {
                throw new BudgetJsonException(at + ".id", "'" + at + ".id' is '" + local + "', the id of an "
                        + "earlier rate limit of the key" + (in.has("id") ? "" : " (the same unit and period)")
                        + "; give them distinct ids.");
            }
            out.add(common(in, at, KEY_PREFIX + keyId + ":" + local, RateLimit.Subject.KEY).forSubject(keyId));
        }
        return List.copyOf(out);
    }

    /** Checks a key's rate limits before the key is stored (its id is not known yet). */
    public static void validateKey(String json) {
        parseKey("key_validation", json);
    }

    private static RateLimit common(ObjectNode in, String at, String id, RateLimit.Subject subject) {
        RateLimit.Unit unit = choice(in, "unit", at, RateLimit.Unit.values(), RateLimit.Unit.REQUESTS);
        RateLimit.Per per = choice(in, "per", at, RateLimit.Per.values(), RateLimit.Per.MINUTE);
        long limit = whole(in, "limit", at).orElseThrow(() -> new BudgetJsonException(at + ".limit", "'" + at
                + ".limit' is required: how many " + unit.wireName() + " per " + per.name().toLowerCase(Locale.ROOT)
                + "."));
        RateLimit l = RateLimit.each(id, subject, unit, limit, per);
        Optional<Long> burst = whole(in, "burst", at);
        return burst.isPresent() ? l.withBurst(burst.get()) : l;
    }

    private static ObjectNode object(JsonNode node, String at) {
        if (node == null || !node.isObject()) {
            throw new BudgetJsonException(at, "'" + at + "' must be a rate limit object.");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!FIELDS.contains(e.getKey())) {
                throw new BudgetJsonException(at + "." + e.getKey(), "Unrecognized rate limit field: '" + at + "."
                        + e.getKey() + "' (expected " + String.join(", ", FIELDS.stream().sorted().toList()) + ").",
                        BudgetJsonException.UNKNOWN_PARAMETER);
            }
        }
        return (ObjectNode) node;
    }

    private static Optional<String> id(ObjectNode in, String at) {
        Optional<String> id = text(in, "id", at);
        if (id.isPresent() && !BudgetJson.isValidId(id.get())) {
            throw new BudgetJsonException(at + ".id", "'" + at + ".id' must be 1 to 64 letters, digits, '_', '.' or "
                    + "'-', starting with a letter or digit.");
        }
        return id;
    }

    private static Optional<String> text(ObjectNode in, String field, String at) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual() || v.textValue().isBlank()) {
            throw new BudgetJsonException(at + "." + field, "'" + at + "." + field + "' must be a non-empty string.");
        }
        return Optional.of(v.textValue().strip());
    }

    private static <E extends Enum<E>> E choice(ObjectNode in, String field, String at, E[] values, E absent) {
        Optional<String> v = text(in, field, at);
        if (v.isEmpty()) {
            return absent;
        }
        for (E e : values) {
            if (e.name().equalsIgnoreCase(v.get())) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : values) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        throw new BudgetJsonException(at + "." + field, "'" + at + "." + field + "' must be one of "
                + String.join(", ", names) + ".");
    }

    /** A positive whole number, as a JSON integer or a string of digits. */
    private static Optional<Long> whole(ObjectNode in, String field, String at) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        String p = at + "." + field;
        long n;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            n = v.longValue();
        } else if (v.isTextual() && v.textValue().strip().matches("[0-9]{1,19}")) {
            try {
                n = Long.parseLong(v.textValue().strip());
            } catch (NumberFormatException e) {
                throw new BudgetJsonException(p, "'" + p + "' is too large.");
            }
        } else {
            throw new BudgetJsonException(p, "'" + p + "' must be a positive whole number.");
        }
        if (n < 1) {
            throw new BudgetJsonException(p, "'" + p + "' must be a positive whole number.");
        }
        return Optional.of(n);
    }
}
