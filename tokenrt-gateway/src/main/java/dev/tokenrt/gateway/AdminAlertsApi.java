package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.budget.AlertLog;
import dev.tokenrt.budget.AlertRecord;
import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.pipeline.GatewayError;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /admin/v1/alerts[?budget=ID][&since=ISO-8601][&limit=N]}: the budget alerts fired (warn, critical,
 * exceeded), newest first, from the log every replica records them in. {@code since} defaults to 30 days ago,
 * {@code limit} to 100 (at most 1,000). Each alert carries the budget's figures as they were when it fired.
 * Blocks on the database: call it from a worker thread.
 */
final class AdminAlertsApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAlertsApi.class);
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    private final AlertLog log;
    private final Clock clock;
    private final ClientFace errors;

    AdminAlertsApi(AlertLog log, Clock clock, ClientFace errors) {
        this.log = Objects.requireNonNull(log, "log");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.errors = Objects.requireNonNull(errors, "errors");
    }

    void list(HttpServerRequest req) {
        AlertLog.Query q;
        try {
            q = query(req.getParam("budget"), req.getParam("since"), req.getParam("limit"), clock.instant());
        } catch (IllegalArgumentException e) {
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    e.getMessage()), "");
            return;
        }
        try {
            ObjectNode out = GatewayServer.JSON.createObjectNode();
            out.put("object", "list");
            ArrayNode data = out.putArray("data");
            for (AlertRecord r : log.list(q)) {
                data.add(render(r));
            }
            GatewayServer.json(req.response(), 200, out);
        } catch (BudgetStoreException e) {
            LOG.warn("alert log unavailable on GET /admin/v1/alerts: {}", e.getMessage());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "The alert log is unavailable; try again shortly.").withCode("alert_log_unavailable"), "");
        }
    }

    static AlertLog.Query query(String budget, String since, String limit, Instant now) {
        Optional<String> id = Optional.ofNullable(budget).map(String::strip).filter(s -> !s.isEmpty());
        if (id.isPresent() && id.get().length() > 200) {
            throw new IllegalArgumentException("'budget' is longer than 200 characters");
        }
        Instant from = since == null || since.isBlank() ? now.minus(Duration.ofDays(30))
                : AdminApi.instant(since.strip(), "since");
        int n = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'limit' must be a whole number from 1 to " + MAX_LIMIT);
            }
            if (n < 1 || n > MAX_LIMIT) {
                throw new IllegalArgumentException("'limit' must be a whole number from 1 to " + MAX_LIMIT);
            }
        }
        return new AlertLog.Query(id, from, n);
    }

    static ObjectNode render(AlertRecord r) {
        ObjectNode o = GatewayServer.JSON.createObjectNode();
        o.put("object", "budget.alert");
        o.put("budget", r.budgetId());
        o.put("member", r.member());
        o.put("scope", r.scope().wireName());
        o.put("period", r.period().wireName());
        o.put("metric", r.metric().wireName());
        o.put("level", r.level().wireName());
        BudgetJson.putWindow(o, r.window());
        o.set("used", BudgetJson.amount(r.metric(), r.used()));
        o.set("limit", BudgetJson.amount(r.metric(), r.limit()));
        o.put("action", r.action().wireName());
        o.put("message", r.text());
        o.put("fired_at", r.firedAt().toString());
        return o;
    }
}
