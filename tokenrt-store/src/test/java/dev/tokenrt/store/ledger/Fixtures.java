package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.ledger.LedgerEntry.CacheOutcome;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/** Ledger rows that look like a gateway's traffic, generated from a fixed seed so every run sees the same. */
final class Fixtures {

    /** Midnight UTC of the first fixture day; rows fall on this day and the two after it. */
    static final Instant DAY0 = Instant.parse("2025-03-10T00:00:00Z");
    static final Instant DAY1 = DAY0.plus(Duration.ofDays(1));
    static final Instant DAY2 = DAY0.plus(Duration.ofDays(2));
    static final Instant DAY3 = DAY0.plus(Duration.ofDays(3));

    private record Model(String provider, String requested, String served, long inNanosPerToken,
            long outNanosPerToken) {
    }

    // Prices per token in nano-USD as listed by the providers (gpt-4o-mini $0.15/$0.60 per Mtok,
    // gpt-4o $2.50/$10, claude-sonnet-4 $3/$15, gemini-2.0-flash $0.10/$0.40).
    private static final List<Model> MODELS = List.of(
            new Model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 150, 600),
            new Model("openai", "smart", "gpt-4o-2024-08-06", 2_500, 10_000),
            new Model("anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514", 3_000, 15_000),
            new Model("google", "gemini-2.0-flash", "gemini-2.0-flash", 100, 400));
    private static final List<String> KEYS = List.of("vk_live_1", "vk_live_2", "vk_ci");
    private static final List<String> USERS = List.of("alice", "bob", "carol", "");
    private static final List<String> PROJECTS = List.of("search", "support-bot", "");
    private static final List<String> TEAMS = List.of("platform", "growth");
    private static final List<String> TAGS = List.of("prod", "eval", "batch", "chat");
    private static final int[] STATUSES = {200, 200, 200, 200, 200, 200, 200, 429, 499, 500, 502};
    private static final CacheOutcome[] OUTCOMES = CacheOutcome.values();

    private Fixtures() {
    }

    /** {@code n} rows spread over DAY0..DAY3 (exclusive), with ids {@code prefix-0..n-1}. */
    static List<LedgerEntry> traffic(String prefix, int n, long seed) {
        Random r = new Random(seed);
        List<LedgerEntry> out = new ArrayList<>(n);
        long spanNanos = Duration.ofDays(3).toNanos();
        for (int i = 0; i < n; i++) {
            Instant time = DAY0.plusNanos(Math.floorMod(r.nextLong(), spanNanos));
            Model m = MODELS.get(r.nextInt(MODELS.size()));
            LinkedHashSet<String> tags = new LinkedHashSet<>();
            int tagCount = r.nextInt(3);
            for (int t = 0; t < tagCount; t++) {
                tags.add(TAGS.get(r.nextInt(TAGS.size())));
            }
            Attribution a = new Attribution(pick(r, KEYS), pick(r, USERS), pick(r, PROJECTS), pick(r, TEAMS),
                    r.nextInt(4) == 0 ? "" : "sess-" + r.nextInt(6), List.copyOf(tags));
            out.add(entry(prefix + "-" + i, time, a, m, r));
        }
        return out;
    }

    private static LedgerEntry entry(String id, Instant time, Attribution a, Model m, Random r) {
        int status = STATUSES[r.nextInt(STATUSES.length)];
        CacheOutcome cache = OUTCOMES[r.nextInt(OUTCOMES.length)];
        boolean hit = cache == CacheOutcome.HIT || cache == CacheOutcome.SEMANTIC;
        long input = 20 + r.nextInt(8_000);
        long cacheRead = r.nextInt(3) == 0 ? r.nextLong(input / 2 + 1) : 0;
        long write5m = m.provider().equals("anthropic") && r.nextBoolean() ? r.nextLong((input - cacheRead) / 2 + 1) : 0;
        long write1h = m.provider().equals("anthropic") && r.nextInt(4) == 0
                ? r.nextLong((input - cacheRead - write5m) / 2 + 1) : 0;
        long output = status >= 400 && status != 499 ? 0 : r.nextInt(2_000);
        long reasoning = output > 0 && r.nextInt(3) == 0 ? r.nextLong(output + 1) : 0;
        UsageSource outSource = status == 499 ? UsageSource.ESTIMATED : UsageSource.PROVIDER;
        Usage usage = new Usage(input, output, cacheRead, write5m, write1h, reasoning, UsageSource.PROVIDER,
                outSource);
        long upstream = input * m.inNanosPerToken() + output * m.outNanosPerToken();
        long cost = hit ? 0 : upstream;
        long saved = hit ? upstream : 0;
        boolean stream = r.nextBoolean();
        String error = switch (status) {
            case 429 -> "rate_limit_error";
            case 499 -> "client_closed";
            case 500, 502 -> "upstream_error";
            default -> "";
        };
        String route = r.nextInt(5) == 0 ? "fallback:gpt-4o-mini" : "";
        long latency = 80 + r.nextInt(20_000);
        long firstChunk = status >= 400 && status != 499 ? -1 : Math.min(latency, 30 + r.nextInt(900));
        // A hit bills nothing: its usage columns are zero and the saved columns say what it would have billed.
        Usage billed = hit ? Usage.NONE : usage;
        return new LedgerEntry(id, time, a, m.provider(), m.requested(), m.served(), billed, cost, cache, saved, route,
                stream, status, error, latency, firstChunk, hit ? input : 0, hit ? output : 0);
    }

    private static String pick(Random r, List<String> values) {
        return values.get(r.nextInt(values.size()));
    }

    /** A copy of {@code e} with another id and time (for duplicate and retention cases). */
    static LedgerEntry with(LedgerEntry e, String id, Instant time) {
        return new LedgerEntry(id, time, e.attribution(), e.provider(), e.modelRequested(), e.modelServed(),
                e.usage(), e.costNanos(), e.cache(), e.savedCostNanos(), e.route(), e.stream(), e.status(),
                e.errorType(), e.latencyMillis(), e.firstChunkMillis());
    }

    /** A copy of {@code e} with another user (for the invalid-text case). */
    static LedgerEntry withUser(LedgerEntry e, String id, String user) {
        Attribution a = e.attribution();
        return new LedgerEntry(id, e.time(), new Attribution(a.keyId(), user, a.project(), a.team(), a.session(),
                a.tags()), e.provider(), e.modelRequested(), e.modelServed(), e.usage(), e.costNanos(), e.cache(),
                e.savedCostNanos(), e.route(), e.stream(), e.status(), e.errorType(), e.latencyMillis(),
                e.firstChunkMillis());
    }
}
