package dev.tokenrt.store.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.cache.Invalidation;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.store.budget.MutableClock;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.usage.Usage;
import dev.tokenrt.usage.UsageSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every layer of the response cache promises, run against each real engine: memory (Caffeine), Redis,
 * SQLite and PostgreSQL. Time is a clock the test moves ({@link MutableClock}); Redis's own PX expiry is set from
 * the same clock, far enough ahead that it never fires during a test.
 */
abstract class ResponseCacheContract {

    static final Instant T0 = Instant.parse("2026-06-01T10:00:00Z");

    final MutableClock clock = new MutableClock(T0);
    ResponseCache cache;

    abstract ResponseCache open(Clock clock) throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        cache = open(clock);
    }

    @AfterEach
    void tearDown() {
        cache.close();
    }

    static ChatResponse answer(String text) {
        return new ChatResponse("chatcmpl-1", "gpt-4o-mini-2024-07-18", List.of(
                new Part.Thinking("let me think", "sig=="),
                new Part.Text(text),
                new Part.ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}")),
                StopReason.TOOL_CALLS, new Usage(1_200, 80, 1_000, 0, 0, 20, UsageSource.PROVIDER, UsageSource.ESTIMATED),
                1_700_000_000L);
    }

    CachedResponse entry(String text, String model, Duration ttl, String... tags) {
        Instant now = clock.instant();
        return new CachedResponse(answer(text), "openai", model, now, now.plus(ttl), List.of(tags));
    }

    static CacheKey key(String ns, String hash) {
        return new CacheKey(ns, hash);
    }

    @Test
    void whatIsStoredComesBackWholeUntilItExpires() {
        CachedResponse e = entry("Sunny, 21 °C — ünïcode ✓", "gpt-4o-mini", Duration.ofMinutes(10), "prod", "chat");
        cache.put(key("project:a", "h1"), e);
        assertThat(cache.get(key("project:a", "h1"), clock.instant())).contains(e);
        clock.advance(Duration.ofMinutes(9));
        assertThat(cache.get(key("project:a", "h1"), clock.instant())).contains(e);
        clock.advance(Duration.ofMinutes(1));
        assertThat(cache.get(key("project:a", "h1"), clock.instant())).isEmpty();
    }

    @Test
    void aKeyInAnotherNamespaceIsAnotherEntry() {
        cache.put(key("project:a", "same"), entry("for a", "m", Duration.ofHours(1)));
        assertThat(cache.get(key("project:b", "same"), clock.instant())).isEmpty();
        cache.put(key("project:b", "same"), entry("for b", "m", Duration.ofHours(1)));
        assertThat(cache.get(key("project:a", "same"), clock.instant()).map(v -> v.response().text())).contains("for a");
        assertThat(cache.get(key("project:b", "same"), clock.instant()).map(v -> v.response().text())).contains("for b");
    }

    @Test
    void aPutReplacesTheEntryAndItsTags() {
        cache.put(key("project:a", "h"), entry("old", "m", Duration.ofHours(1), "x"));
        cache.put(key("project:a", "h"), entry("new", "m", Duration.ofHours(1), "y"));
        assertThat(cache.get(key("project:a", "h"), clock.instant()).map(v -> v.response().text())).contains("new");
        assertThat(cache.invalidate(Invalidation.ALL.withTag("x"))).isZero();
        assertThat(cache.get(key("project:a", "h"), clock.instant())).isPresent();
        assertThat(cache.invalidate(Invalidation.ALL.withTag("y"))).isEqualTo(1);
        assertThat(cache.get(key("project:a", "h"), clock.instant())).isEmpty();
    }

    @Test
    void anAlreadyExpiredEntryIsNotStored() {
        CachedResponse e = new CachedResponse(answer("late"), "openai", "m", T0.minusSeconds(20), T0.minusSeconds(10),
                List.of());
        cache.put(key("project:a", "late"), e);
        assertThat(cache.get(key("project:a", "late"), clock.instant())).isEmpty();
    }

    void fill() {
        cache.put(key("project:a", "1"), entry("a1", "gpt-4o", Duration.ofHours(1), "prod"));
        cache.put(key("project:a", "2"), entry("a2", "gpt-4o-mini", Duration.ofHours(1), "dev"));
        clock.advance(Duration.ofMinutes(30));
        cache.put(key("project:a", "3"), entry("a3", "gpt-4o", Duration.ofHours(1), "prod", "dev"));
        cache.put(key("project:b", "1"), entry("b1", "gpt-4o", Duration.ofHours(1), "prod"));
    }

    List<String> left() {
        return List.of(key("project:a", "1"), key("project:a", "2"), key("project:a", "3"), key("project:b", "1"))
                .stream().filter(k -> cache.get(k, clock.instant()).isPresent()).map(CacheKey::toString).toList();
    }

    @Test
    void invalidationByNamespace() {
        fill();
        assertThat(cache.invalidate(Invalidation.namespace("project:a"))).isEqualTo(3);
        assertThat(left()).containsExactly("project:b/1");
    }

    @Test
    void invalidationByModel() {
        fill();
        assertThat(cache.invalidate(Invalidation.ALL.withModel("gpt-4o"))).isEqualTo(3);
        assertThat(left()).containsExactly("project:a/2");
    }

    @Test
    void invalidationByTagWithinANamespace() {
        fill();
        assertThat(cache.invalidate(Invalidation.namespace("project:a").withTag("prod"))).isEqualTo(2);
        assertThat(left()).containsExactly("project:a/2", "project:b/1");
    }

    @Test
    void invalidationByAge() {
        fill();
        assertThat(cache.invalidate(Invalidation.ALL.withStoredBefore(clock.instant().minus(Duration.ofMinutes(10)))))
                .isEqualTo(2);
        assertThat(left()).containsExactly("project:a/3", "project:b/1");
    }

    @Test
    void invalidationOfEverything() {
        fill();
        assertThat(cache.invalidate(Invalidation.ALL)).isEqualTo(4);
        assertThat(left()).isEmpty();
    }

    @Test
    void conditionsAreAllRequired() {
        fill();
        assertThat(cache.invalidate(Invalidation.namespace("project:b").withModel("gpt-4o-mini"))).isZero();
        assertThat(cache.invalidate(Invalidation.namespace("project:a").withModel("gpt-4o").withTag("dev"))).isEqualTo(1);
        assertThat(left()).containsExactly("project:a/1", "project:a/2", "project:b/1");
    }

    @Test
    void anOptionalMissIsEmptyNotAnError() {
        assertThat(cache.get(key("project:none", "nothing"), clock.instant())).isEqualTo(Optional.empty());
    }
}
