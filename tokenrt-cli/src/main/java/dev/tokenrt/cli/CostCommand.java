package dev.tokenrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.pricing.Cost;
import dev.tokenrt.pricing.CostCalculator;
import dev.tokenrt.pricing.ModelPrice;
import dev.tokenrt.pricing.Money;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenrt cost}: what a provider usage object costs, exactly. */
@Command(name = "cost", sortOptions = false,
        description = {
            "Price a provider usage object with the bundled catalog (plus TOKENRT_PRICING_OVERRIDES).",
            "",
            "USAGE.json is an OpenAI `usage`, an Anthropic `usage` or a Gemini `usageMetadata` object (or a",
            "whole response holding one); the shape tells which. Cached reads and cache writes are input-side",
            "cost, reasoning is output-side. Money is computed exactly in nano-dollars and printed as decimals."},
        footer = {
            "",
            "Examples:",
            "  tokenrt cost --model gpt-4o --usage usage.json",
            "  tokenrt cost --model claude-sonnet-4-5 --usage response.json --json",
            "  tokenrt cost --jsonl < usages.jsonl    # one {\"model\",\"provider\"?,\"usage\"} per line",
            "",
            "--json prints {\"model\",\"provider\",\"input_cost_usd\",\"output_cost_usd\",\"total_cost_usd\",\"breakdown\"}.",
            "--jsonl answers line by line in order; a line that can't be priced gets {\"line\":N,\"error\":…}",
            "and the batch goes on. Errors otherwise exit with status 2."})
final class CostCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "The model that served the request.")
    String model;

    @Option(names = {"-p", "--provider"}, paramLabel = "PROVIDER",
            description = "openai, anthropic, google (alias gemini), azure, bedrock, mistral, deepseek, …; by default the catalog decides from the model.")
    String provider;

    @Option(names = {"-u", "--usage"}, paramLabel = "USAGE.json", description = "The usage object ('-' for standard input).")
    Path usage;

    @Option(names = "--jsonl", description = "Read {\"model\",\"provider\",\"usage\"} lines from standard input; write one result line each.")
    boolean jsonl;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        if (jsonl) {
            if (usage != null || model != null) {
                throw new CliError("--jsonl reads model and usage from each input line; drop --model/--usage");
            }
            return batch();
        }
        if (model == null) {
            throw new CliError("missing --model");
        }
        if (usage == null) {
            throw new CliError("missing --usage USAGE.json");
        }
        ObjectNode result = price(model, provider, Json.readJson(usage), usage.toString());
        System.out.print(json ? Json.compact(result) + "\n" : render(result));
        return 0;
    }

    private int batch() {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int lineNo = 0;
        try {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                ObjectNode result;
                try {
                    JsonNode node = Json.parse(line, "line " + lineNo);
                    if (!node.isObject()) {
                        throw new CliError("line " + lineNo + ": expected a JSON object");
                    }
                    String m = node.path("model").asText("");
                    if (m.isEmpty()) {
                        throw new CliError("line " + lineNo + ": missing \"model\"");
                    }
                    JsonNode u = node.get("usage");
                    if (u == null || !u.isObject()) {
                        throw new CliError("line " + lineNo + ": missing \"usage\" object");
                    }
                    String p = node.hasNonNull("provider") ? node.get("provider").asText() : null;
                    result = price(m, p, u, "line " + lineNo);
                } catch (CliError e) {
                    result = Json.MAPPER.createObjectNode();
                    result.put("line", lineNo);
                    result.put("error", e.getMessage());
                }
                out.println(Json.compact(result));
            }
        } catch (IOException e) {
            throw new CliError("cannot read standard input: " + e.getMessage());
        }
        out.flush();
        return 0;
    }

    static ObjectNode price(String model, String provider, JsonNode usageNode, String what) {
        Optional<UsageParser.Detected> detected;
        try {
            detected = UsageParser.detect(usageNode);
        } catch (IllegalArgumentException e) {
            throw new CliError(what + ": " + e.getMessage());
        }
        if (detected.isEmpty()) {
            throw new CliError(what + ": not a usage object (expected OpenAI usage, Anthropic usage or Gemini usageMetadata)");
        }
        Usage u = detected.get().usage();
        Optional<ModelPrice> price = provider == null ? Runtime.catalog().find(model) : Runtime.catalog().find(model, provider);
        if (price.isEmpty()) {
            throw new CliError("unknown model '" + model + "'" + (provider == null ? "" : " for provider '" + provider + "'")
                    + ": not in the pricing catalog (see `tokenrt models`, or add it with TOKENRT_PRICING_OVERRIDES)");
        }
        ModelPrice mp = price.get();
        Cost c = CostCalculator.cost(mp, u);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("model", model);
        o.put("provider", mp.provider());
        o.put("priced_as", mp.id());
        o.put("input_cost_usd", Money.format(c.inputSideNanos()));
        o.put("output_cost_usd", Money.format(c.outputSideNanos()));
        o.put("total_cost_usd", Money.format(c.totalNanos()));
        ObjectNode b = o.putObject("breakdown");
        kind(b, "input", u.uncachedInputTokens(), c.inputNanos());
        kind(b, "cache_read", u.cacheReadTokens(), c.cacheReadNanos());
        kind(b, "cache_write_5m", u.cacheWrite5mTokens(), c.cacheWrite5mNanos());
        kind(b, "cache_write_1h", u.cacheWrite1hTokens(), c.cacheWrite1hNanos());
        kind(b, "output", u.visibleOutputTokens(), c.outputNanos());
        kind(b, "reasoning", u.reasoningTokens(), c.reasoningNanos());
        o.put("usage_format", detected.get().formatName());
        return o;
    }

    private static void kind(ObjectNode b, String name, long tokens, long nanos) {
        ObjectNode k = b.putObject(name);
        k.put("tokens", tokens);
        k.put("cost_usd", Money.format(nanos));
    }

    private static String render(ObjectNode r) {
        Table t = new Table("kind", "tokens", "cost_usd").right(1, 2);
        r.get("breakdown").fields().forEachRemaining(e ->
                t.row(e.getKey(), e.getValue().get("tokens").asLong(), e.getValue().get("cost_usd").asText()));
        t.rule().row("input side", "", r.get("input_cost_usd").asText());
        t.row("output side", "", r.get("output_cost_usd").asText());
        t.row("total", "", r.get("total_cost_usd").asText());
        return "model " + r.get("model").asText() + " (" + r.get("provider").asText() + ", priced as "
                + r.get("priced_as").asText() + "), usage read as " + r.get("usage_format").asText() + "\n" + t.render();
    }
}
