package dev.tokenrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrt.gateway.AdminApi;
import dev.tokenrt.gateway.GatewayConfig;
import dev.tokenrt.gateway.UsageJson;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenrt report}: usage and spend from the ledger, as a table with a spend bar per row. */
@Command(name = "report", sortOptions = false,
        description = {"Usage and spend grouped by model, provider, user, project, team, key, session, tag,",
            "day or hour, read from a running gateway (--server) or straight from the ledger database."},
        footer = {"", "Examples:",
            "  tokenrt report                                   # local SQLite ledger, last 7 days, by model",
            "  tokenrt report --group-by project,model --since 30d",
            "  tokenrt report --server http://127.0.0.1:4000 --group-by day   # uses TOKENRT_MASTER_KEY",
            "  tokenrt report --database jdbc:postgresql://127.0.0.1/tokenrt?user=postgres --json"})
final class ReportCommand implements Callable<Integer> {

    @Option(names = "--server", paramLabel = "URL", description = "A running gateway to ask (its /admin/v1/usage).")
    String server;

    @Option(names = "--database", paramLabel = "JDBC_URL",
            description = "The ledger database (default: TOKENRT_DATABASE_URL, else SQLite under TOKENRT_DATA_DIR).")
    String database;

    @Option(names = {"-g", "--group-by"}, paramLabel = "DIMS", defaultValue = "model",
            description = "Comma-separated: model, provider, user, project, team, key, session, tag, day, hour (default: ${DEFAULT-VALUE}).")
    String groupBy;

    @Option(names = "--since", paramLabel = "AGE", defaultValue = "7d",
            description = "How far back: 30m, 12h, 7d, 4w (default: ${DEFAULT-VALUE}).")
    String since;

    @Option(names = "--json", description = "Print the admin API's JSON instead of a table.")
    boolean json;

    private static final Pattern AGE = Pattern.compile("(\\d+)([mhdw])");

    @Override
    public Integer call() {
        Instant now = Instant.now();
        Instant from = now.minus(age(since));
        JsonNode report = server != null ? fromServer(from, now) : fromDatabase(from, now);
        System.out.print(json ? Json.pretty(report) + "\n" : render(report));
        return 0;
    }

    static Duration age(String s) {
        Matcher m = AGE.matcher(s.trim());
        if (!m.matches()) {
            throw new CliError("--since: expected a number and a unit (m, h, d, w), e.g. 7d; got '" + s + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
    }

    private JsonNode fromServer(Instant from, Instant to) {
        String url = server.replaceAll("/+$", "") + "/admin/v1/usage?group_by=" + URLEncoder.encode(groupBy, StandardCharsets.UTF_8)
                + "&from=" + from + "&to=" + to;
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        String key = System.getenv("TOKENRT_MASTER_KEY");
        if (key != null && !key.isBlank()) {
            req.header("authorization", "Bearer " + key.trim());
        }
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> resp = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = Json.parse(resp.body(), server);
            if (resp.statusCode() != 200) {
                throw new CliError(server + " answered " + resp.statusCode() + ": "
                        + body.path("error").path("message").asText(resp.body()));
            }
            return body;
        } catch (java.io.IOException e) {
            throw new CliError("cannot reach " + server + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError("interrupted");
        }
    }

    private JsonNode fromDatabase(Instant from, Instant to) {
        String url = database != null ? database
                : GatewayConfig.load(Optional.empty(), System.getenv()).databaseUrl();
        UsageQuery q;
        try {
            q = AdminApi.query(groupBy, from.toString(), to.toString(), to);
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage());
        }
        if (url.startsWith("jdbc:sqlite:") && !java.nio.file.Files.exists(java.nio.file.Path.of(url.substring(12)))) {
            throw new CliError("no ledger at " + url.substring(12) + " (start `tokenrt serve` first, or give --database / --server)");
        }
        try (JdbcUsageLedger ledger = JdbcUsageLedger.open(url, LedgerOptions.defaults())) {
            return UsageJson.render(ledger.query(q));
        } catch (RuntimeException e) {
            throw new CliError("cannot read the ledger at " + url + ": " + e.getMessage());
        }
    }

    private String render(JsonNode report) {
        List<String> dims = new ArrayList<>();
        for (String d : groupBy.split(",")) {
            if (!d.isBlank()) {
                dims.add(d.trim().toLowerCase(java.util.Locale.ROOT));
            }
        }
        List<String> headers = new ArrayList<>(dims);
        // Cache hits and what they saved show only when there were some.
        boolean hits = report.path("totals").path("cache_hits").asLong() > 0;
        headers.addAll(List.of("requests", "errors", "input", "output", "cached", "cost_usd"));
        if (hits) {
            headers.addAll(List.of("hits", "saved_usd"));
        }
        headers.add("share");
        Table t = new Table(headers.toArray(String[]::new));
        int numeric = hits ? 8 : 6;
        int[] right = new int[numeric];
        for (int i = 0; i < numeric; i++) {
            right[i] = dims.size() + i;
        }
        t.right(right);
        BigDecimal total = new BigDecimal(report.path("totals").path("cost_usd").asText("0"));
        for (Iterator<JsonNode> it = report.path("rows").elements(); it.hasNext(); ) {
            JsonNode r = it.next();
            List<Object> cells = new ArrayList<>();
            for (String d : dims) {
                String v = r.path(d).asText("");
                cells.add(v.isEmpty() ? "(none)" : v);
            }
            BigDecimal cost = new BigDecimal(r.path("cost_usd").asText("0"));
            cells.addAll(List.of(r.path("requests").asLong(), r.path("errors").asLong(), r.path("input_tokens").asLong(),
                    r.path("output_tokens").asLong(), r.path("cached_input_tokens").asLong(), r.path("cost_usd").asText()));
            if (hits) {
                cells.addAll(List.of(r.path("cache_hits").asLong(), r.path("saved_cost_usd").asText()));
            }
            cells.add(bar(cost, total));
            t.row(cells.toArray());
        }
        JsonNode tot = report.path("totals");
        List<Object> cells = new ArrayList<>();
        cells.add("total");
        for (int i = 1; i < dims.size(); i++) {
            cells.add("");
        }
        cells.addAll(List.of(tot.path("requests").asLong(), tot.path("errors").asLong(), tot.path("input_tokens").asLong(),
                tot.path("output_tokens").asLong(), tot.path("cached_input_tokens").asLong(), tot.path("cost_usd").asText()));
        if (hits) {
            cells.addAll(List.of(tot.path("cache_hits").asLong(), tot.path("saved_cost_usd").asText()));
        }
        cells.add("");
        t.rule().row(cells.toArray());
        return "usage for the last " + since + ", by " + String.join(", ", dims) + "\n" + t.render();
    }

    /** A 20-cell bar of a row's share of the spend. */
    static String bar(BigDecimal part, BigDecimal total) {
        if (total.signum() == 0) {
            return "";
        }
        int cells = part.multiply(BigDecimal.valueOf(20)).divide(total, 0, java.math.RoundingMode.HALF_UP).intValue();
        return "█".repeat(cells) + "·".repeat(20 - cells);
    }
}
