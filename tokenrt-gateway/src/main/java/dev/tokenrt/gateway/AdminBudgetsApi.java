package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.budget.AlertLevel;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.budget.BudgetJsonException;
import dev.tokenrt.budget.BudgetRegistry;
import dev.tokenrt.budget.BudgetSource;
import dev.tokenrt.budget.BudgetSource.Applicable;
import dev.tokenrt.budget.BudgetStep;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.DuplicateBudgetException;
import dev.tokenrt.budget.ThresholdAlerts;
import dev.tokenrt.budget.Window;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.pipeline.GatewayError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The budget admin routes and the key holder's own view of its budgets:
 *
 * <ul>
 *   <li>{@code POST /admin/v1/budgets} ({@link #create}), {@code GET /admin/v1/budgets} ({@link #list});</li>
 *   <li>{@code GET|PUT|DELETE /admin/v1/budgets/{id}} ({@link #get}, {@link #replace}, {@link #delete});</li>
 *   <li>{@code GET /admin/v1/budgets/{id}/status[?member=]} ({@link #status}): the current window's figures;</li>
 *   <li>{@code GET /v1/tokenrt/budget} ({@link #ownBudgets}): the status of every budget a key's requests are
 *       held to, for the key's holder.</li>
 * </ul>
 *
 * <p>Budgets use {@link BudgetJson}'s shape; money is a decimal USD string, counts are integers. Errors use the
 * OpenAI error JSON and name the field at fault. Every method may block on the registry or the counter store:
 * call them from a worker (virtual) thread, never an event loop. Authenticating the caller (master key for
 * {@code /admin}, a virtual key for {@code /v1/tokenrt/budget}) is the router's job.
 *
 * <p>A status's {@code state} follows the settled spend ({@code used}) against the budget's thresholds, as
 * alerts do ({@link ThresholdAlerts#levelsReached}): {@code ok}, {@code warning} from {@code warn_at},
 * {@code critical} from {@code critical_at}, {@code exceeded} from the limit. Holds of requests in flight are
 * shown as {@code reserved} and taken off {@code remaining}, but do not change the state: most of a hold is
 * given back when its request settles.
 */
public final class AdminBudgetsApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminBudgetsApi.class);

    private final BudgetRegistry registry;
    private final BudgetSource requestBudgets;
    private final CounterStore counters;
    private final Clock clock;
    private final ZoneId zone;
    private final ClientFace errors;

    /** Admin routes over {@code registry}; {@link #ownBudgets} shows the registry's budgets only. */
    AdminBudgetsApi(BudgetRegistry registry, CounterStore counters, Clock clock, ZoneId zone, ClientFace errors) {
        this(registry, counters, clock, zone, errors, registry);
    }

    /**
     * @param requestBudgets what the budget step enforces (the registry with key budgets and tier caps, a
     *                       {@code CompositeBudgetSource}), for {@link #ownBudgets}
     */
    AdminBudgetsApi(BudgetRegistry registry, CounterStore counters, Clock clock, ZoneId zone, ClientFace errors,
            BudgetSource requestBudgets) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.zone = Objects.requireNonNull(zone, "zone");
        this.errors = Objects.requireNonNull(errors, "errors");
        this.requestBudgets = Objects.requireNonNull(requestBudgets, "requestBudgets");
    }

    // ---------------------------------------------------------------- routes

    /** {@code POST /admin/v1/budgets}: 201 with the budget (its id generated when the body has none); 409 if taken. */
    void create(HttpServerRequest req, Buffer body) {
        guarded(req, () -> {
            Budget b = BudgetJson.parse(BudgetJson.read(body.getBytes()));
            try {
                registry.create(b);
            } catch (DuplicateBudgetException e) {
                GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                        "A budget with id '" + b.id() + "' already exists; PUT /admin/v1/budgets/" + b.id()
                                + " changes it.").withStatus(409).withParam("id").withCode("budget_exists"), "");
                return;
            }
            GatewayServer.json(req.response(), 201, BudgetJson.render(b));
        });
    }

    /** {@code GET /admin/v1/budgets}: every budget, oldest first. */
    void list(HttpServerRequest req) {
        guarded(req, () -> {
            ObjectNode out = GatewayServer.JSON.createObjectNode();
            out.put("object", "list");
            ArrayNode data = out.putArray("data");
            for (Budget b : registry.list()) {
                data.add(BudgetJson.render(b));
            }
            GatewayServer.json(req.response(), 200, out);
        });
    }

    /** {@code GET /admin/v1/budgets/{id}}. */
    void get(HttpServerRequest req, String id) {
        guarded(req, () -> {
            Optional<Budget> b = registry.get(id);
            if (b.isEmpty()) {
                notFound(req, id);
                return;
            }
            GatewayServer.json(req.response(), 200, BudgetJson.render(b.get()));
        });
    }

    /**
     * {@code PUT /admin/v1/budgets/{id}}: replaces the budget with the body (the whole budget; an {@code id} in
     * the body must be the path's). The current window's counter is kept, so a raised limit applies to the
     * spend so far.
     */
    void replace(HttpServerRequest req, String id, Buffer body) {
        guarded(req, () -> {
            ObjectNode in = BudgetJson.read(body.getBytes());
            JsonNode given = in.get("id");
            if (given != null && !given.isNull() && !(given.isTextual() && given.textValue().strip().equals(id))) {
                throw new BudgetJsonException("id", "'id' in the body must be the id in the path ('" + quotable(id)
                        + "'), or left out.");
            }
            in.put("id", id);
            Budget b = BudgetJson.parse(in);
            Optional<Budget> replaced = registry.replace(b);
            if (replaced.isEmpty()) {
                notFound(req, id);
                return;
            }
            GatewayServer.json(req.response(), 200, BudgetJson.render(replaced.get()));
        });
    }

    /**
     * {@code DELETE /admin/v1/budgets/{id}}: the budget stops applying (on other replicas within their reload
     * ttl); the answer is the deleted budget with {@code "deleted": true}. Its counters are left to expire.
     */
    void delete(HttpServerRequest req, String id) {
        guarded(req, () -> {
            Optional<Budget> b = registry.delete(id);
            if (b.isEmpty()) {
                notFound(req, id);
                return;
            }
            ObjectNode out = BudgetJson.render(b.get());
            out.put("deleted", true);
            GatewayServer.json(req.response(), 200, out);
        });
    }

    /**
     * {@code GET /admin/v1/budgets/{id}/status}: the current window's figures. A per-member budget
     * ({@code "scope_id": "*"}) has one counter per member: {@code ?member=bob} says whose (required); other
     * budgets take no member.
     */
    void status(HttpServerRequest req, String id) {
        guarded(req, () -> {
            Optional<Budget> found = registry.get(id);
            if (found.isEmpty()) {
                notFound(req, id);
                return;
            }
            Budget b = found.get();
            String member = Optional.ofNullable(req.getParam("member")).map(String::strip).orElse("");
            Applicable applicable;
            if (b.appliesToEachMember()) {
                if (member.isEmpty()) {
                    throw new BudgetJsonException("member", "Budget '" + b.id() + "' counts each "
                            + b.scope().wireName() + " separately: say whose status with ?member=<"
                            + b.scope().wireName() + ">.");
                }
                if (member.length() > BudgetJson.MAX_SCOPE_ID) {
                    throw new BudgetJsonException("member", "'member' is longer than " + BudgetJson.MAX_SCOPE_ID
                            + " characters.");
                }
                applicable = new Applicable(b, member);
            } else {
                if (!member.isEmpty()) {
                    throw new BudgetJsonException("member", "Budget '" + b.id() + "' applies to " + b.scopeText()
                            + " as a whole: leave 'member' out.");
                }
                applicable = new Applicable(b, b.scopeId());
            }
            GatewayServer.json(req.response(), 200, statusOf(applicable, clock.instant()));
        });
    }

    /**
     * {@code GET /v1/tokenrt/budget}: the status of every budget a request with the key would be held to (global,
     * its team, project and user, its own budgets and tier cap when {@code requestBudgets} includes them), in
     * the order the budget step checks them.
     *
     * @param attribution the key's requests' attribution (its id, user, project and team)
     */
    void ownBudgets(HttpServerRequest req, VirtualKey key, LedgerEntry.Attribution attribution) {
        guarded(req, () -> {
            Instant now = clock.instant();
            ObjectNode out = GatewayServer.JSON.createObjectNode();
            out.put("object", "list");
            out.put("key_id", key.id());
            ArrayNode data = out.putArray("data");
            for (Applicable a : requestBudgets.applicable(attribution)) {
                data.add(statusOf(a, now));
            }
            GatewayServer.json(req.response(), 200, out);
        });
    }

    // ---------------------------------------------------------------- status

    /** One budget's figures in the window holding {@code now}, read from the counter the budget step charges. */
    private ObjectNode statusOf(Applicable a, Instant now) {
        Budget b = a.budget();
        Window w = b.period().window(now, zone);
        CounterStore.State s;
        try {
            s = counters.state(BudgetStep.counterKey(a, w));
        } catch (RuntimeException e) {
            throw new CountersUnavailable(e);
        }
        return status(a, w, s);
    }

    /** The status JSON for one budget, window and counter state. */
    static ObjectNode status(Applicable a, Window w, CounterStore.State s) {
        Budget b = a.budget();
        long committed = saturatedSum(s.used(), s.held());
        long remaining = committed >= b.limit() ? 0 : b.limit() - committed;
        ObjectNode out = GatewayServer.JSON.createObjectNode();
        out.put("object", "budget.status");
        out.put("id", b.id());
        out.put("scope", b.scope().wireName());
        if (b.scope() == dev.tokenrt.budget.Scope.GLOBAL) {
            out.putNull("scope_id");
        } else {
            out.put("scope_id", b.scopeId());
        }
        if (b.appliesToEachMember()) {
            out.put("member", a.member());
        }
        out.put("period", b.period().wireName());
        out.put("metric", b.metric().wireName());
        out.put("action", b.action().wireName());
        out.set("limit", BudgetJson.amount(b.metric(), b.limit()));
        out.set("used", BudgetJson.amount(b.metric(), s.used()));
        out.set("reserved", BudgetJson.amount(b.metric(), s.held()));
        out.set("remaining", BudgetJson.amount(b.metric(), remaining));
        BudgetJson.putWindow(out, w);
        out.put("state", state(b, s.used()));
        return out;
    }

    /** {@code ok}, {@code warning}, {@code critical} or {@code exceeded}: the highest threshold {@code used} reached. */
    static String state(Budget b, long used) {
        List<AlertLevel> reached = ThresholdAlerts.levelsReached(b, used);
        if (reached.isEmpty()) {
            return "ok";
        }
        return switch (reached.getLast()) {
            case WARN -> "warning";
            case CRITICAL -> "critical";
            case EXCEEDED -> "exceeded";
        };
    }

    private static long saturatedSum(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    // ---------------------------------------------------------------- errors

    /** The counter store failed while reading a status: 503, like the budget step's fail-closed answer. */
    private static final class CountersUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CountersUnavailable(RuntimeException cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private void guarded(HttpServerRequest req, Runnable route) {
        try {
            route.run();
        } catch (BudgetJsonException e) {
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    e.getMessage()).withParam(e.param()).withCode(e.code()), "");
        } catch (BudgetStoreException e) {
            LOG.warn("budget registry unavailable on {} {}: {}", req.method(), req.path(), e.getMessage());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "The budget store is unavailable; try again shortly.").withCode("budget_store_unavailable"), "");
        } catch (CountersUnavailable e) {
            LOG.warn("counter store unavailable on {} {}: {}", req.method(), req.path(), e.getMessage());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "The budget counters are unavailable; try again shortly.").withCode("counter_store_unavailable"),
                    "");
        } catch (RuntimeException e) {
            LOG.error("budget route {} {} failed: {}", req.method(), req.path(), e.toString());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INTERNAL,
                    "internal error"), "");
        }
    }

    private void notFound(HttpServerRequest req, String id) {
        String message = BudgetJson.isValidId(id) ? "No budget with id '" + id + "'." : "No such budget.";
        GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.NOT_FOUND, message)
                .withParam("id").withCode("budget_not_found"), "");
    }

    /** An id to quote back: only when it is shaped like an id (never a secret pasted in the wrong place). */
    private static String quotable(String id) {
        return BudgetJson.isValidId(id) ? id : "…";
    }
}
