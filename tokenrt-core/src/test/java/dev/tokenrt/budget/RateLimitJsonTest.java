package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.budget.RateLimit.Per;
import dev.tokenrt.budget.RateLimit.Subject;
import dev.tokenrt.budget.RateLimit.Unit;
import dev.tokenrt.keys.VirtualKey;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rate limits as JSON (configuration and keys), and a key's own limits and tier priority through KeyBudgets. */
class RateLimitJsonTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theConfigurationShapeWithItsDefaults() throws Exception {
        assertThat(RateLimitJson.parse(JSON.readTree("{\"limit\":60}"), "rate_limits[0]", "rl0"))
                .isEqualTo(RateLimit.each("rl0", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE));
        assertThat(RateLimitJson.parse(JSON.readTree("{\"id\":\"m\",\"subject\":\"model\",\"subject_id\":\"gpt-4o\","
                + "\"unit\":\"output_tokens\",\"limit\":\"30000\",\"per\":\"hour\",\"burst\":5000}"), "rate_limits[3]",
                "rl3")).isEqualTo(RateLimit.each("m", Subject.MODEL, Unit.OUTPUT_TOKENS, 30_000, Per.HOUR)
                        .withBurst(5000).forSubject("gpt-4o"));
    }

    @Test
    void aKeysLimitsAreOnTheKeyAloneWithStableUniqueIds() {
        List<RateLimit> l = RateLimitJson.parseKey("key_a", "[{\"limit\":60},{\"id\":\"tpm\",\"unit\":"
                + "\"input_tokens\",\"limit\":100000,\"burst\":20000},{\"unit\":\"output_tokens\",\"limit\":5,"
                + "\"per\":\"hour\"}]");
        assertThat(l).containsExactly(
                RateLimit.each("key:key_a:requests:minute", Subject.KEY, Unit.REQUESTS, 60, Per.MINUTE)
                        .forSubject("key_a"),
                RateLimit.each("key:key_a:tpm", Subject.KEY, Unit.INPUT_TOKENS, 100_000, Per.MINUTE).withBurst(20_000)
                        .forSubject("key_a"),
                RateLimit.each("key:key_a:output_tokens:hour", Subject.KEY, Unit.OUTPUT_TOKENS, 5, Per.HOUR)
                        .forSubject("key_a"));
        assertThat(RateLimitJson.parseKey("key_a", "[]")).isEmpty();
    }

    @Test
    void mistakesNameTheEntryAndField() {
        expect("[{\"limit\":60},{\"rpm\":60}]", "rate_limits[1].rpm", BudgetJsonException.UNKNOWN_PARAMETER);
        expect("[{\"limit\":-1}]", "rate_limits[0].limit", BudgetJsonException.INVALID_VALUE);
        expect("[{\"limit\":1.5}]", "rate_limits[0].limit", BudgetJsonException.INVALID_VALUE);
        expect("[{}]", "rate_limits[0].limit", BudgetJsonException.INVALID_VALUE);
        expect("[{\"limit\":1,\"per\":\"day\"}]", "rate_limits[0].per", BudgetJsonException.INVALID_VALUE);
        expect("[{\"limit\":1,\"subject\":\"user\"}]", "rate_limits[0].subject", BudgetJsonException.INVALID_VALUE);
        expect("[{\"limit\":1,\"subject_id\":\"key_b\"}]", "rate_limits[0].subject_id",
                BudgetJsonException.INVALID_VALUE);
        expect("[{\"limit\":1,\"id\":\"a:b\"}]", "rate_limits[0].id", BudgetJsonException.INVALID_VALUE);
        expect("[{\"limit\":1},{\"limit\":2}]", "rate_limits[1].id", BudgetJsonException.INVALID_VALUE);
        expect("{\"limit\":1}", "rate_limits", BudgetJsonException.INVALID_VALUE);
    }

    static void expect(String json, String param, String code) {
        assertThatThrownBy(() -> RateLimitJson.validateKey(json)).as(json).isInstanceOfSatisfying(
                BudgetJsonException.class, e -> {
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(param);
                });
    }

    @Test
    void keyBudgetsServesAKeysRateLimitsAndItsTiersPriorityFromOneLookup() {
        VirtualKey k = new VirtualKey("key_a", "", "alice", "", "", List.of(), "gold", "[]",
                "[{\"limit\":2},{\"limit\":\"x\"}]", "sk-tr-AbC1…", Instant.EPOCH, Optional.empty(), Optional.empty());
        VirtualKey good = new VirtualKey("key_b", "", "bob", "", "", List.of(), "", "[]", "[{\"limit\":2}]",
                "sk-tr-DeF2…", Instant.EPOCH, Optional.empty(), Optional.empty());
        Tier gold = new Tier("gold", Set.of(), OptionalInt.empty(), OptionalLong.empty(), Priority.CRITICAL);
        KeyBudgets kb = KeyBudgets.builder().keys(id -> Optional.ofNullable(Map.of("key_a", k, "key_b", good).get(id)))
                .tiers(Map.of("gold", gold)).executor(Runnable::run).build();
        // A key whose stored limits cannot be read (a row written by hand) is not limited by them.
        assertThat(kb.rateLimits(new Attribution("key_a", "", "", "", "", List.of()))).isEmpty();
        assertThat(kb.rateLimits(new Attribution("key_b", "", "", "", "", List.of()))).containsExactly(
                RateLimit.each("key:key_b:requests:minute", Subject.KEY, Unit.REQUESTS, 2, Per.MINUTE)
                        .forSubject("key_b"));
        assertThat(kb.rateLimits(Attribution.NONE)).isEmpty();
        assertThat(kb.priority("key_a")).contains(Priority.CRITICAL);
        assertThat(kb.priority("key_b")).isEmpty();
        assertThat(kb.priority("key_missing")).isEmpty();
    }
}
