package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.budget.Budget;
import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.budget.BudgetRegistry;
import dev.tokenrt.budget.CounterStore;
import dev.tokenrt.budget.KeyBudgets;
import dev.tokenrt.budget.Priority;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.store.budget.CounterRebuild;
import dev.tokenrt.store.budget.JdbcBudgetRegistry;
import dev.tokenrt.store.keys.JdbcKeyStore;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Rebuilding every budget counter from the ledger ({@link CounterRebuild}) with the budgets a gateway enforces:
 * the configuration file's, the admin API's (shared through the database) and every key's own (with its tier's
 * daily cap), in that order, the first of an id winning as in the budget step. Used by
 * {@code POST /admin/v1/budgets/rebuild} on a running gateway and by {@code tokenrt budgets rebuild} without one.
 */
public final class BudgetRebuild {

    private BudgetRebuild() {
    }

    /**
     * Opens what the configuration names (the database, Redis when {@code budgets.redis_url} is set), rebuilds,
     * and closes it again. Without Redis the counters are the database's, as the gateway's are.
     */
    public static List<CounterRebuild.Change> run(GatewayConfig config, boolean dryRun, Clock clock,
            Consumer<CounterRebuild.Progress> progress) {
        BudgetSettings bs = config.budgets();
        try (JdbcBudgetRegistry registry = JdbcBudgetRegistry.open(config.databaseUrl(), LedgerOptions.defaults(),
                JdbcBudgetRegistry.Options.defaults().withReload(JdbcBudgetRegistry.Reload.ON_READ));
                JdbcKeyStore keys = JdbcKeyStore.open(config.databaseUrl(), LedgerOptions.defaults());
                CounterStore counters = Budgets.openPrimaryCounters(config);
                CounterRebuild rebuild = CounterRebuild.open(config.databaseUrl(), LedgerOptions.defaults())) {
            KeyBudgets keyBudgets = KeyBudgets.builder().keys(keys).tiers(bs.tiers()).build();
            return rebuild(bs.definitions(), registry, keys, keyBudgets, counters, rebuild, bs.zone(), clock.instant(),
                    dryRun, progress);
        }
    }

    static List<CounterRebuild.Change> rebuild(List<Budget> configured, BudgetRegistry registry, KeyStore keys,
            KeyBudgets keyBudgets, CounterStore counters, CounterRebuild rebuild, ZoneId zone, Instant now,
            boolean dryRun, Consumer<CounterRebuild.Progress> progress) {
        List<Budget> all = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        List<Budget> candidates = new ArrayList<>(configured);
        candidates.addAll(registry.list());
        for (VirtualKey k : keys.list()) {
            candidates.addAll(keyBudgets.budgetsOf(k));
        }
        for (Budget b : candidates) {
            if (ids.add(b.id())) {
                all.add(b);
            }
        }
        return rebuild.rebuild(all, counters, now, zone,
                keyId -> keyBudgets.priority(keyId).orElse(Priority.MEDIUM), dryRun, progress);
    }

    /** The changes as the admin API answers them (and {@code tokenrt budgets rebuild --json} prints them). */
    public static ObjectNode json(List<CounterRebuild.Change> changes, boolean dryRun, Instant at) {
        ObjectNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        out.put("object", "budget.rebuild");
        out.put("dry_run", dryRun);
        out.put("at", at.toString());
        out.put("counters_changed", changes.stream().filter(CounterRebuild.Change::changed).count());
        ArrayNode data = out.putArray("data");
        for (CounterRebuild.Change c : changes) {
            ObjectNode o = data.addObject();
            o.put("budget", c.budgetId());
            o.put("member", c.member());
            o.put("counter", c.counterKey());
            BudgetJson.putWindow(o, c.window());
            o.put("metric", c.metric().wireName());
            o.set("before", BudgetJson.amount(c.metric(), c.before()));
            o.set("after", BudgetJson.amount(c.metric(), c.after()));
            o.set("reserved", BudgetJson.amount(c.metric(), c.held()));
            o.put("changed", c.changed());
        }
        return out;
    }
}
