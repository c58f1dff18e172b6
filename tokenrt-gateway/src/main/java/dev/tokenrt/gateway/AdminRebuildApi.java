package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.store.budget.CounterRebuild;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /admin/v1/budgets/rebuild[?dry_run=true]} (or a body {@code {"dry_run": true}}): rebuilds every budget
 * counter's current window from the ledger, keeping live holds, and answers what each counter was and is. The
 * ledger is flushed first, so requests this replica finished are in it. Master key only; blocks on the databases,
 * so it runs on a worker thread.
 */
final class AdminRebuildApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminRebuildApi.class);

    private final Budgets budgets;
    private final UsageLedger ledger;
    private final Clock clock;
    private final ClientFace errors;

    AdminRebuildApi(Budgets budgets, UsageLedger ledger, Clock clock, ClientFace errors) {
        this.budgets = budgets;
        this.ledger = ledger;
        this.clock = clock;
        this.errors = errors;
    }

    void rebuild(HttpServerRequest req, Buffer body) {
        boolean dryRun;
        try {
            dryRun = dryRun(req.getParam("dry_run"), body);
        } catch (IllegalArgumentException e) {
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.INVALID_REQUEST,
                    e.getMessage()).withParam("dry_run"), "");
            return;
        }
        ledger.flush(Duration.ofSeconds(5));
        Instant now = clock.instant();
        List<CounterRebuild.Change> changes;
        try {
            changes = budgets.rebuild(now, dryRun);
        } catch (BudgetStoreException | CounterStoreUnavailableException e) {
            LOG.warn("budget rebuild failed: {}", e.getMessage());
            GatewayServer.fail(req.response(), errors, GatewayError.of(GatewayError.Kind.UNAVAILABLE,
                    "The ledger or the budget counters are unavailable; nothing more was rebuilt. Try again shortly.")
                    .withCode("budget_store_unavailable"), "");
            return;
        }
        long changed = changes.stream().filter(CounterRebuild.Change::changed).count();
        LOG.info("budget counters rebuilt from the ledger{}: {} counters, {} changed", dryRun ? " (dry run)" : "",
                changes.size(), changed);
        GatewayServer.json(req.response(), 200, BudgetRebuild.json(changes, dryRun, now));
    }

    static boolean dryRun(String param, Buffer body) {
        if (param != null) {
            return switch (param.strip()) {
                case "true", "1" -> true;
                case "false", "0", "" -> false;
                default -> throw new IllegalArgumentException("'dry_run' must be true or false.");
            };
        }
        if (body == null || body.length() == 0) {
            return false;
        }
        Optional<JsonNode> json = GatewayServer.parseJson(body);
        if (json.isEmpty()) {
            throw new IllegalArgumentException("The request body must be empty or a JSON object like {\"dry_run\": true}.");
        }
        JsonNode d = json.get().get("dry_run");
        if (d == null || d.isNull()) {
            return false;
        }
        if (!d.isBoolean()) {
            throw new IllegalArgumentException("'dry_run' must be true or false.");
        }
        return d.booleanValue();
    }
}
