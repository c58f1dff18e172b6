package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.pricing.Money;
import java.util.Map;

/** The wire shape of a usage report ({@code GET /admin/v1/usage}, {@code tokenrt report --json}); money as decimal strings. */
public final class UsageJson {
    private UsageJson() {
    }

    public static ObjectNode render(UsageReport report) {
        ObjectNode root = GatewayServer.JSON.createObjectNode();
        ArrayNode rows = root.putArray("rows");
        for (UsageReport.Row r : report.rows()) {
            ObjectNode o = rows.addObject();
            for (Map.Entry<String, String> g : r.group().entrySet()) {
                o.put(g.getKey(), g.getValue());
            }
            totals(o, r.totals());
        }
        totals(root.putObject("totals"), report.totals());
        return root;
    }

    private static void totals(ObjectNode o, UsageReport.Totals t) {
        o.put("requests", t.requests());
        o.put("errors", t.errors());
        o.put("input_tokens", t.inputTokens());
        o.put("output_tokens", t.outputTokens());
        o.put("cached_input_tokens", t.cachedInputTokens());
        o.put("cache_write_tokens", t.cacheWriteTokens());
        o.put("reasoning_tokens", t.reasoningTokens());
        o.put("cost_usd", Money.format(t.costNanos()));
        o.put("cache_hits", t.cacheHits());
        o.put("saved_cost_usd", Money.format(t.savedCostNanos()));
        o.put("saved_input_tokens", t.savedInputTokens());
        o.put("saved_output_tokens", t.savedOutputTokens());
    }
}
