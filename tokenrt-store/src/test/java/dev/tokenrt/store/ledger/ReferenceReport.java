package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.ledger.UsageQuery.Dimension;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.ledger.UsageReport.Totals;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The report semantics written out plainly over a list of rows in memory, with no SQL: what the ledger's
 * two query paths are checked against.
 */
final class ReferenceReport {

    private ReferenceReport() {
    }

    static UsageReport of(List<LedgerEntry> all, UsageQuery q) {
        List<Dimension> dims = List.copyOf(new LinkedHashSet<>(q.groupBy()));
        List<LedgerEntry> in = all.stream()
                .filter(e -> !e.time().isBefore(q.from()) && e.time().isBefore(q.to()))
                .toList();
        Totals totals = sum(in);
        if (dims.isEmpty()) {
            return new UsageReport(List.of(new UsageReport.Row(Map.of(), totals)), totals);
        }
        Map<List<String>, List<LedgerEntry>> groups = new HashMap<>();
        for (LedgerEntry e : in) {
            for (List<String> key : keys(e, dims)) {
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
            }
        }
        List<Map.Entry<List<String>, Totals>> rows = new ArrayList<>();
        groups.forEach((k, v) -> rows.add(Map.entry(k, sum(v))));
        Comparator<Map.Entry<List<String>, Totals>> order =
                Comparator.comparingLong((Map.Entry<List<String>, Totals> r) -> r.getValue().costNanos()).reversed();
        for (int i = 0; i < dims.size(); i++) {
            int at = i;
            order = order.thenComparing(r -> r.getKey().get(at));
        }
        rows.sort(order);
        List<UsageReport.Row> out = new ArrayList<>();
        for (var r : rows) {
            Map<String, String> group = new HashMap<>();
            for (int i = 0; i < dims.size(); i++) {
                group.put(dims.get(i).wireName(), r.getKey().get(i));
            }
            out.add(new UsageReport.Row(group, r.getValue()));
        }
        return new UsageReport(out, totals);
    }

    /** Every group key a row belongs to: one, or one per tag when grouping by tag. */
    private static List<List<String>> keys(LedgerEntry e, List<Dimension> dims) {
        List<List<String>> keys = List.of(List.of());
        for (Dimension d : dims) {
            List<String> values = values(e, d);
            List<List<String>> next = new ArrayList<>();
            for (List<String> k : keys) {
                for (String v : values) {
                    List<String> nk = new ArrayList<>(k);
                    nk.add(v);
                    next.add(List.copyOf(nk));
                }
            }
            keys = next;
        }
        return keys;
    }

    private static List<String> values(LedgerEntry e, Dimension d) {
        var a = e.attribution();
        return switch (d) {
            case MODEL -> List.of(e.modelServed());
            case PROVIDER -> List.of(e.provider());
            case USER -> List.of(a.user());
            case PROJECT -> List.of(a.project());
            case TEAM -> List.of(a.team());
            case KEY -> List.of(a.keyId());
            case SESSION -> List.of(a.session());
            case TAG -> a.tags().isEmpty() ? List.of("") : List.copyOf(new LinkedHashSet<>(a.tags()));
            case DAY -> List.of(e.time().truncatedTo(ChronoUnit.DAYS).toString());
            case HOUR -> List.of(e.time().truncatedTo(ChronoUnit.HOURS).toString());
        };
    }

    static Totals sum(List<LedgerEntry> rows) {
        long requests = 0, errors = 0, in = 0, out = 0, cached = 0, writes = 0, reasoning = 0, cost = 0, hits = 0,
                saved = 0, savedIn = 0, savedOut = 0;
        for (LedgerEntry e : rows) {
            requests++;
            errors += e.status() >= 400 ? 1 : 0;
            in += e.usage().inputTokens();
            out += e.usage().outputTokens();
            cached += e.usage().cacheReadTokens();
            writes += e.usage().cacheWrite5mTokens() + e.usage().cacheWrite1hTokens();
            reasoning += e.usage().reasoningTokens();
            cost += e.costNanos();
            hits += e.cache() == CacheOutcome.HIT || e.cache() == CacheOutcome.SEMANTIC ? 1 : 0;
            saved += e.savedCostNanos();
            savedIn += e.savedInputTokens();
            savedOut += e.savedOutputTokens();
        }
        return new Totals(requests, errors, in, out, cached, writes, reasoning, cost, hits, saved, savedIn, savedOut);
    }

    static UsageQuery query(Instant from, Instant to, Dimension... dims) {
        return new UsageQuery(List.of(dims), from, to);
    }
}
