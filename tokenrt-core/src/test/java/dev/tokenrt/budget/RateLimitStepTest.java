package dev.tokenrt.budget;

import static dev.tokenrt.budget.BudgetFixtures.CHARS;
import static dev.tokenrt.budget.BudgetFixtures.exchange;
import static dev.tokenrt.budget.BudgetFixtures.response;
import static dev.tokenrt.budget.BudgetFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.budget.BudgetFixtures.ScriptedStream;
import dev.tokenrt.budget.RateLimit.Per;
import dev.tokenrt.budget.RateLimit.Subject;
import dev.tokenrt.budget.RateLimit.Unit;
import dev.tokenrt.ledger.LedgerEntry.Attribution;
import dev.tokenrt.pipeline.EventStream;
import dev.tokenrt.pipeline.Exchange;
import dev.tokenrt.pipeline.GatewayError;
import dev.tokenrt.pipeline.Outcome;
import dev.tokenrt.pipeline.Pipeline;
import dev.tokenrt.usage.Usage;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RateLimitStepTest {

    static final Attribution WHO = new Attribution("key-1", "alice", "", "acme", "", List.of());
    TestClock clock = TestClock.at("2026-05-14T10:00:00Z");
    RateLimit otpm = RateLimit.each("otpm", Subject.KEY, Unit.OUTPUT_TOKENS, 1000, Per.MINUTE);
    RateLimit itpm = RateLimit.each("itpm", Subject.KEY, Unit.INPUT_TOKENS, 1000, Per.MINUTE);
    GcraRateLimiter limiter = new GcraRateLimiter(clock, List.of(otpm, itpm));

    Outcome run(Exchange ex, Function<Exchange, Outcome> answer) {
        return Pipeline.builder().add(new RateLimitStep(limiter, CHARS, 256)).add(c -> answer.apply(c.exchange()))
                .build().execute(ex);
    }

    @Test
    void aCompleteResponseCorrectsTheReservationToItsUsage() {
        run(exchange("big", OptionalInt.of(600), WHO, false), e -> new Outcome.Complete(response("x", Usage.of(11, 40)),
                e, true));
        assertThat(limiter.available(otpm, "key-1")).isEqualTo(960);
        assertThat(limiter.available(itpm, "key-1")).isEqualTo(989);
    }

    @Test
    void withoutMaxTokensTheConfiguredReserveIsHeld() {
        Outcome o = run(exchange("big", OptionalInt.empty(), WHO, true), e -> {
            assertThat(limiter.available(otpm, "key-1")).isEqualTo(1000 - 256);
            return new Outcome.Streamed(new ScriptedStream(List.of(text("abcd")), -1), e);
        });
        EventStream s = ((Outcome.Streamed) o).events();
        while (s.next().isPresent()) {
            // drain
        }
        assertThat(limiter.available(otpm, "key-1")).isEqualTo(996);
    }

    @Test
    void aRequestOverTheLimitIsAnswered429WithRetryAfter() {
        run(exchange("big", OptionalInt.of(900), WHO, false), e -> new Outcome.Complete(response("x", Usage.of(11, 900)),
                e, true));
        Outcome o = run(exchange("big", OptionalInt.of(500), WHO, false), e -> {
            throw new AssertionError("must not be called");
        });
        GatewayError e = ((Outcome.Failed) o).error();
        assertThat(e.kind()).isEqualTo(GatewayError.Kind.RATE_LIMITED);
        assertThat(e.code()).isEqualTo("rate_limit_exceeded");
        assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(24)); // 400 more tokens at 60 ms each
        assertThat(e.message()).contains("'otpm'", "key 'key-1'");
    }

    @Test
    void aFailureRefundsTheTokens() {
        run(exchange("big", OptionalInt.of(900), WHO, false),
                e -> new Outcome.Failed(GatewayError.of(GatewayError.Kind.UPSTREAM, "x"), e));
        assertThat(limiter.available(otpm, "key-1")).isEqualTo(1000);
        assertThat(limiter.available(itpm, "key-1")).isEqualTo(1000);
    }

    @Test
    void thePromptIsCountedOnlyForALimitOnInputTokensAndHandedOn() {
        BudgetStepTest.CountingSpy counting = new BudgetStepTest.CountingSpy();
        List<Exchange> seen = new java.util.ArrayList<>();
        Function<Exchange, Outcome> answer = e -> {
            seen.add(e);
            return new Outcome.Complete(response("x", Usage.of(11, 4)), e, true);
        };
        Exchange ex = BudgetFixtures.uncounted(exchange("big", OptionalInt.of(10), WHO, false));

        GcraRateLimiter outputOnly = new GcraRateLimiter(clock, List.of(otpm));
        Pipeline.builder().add(new RateLimitStep(outputOnly, counting, 256)).add(c -> answer.apply(c.exchange()))
                .build().execute(ex);
        assertThat(counting.prompts).as("no input-token limit: nothing to count").hasValue(0);
        assertThat(seen.getLast().inputCount()).isEmpty();

        Pipeline.builder().add(new RateLimitStep(limiter, counting, 256)).add(c -> answer.apply(c.exchange()))
                .build().execute(ex);
        assertThat(counting.prompts).hasValue(1);
        assertThat(seen.getLast().inputCount()).contains(dev.tokenrt.tokens.TokenCount.exact(11));
        assertThat(limiter.available(itpm, "key-1")).isEqualTo(989);
    }
}
