package dev.tokenrt.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.pricing.ModelPrice;
import dev.tokenrt.pricing.Price;
import dev.tokenrt.pricing.PriceKind;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenrt models}: the pricing catalog as a table. */
@Command(name = "models", sortOptions = false,
        description = {"List the models in the pricing catalog with their prices (USD per million tokens),",
            "context window and maximum output."},
        footer = {"", "Examples:", "  tokenrt models --provider anthropic", "  tokenrt models --json | jq '.[] | select(.id==\"gpt-4o\")'"})
final class ModelsCommand implements Callable<Integer> {

    @Option(names = {"-p", "--provider"}, paramLabel = "PROVIDER", description = "Only this provider's models.")
    String provider;

    @Option(names = {"-g", "--grep"}, paramLabel = "TEXT", description = "Only models whose id contains TEXT.")
    String grep;

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        List<ModelPrice> models = (provider == null ? Runtime.catalog().models() : Runtime.catalog().models(provider))
                .stream()
                .filter(m -> grep == null || m.id().contains(grep))
                .sorted(Comparator.comparing(ModelPrice::provider).thenComparing(ModelPrice::id))
                .toList();
        if (models.isEmpty() && provider != null && Runtime.catalog().models(provider).isEmpty()) {
            throw new CliError("unknown provider '" + provider + "': no models in the catalog");
        }
        if (json) {
            ArrayNode arr = Json.MAPPER.createArrayNode();
            for (ModelPrice m : models) {
                ObjectNode o = arr.addObject();
                o.put("id", m.id());
                o.put("provider", m.provider());
                o.put("mode", m.mode().wireName());
                put(o, "input_per_mtok", rate(m, PriceKind.INPUT));
                put(o, "output_per_mtok", rate(m, PriceKind.OUTPUT));
                put(o, "cache_read_per_mtok", rate(m, PriceKind.CACHE_READ));
                put(o, "cache_write_5m_per_mtok", rate(m, PriceKind.CACHE_WRITE_5M));
                put(o, "cache_write_1h_per_mtok", rate(m, PriceKind.CACHE_WRITE_1H));
                m.contextWindow().ifPresent(v -> o.put("context_window", v));
                m.maxOutputTokens().ifPresent(v -> o.put("max_output_tokens", v));
                o.put("tiers", m.tiers().size());
                o.put("source", m.source());
                o.put("source_date", m.sourceDate().toString());
            }
            System.out.println(Json.pretty(arr));
            return 0;
        }
        Table t = new Table("model", "provider", "input", "output", "cached in", "cache write", "context", "max out")
                .right(2, 3, 4, 5, 6, 7);
        for (ModelPrice m : models) {
            t.row(m.id(), m.provider(), usd(rate(m, PriceKind.INPUT)), usd(rate(m, PriceKind.OUTPUT)),
                    usd(rate(m, PriceKind.CACHE_READ)), usd(rate(m, PriceKind.CACHE_WRITE_5M)),
                    m.contextWindow().isPresent() ? Long.toString(m.contextWindow().getAsLong()) : "-",
                    m.maxOutputTokens().isPresent() ? Long.toString(m.maxOutputTokens().getAsLong()) : "-");
        }
        System.out.print(t.render());
        System.out.println(models.size() + " models; prices in USD per million tokens");
        return 0;
    }

    private static Optional<BigDecimal> rate(ModelPrice m, PriceKind kind) {
        return m.rates().get(kind).map(Price::usdPerMillion);
    }

    private static void put(ObjectNode o, String field, Optional<BigDecimal> v) {
        v.ifPresent(x -> o.put(field, x.stripTrailingZeros().toPlainString()));
    }

    private static String usd(Optional<BigDecimal> v) {
        return v.map(x -> x.stripTrailingZeros().toPlainString()).orElse("-");
    }
}
