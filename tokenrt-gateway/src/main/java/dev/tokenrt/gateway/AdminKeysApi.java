package dev.tokenrt.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.budget.BudgetJsonException;
import dev.tokenrt.budget.KeyBudgets;
import dev.tokenrt.budget.RateLimitJson;
import dev.tokenrt.keys.IssuedKey;
import dev.tokenrt.keys.KeyPatch;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.keys.KeyStoreException;
import dev.tokenrt.keys.NewKey;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.pipeline.GatewayError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtual-key admin routes, {@code /admin/v1/keys} and {@code /admin/v1/keys/{id}}: make a key (its secret
 * is answered once, on creation, and never again), read, list, change and revoke keys. Errors use the OpenAI
 * error JSON and name the field at fault.
 *
 * <p>Every method talks to the {@link KeyStore} and so may block: call them from a worker (virtual) thread,
 * never from an event loop. Authentication of the caller (the master key) is the router's job.
 *
 * <p>Secrets appear in exactly one place, the 201 answer to {@code POST}; logs, errors and the other answers
 * show the key's id and its non-secret {@code key_hint}.
 */
public final class AdminKeysApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminKeysApi.class);

    /** The fields a key's JSON may carry on create and patch; anything else is refused, naming it. */
    private static final Set<String> FIELDS = Set.of("name", "user", "project", "team", "models", "tier", "budgets",
            "rate_limits", "expires_at");
    private static final int MAX_TEXT = 256;
    private static final int MAX_MODELS = 1_000;
    private static final int MAX_LIMITS = 100;
    /** Ids safe to quote back in a message (ours are {@code key_} and base32; this also admits typos of them). */
    private static final Pattern QUOTABLE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final KeyStore keys;
    private final Clock clock;
    private final ClientFace errors;

    AdminKeysApi(KeyStore keys, Clock clock, ClientFace errors) {
        this.keys = keys;
        this.clock = clock;
        this.errors = errors;
    }

    // ---------------------------------------------------------------- routes

    /** {@code POST /admin/v1/keys}: 201 with the key and, this once, its secret as {@code key}. */
    void create(HttpServerRequest req, Buffer body) {
        guarded(req, () -> {
            ObjectNode in = object(body);
            Instant now = clock.instant();
            NewKey spec = new NewKey(text(in, "name"), text(in, "user"), text(in, "project"), text(in, "team"),
                    models(in), text(in, "tier"), limits(in, "budgets"), limits(in, "rate_limits"),
                    expiry(in, now));
            IssuedKey issued = keys.issue(spec, now);
            VirtualKey k = issued.key();
            LOG.info("virtual key {} created (hint {}, name '{}', user '{}', project '{}', team '{}')", k.id(),
                    k.hint(), k.name(), k.user(), k.project(), k.team());
            ObjectNode out = render(k, now);
            // The one answer that carries a secret: put it right after the id, and let nothing cache it.
            ObjectNode shown = GatewayServer.JSON.createObjectNode();
            shown.put("id", k.id());
            shown.put("key", issued.secret());
            out.properties().forEach(e -> {
                if (!e.getKey().equals("id")) {
                    shown.set(e.getKey(), e.getValue());
                }
            });
            req.response().putHeader("cache-control", "no-store");
            GatewayServer.json(req.response(), 201, shown);
        });
    }

    /** {@code GET /admin/v1/keys/{id}}: the key without its secret. */
    void get(HttpServerRequest req, String id) {
        guarded(req, () -> {
            Optional<VirtualKey> k = keys.get(id);
            if (k.isEmpty()) {
                notFound(req, id);
                return;
            }
            GatewayServer.json(req.response(), 200, render(k.get(), clock.instant()));
        });
    }

    /** {@code GET /admin/v1/keys}: every key, revoked and expired ones too, oldest first. */
    void list(HttpServerRequest req) {
        guarded(req, () -> {
            Instant now = clock.instant();
            ObjectNode out = GatewayServer.JSON.createObjectNode();
            out.put("object", "list");
            ArrayNode data = out.putArray("data");
            for (VirtualKey k : keys.list()) {
                data.add(render(k, now));
            }
            GatewayServer.json(req.response(), 200, out);
        });
    }

    /**
     * {@code PATCH /admin/v1/keys/{id}}: changes the fields given; {@code "expires_at": null} removes the expiry,
     * {@code null} for a text field empties it, and {@code null} or {@code []} for {@code models} allows every
     * model. The id, secret, creation and revocation cannot change; a revoked key can still be relabelled.
     */
    void patch(HttpServerRequest req, String id, Buffer body) {
        guarded(req, () -> {
            ObjectNode in = object(body);
            Instant now = clock.instant();
            KeyPatch patch = KeyPatch.none();
            for (Map.Entry<String, JsonNode> e : in.properties()) {
                String field = e.getKey();
                patch = switch (field) {
                    case "name" -> patch.withName(text(in, field));
                    case "user" -> patch.withUser(text(in, field));
                    case "project" -> patch.withProject(text(in, field));
                    case "team" -> patch.withTeam(text(in, field));
                    case "tier" -> patch.withTier(text(in, field));
                    case "models" -> patch.withModels(models(in));
                    case "budgets" -> patch.withBudgets(limits(in, field));
                    case "rate_limits" -> patch.withRateLimits(limits(in, field));
                    case "expires_at" -> in.get(field).isNull() ? patch.withoutExpiry()
                            : patch.withExpiresAt(expiry(in, now).orElseThrow());
                    default -> throw new Invalid(field, "Unrecognized request argument supplied: " + field,
                            "unknown_parameter");
                };
            }
            Optional<VirtualKey> k = keys.update(id, patch);
            if (k.isEmpty()) {
                notFound(req, id);
                return;
            }
            LOG.info("virtual key {} updated ({})", id, String.join(", ", in.properties().stream()
                    .map(Map.Entry::getKey).toList()));
            GatewayServer.json(req.response(), 200, render(k.get(), now));
        });
    }

    /**
     * {@code DELETE /admin/v1/keys/{id}}: revokes the key from now on (the record stays, for the ledger's
     * sake) and answers its state. Revoking again keeps the first revocation time.
     */
    void delete(HttpServerRequest req, String id) {
        guarded(req, () -> {
            Instant now = clock.instant();
            Optional<VirtualKey> k = keys.revoke(id, now);
            if (k.isEmpty()) {
                notFound(req, id);
                return;
            }
            LOG.info("virtual key {} revoked via the admin API", id);
            GatewayServer.json(req.response(), 200, render(k.get(), now));
        });
    }

    // ---------------------------------------------------------------- rendering

    /** A key as the admin API shows it: never the secret, only {@code key_hint}. */
    static ObjectNode render(VirtualKey k, Instant now) {
        ObjectNode out = GatewayServer.JSON.createObjectNode();
        out.put("id", k.id());
        out.put("object", "virtual_key");
        out.put("key_hint", k.hint());
        out.put("name", k.name());
        out.put("user", k.user());
        out.put("project", k.project());
        out.put("team", k.team());
        ArrayNode models = out.putArray("models");
        k.models().forEach(models::add);
        out.put("tier", k.tier());
        out.set("budgets", parseArray(k.budgets()));
        out.set("rate_limits", parseArray(k.rateLimits()));
        out.put("created_at", k.createdAt().toString());
        time(out, "expires_at", k.expiresAt());
        time(out, "revoked_at", k.revokedAt());
        out.put("status", k.status(now).label());
        return out;
    }

    private static void time(ObjectNode out, String field, Optional<Instant> t) {
        if (t.isPresent()) {
            out.put(field, t.get().toString());
        } else {
            out.putNull(field);
        }
    }

    private static JsonNode parseArray(String json) {
        try {
            return GatewayServer.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored key holds JSON that does not parse", e);
        }
    }

    // ---------------------------------------------------------------- reading requests

    /** A field at fault: answered as a 400 naming it. */
    private static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String param;
        final String code;

        Invalid(String param, String message, String code) {
            super(message, null, false, false);
            this.param = param;
            this.code = code;
        }

        Invalid(String param, String message) {
            this(param, message, "invalid_value");
        }
    }

    private static ObjectNode object(Buffer body) {
        Optional<JsonNode> json = GatewayServer.parseJson(body);
        if (json.isEmpty()) {
            throw new Invalid("", "The request body is not a JSON object.", "invalid_json");
        }
        ObjectNode in = (ObjectNode) json.get();
        for (Map.Entry<String, JsonNode> e : in.properties()) {
            String field = e.getKey();
            if (!FIELDS.contains(field)) {
                throw new Invalid(field, "Unrecognized request argument supplied: " + field, "unknown_parameter");
            }
        }
        return in;
    }

    /** A short text field; absent or null means empty. */
    private static String text(ObjectNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new Invalid(field, "'" + field + "' must be a string.");
        }
        String s = v.textValue().strip();
        if (s.length() > MAX_TEXT) {
            throw new Invalid(field, "'" + field + "' is longer than " + MAX_TEXT + " characters.");
        }
        return s;
    }

    /** The allowed models or aliases, without repeats; absent, null or empty means every model. */
    private static List<String> models(ObjectNode in) {
        JsonNode v = in.get("models");
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new Invalid("models", "'models' must be an array of model names or aliases ([] allows every model).");
        }
        if (v.size() > MAX_MODELS) {
            throw new Invalid("models", "'models' has more than " + MAX_MODELS + " entries.");
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode m = v.get(i);
            String param = "models[" + i + "]";
            if (!m.isTextual() || m.textValue().isBlank()) {
                throw new Invalid(param, "'" + param + "' must be a non-empty model name or alias.");
            }
            if (m.textValue().length() > MAX_TEXT) {
                throw new Invalid(param, "'" + param + "' is longer than " + MAX_TEXT + " characters.");
            }
            out.add(m.textValue().strip());
        }
        return new ArrayList<>(out);
    }

    /**
     * Budgets or rate limits: an array of objects, kept as compact JSON text for the budget engine. Budgets must
     * be in {@link dev.tokenrt.budget.BudgetJson}'s shape without scope ({@link KeyBudgets}), rate limits in
     * {@link RateLimitJson}'s without subject.
     */
    private static String limits(ObjectNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) {
            return "[]";
        }
        if (!v.isArray()) {
            throw new Invalid(field, "'" + field + "' must be an array of objects.");
        }
        if (v.size() > MAX_LIMITS) {
            throw new Invalid(field, "'" + field + "' has more than " + MAX_LIMITS + " entries.");
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isObject()) {
                String param = field + "[" + i + "]";
                throw new Invalid(param, "'" + param + "' must be an object.");
            }
        }
        // Checked now, naming the entry and field, so that the budget engine never meets a key budget or rate
        // limit it cannot enforce.
        try {
            if (field.equals("budgets")) {
                KeyBudgets.validate(v.toString());
            } else {
                RateLimitJson.validateKey(v.toString());
            }
        } catch (BudgetJsonException e) {
            throw new Invalid(e.param(), e.getMessage(), e.code());
        }
        return v.toString();
    }

    /** ISO-8601 instant, offset date-time or date; must lie in the future. Absent or null means never. */
    private static Optional<Instant> expiry(ObjectNode in, Instant now) {
        JsonNode v = in.get("expires_at");
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new Invalid("expires_at", "'expires_at' must be an ISO-8601 date-time string, e.g. "
                    + "2027-01-01T00:00:00Z.");
        }
        Instant t;
        try {
            t = AdminApi.instant(v.textValue(), "expires_at");
        } catch (IllegalArgumentException e) {
            throw new Invalid("expires_at", e.getMessage());
        }
        if (!t.isAfter(now)) {
            throw new Invalid("expires_at", "'expires_at' (" + t + ") must be in the future; to stop a key now, "
                    + "DELETE it.");
        }
        if (t.isAfter(VirtualKey.MAX_TIME)) {
            throw new Invalid("expires_at", "'expires_at' must be before " + VirtualKey.MAX_TIME
                    + "; leave it out for a key that never expires.");
        }
        return Optional.of(t);
    }

    // ---------------------------------------------------------------- errors

    private void guarded(HttpServerRequest req, Runnable route) {
        try {
            route.run();
        } catch (Invalid e) {
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    e.getMessage()).withParam(e.param).withCode(e.code), "");
        } catch (KeyStoreException e) {
            // The store's messages carry no secret and no hash; the cause may be a driver's, so it is left out.
            LOG.warn("key store unavailable on {} {}: {}", req.method(), req.path(), e.getMessage());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "The key store is unavailable; try again shortly.").withCode("key_store_unavailable"), "");
        } catch (RuntimeException e) {
            LOG.error("admin keys route {} {} failed: {}", req.method(), req.path(), e.toString());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INTERNAL,
                    "internal error"), "");
        }
    }

    private void notFound(HttpServerRequest req, String id) {
        // Quote the id only when it cannot be a secret someone pasted in the wrong place.
        String message = id.startsWith("sk-") || !QUOTABLE_ID.matcher(id).matches()
                ? "No such key. Keys are addressed by their id (key_…), never by their secret."
                : "No key with id '" + id + "'.";
        GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.NOT_FOUND, message)
                .withParam("id").withCode("key_not_found"), "");
    }
}
