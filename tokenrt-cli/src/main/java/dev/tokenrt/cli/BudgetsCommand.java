package dev.tokenrt.cli;

import dev.tokenrt.budget.BudgetJson;
import dev.tokenrt.budget.BudgetStoreException;
import dev.tokenrt.budget.CounterStoreUnavailableException;
import dev.tokenrt.gateway.BudgetRebuild;
import dev.tokenrt.gateway.GatewayConfig;
import dev.tokenrt.store.budget.CounterRebuild;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenrt budgets}: budget maintenance that needs no running gateway. */
@Command(name = "budgets", mixinStandardHelpOptions = true, description = {"Budget maintenance on the gateway's database and Redis, no gateway needed.",
    ""}, subcommands = {BudgetsCommand.Rebuild.class},
        footer = {"", "Run 'tokenrt budgets rebuild --help' for its options and examples."})
final class BudgetsCommand implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** {@code tokenrt budgets rebuild}: every budget counter's current window rebuilt from the ledger. */
    @Command(name = "rebuild", sortOptions = false, mixinStandardHelpOptions = true,
            description = {"Rebuilds every budget counter's current window from the ledger, which is",
                "the source of truth. For each budget (the configuration file's, the admin",
                "API's and every key's own) it sums the ledger's cost, tokens or requests in",
                "the budget's scope over the current day, hour, month... (all time for",
                "'total') and writes that as the counter's spend, keeping what requests in",
                "flight hold. For after a fail_open outage, a lost Redis, or a hand edit.",
                "", "What counts is what the budget step settles: answered requests and streams",
                "that used tokens; not cache hits, nor failures that used nothing.", ""},
            footer = {"", "Examples:",
                "  # what would change, on the local SQLite data (TOKENRT_DATA_DIR):",
                "  tokenrt budgets rebuild --dry-run",
                "  # rebuild them:",
                "  tokenrt budgets rebuild",
                "  # replicas: the shared PostgreSQL ledger and the counters in Redis:",
                "  tokenrt budgets rebuild --database 'jdbc:postgresql://db/tokenrt?user=tokenrt' \\",
                "      --redis redis://cache:6379/0",
                "  # the budgets, tiers and time zone of the gateway's file; JSON out:",
                "  tokenrt budgets rebuild --config tokenrt.yaml --json",
                "", "Exit status: 0 when done (or a dry run), 2 when something could not be read or written."})
    static final class Rebuild implements Callable<Integer> {

        @Option(names = "--database", paramLabel = "URL",
                description = "The gateway's database: ledger, keys, budgets, and the counters without Redis "
                        + "(default: the config's database_url, TOKENRT_DATABASE_URL, else SQLite under TOKENRT_DATA_DIR).")
        String database;

        @Option(names = "--redis", paramLabel = "URL",
                description = "The counters in Redis, when the gateways share them there (default: the config's "
                        + "budgets.redis_url or TOKENRT_REDIS_URL).")
        String redis;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "The gateway's YAML configuration: its budgets, tiers and time zone.")
        Path config;

        @Option(names = "--dry-run", description = "Show what would change and write nothing.")
        boolean dryRun;

        @Option(names = "--json", description = "Print JSON (the admin API's POST /admin/v1/budgets/rebuild answer).")
        boolean json;

        @Override
        public Integer call() {
            GatewayConfig cfg;
            try {
                cfg = GatewayConfig.load(Optional.ofNullable(config), System.getenv());
            } catch (GatewayConfig.ConfigException e) {
                throw new CliError(e.getMessage());
            }
            if (database != null) {
                cfg = cfg.withDatabaseUrl(database);
            }
            if (redis != null) {
                cfg = cfg.withBudgets(cfg.budgets().withRedisUrl(Optional.of(redis)));
            }
            String url = cfg.databaseUrl();
            if (url.startsWith("jdbc:sqlite:") && !Files.exists(Path.of(url.substring("jdbc:sqlite:".length())))) {
                throw new CliError("no database at " + url.substring("jdbc:sqlite:".length())
                        + " (start `tokenrt serve` first, or give --database)");
            }
            PrintStream err = System.err;
            java.time.Instant now = Clock.systemUTC().instant();
            List<CounterRebuild.Change> changes;
            try {
                changes = BudgetRebuild.run(cfg, dryRun, Clock.fixed(now, java.time.ZoneOffset.UTC), p -> progress(err, p));
            } catch (BudgetStoreException | CounterStoreUnavailableException e) {
                throw new CliError(e.getMessage());
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new CliError(e.getMessage());
            }
            if (json) {
                System.out.println(Json.pretty(BudgetRebuild.json(changes, dryRun, now)));
            } else {
                System.out.print(table(changes));
            }
            return 0;
        }

        /** A line on stderr every tenth of the way (and at the end), when there are budgets enough to wait for. */
        private static void progress(PrintStream err, CounterRebuild.Progress p) {
            if (p.total() < 20) {
                return;
            }
            int step = Math.max(1, p.total() / 10);
            if (p.done() % step == 0 || p.done() == p.total()) {
                err.println("rebuilding: " + p.done() + "/" + p.total() + " budgets (" + p.budgetId() + ")");
            }
        }

        private String table(List<CounterRebuild.Change> changes) {
            Table t = new Table("budget", "member", "period", "metric", "before", "after", "in flight", "");
            t.right(4, 5, 6);
            long changed = 0;
            for (CounterRebuild.Change c : changes) {
                String period = c.window().isForever() ? "total" : c.window().start() + " .. " + c.window().end();
                t.row(c.budgetId(), c.member().isEmpty() ? "(all)" : c.member(), period, c.metric().wireName(),
                        amount(c, c.before()), amount(c, c.after()), amount(c, c.held()),
                        c.changed() ? (dryRun ? "would change" : "changed") : "");
                changed += c.changed() ? 1 : 0;
            }
            long budgets = changes.stream().map(CounterRebuild.Change::budgetId).distinct().count();
            String summary = (dryRun ? "dry run, nothing written: " : "") + changes.size() + " counters of " + budgets
                    + " budgets, " + changed + (dryRun ? " would change" : " changed") + "\n";
            return changes.isEmpty() ? "no budgets to rebuild\n" : t.render() + summary;
        }

        private static String amount(CounterRebuild.Change c, long v) {
            return BudgetJson.amount(c.metric(), v).asText();
        }
    }
}
