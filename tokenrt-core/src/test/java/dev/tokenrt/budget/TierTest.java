package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
import dev.tokenrt.pricing.Money;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TierTest {

    Tier free = new Tier("free", Set.of("gpt-4o-mini"), OptionalInt.of(512), OptionalLong.of(Money.parseUsd("0.50")),
            Priority.LOW);
    Tier internal = new Tier("internal", Set.of(), OptionalInt.empty(), OptionalLong.empty(), Priority.CRITICAL);

    ChatRequest request = ChatRequest.of("gpt-4o-mini", List.of(Message.text(Role.USER, "hi")));

    @Test
    void allowedModelsAreAnAllowListAndEmptyAllowsAll() {
        assertThat(free.allows("gpt-4o-mini")).isTrue();
        assertThat(free.allows("gpt-4o")).isFalse();
        assertThat(internal.allows("anything")).isTrue();
    }

    @Test
    void maxTokensIsCappedNeverRaised() {
        assertThat(free.capped(request).maxTokens()).hasValue(512);
        assertThat(free.capped(request.withMaxTokens(2000)).maxTokens()).hasValue(512);
        assertThat(free.capped(request.withMaxTokens(100)).maxTokens()).hasValue(100);
        assertThat(internal.capped(request)).isSameAs(request);
    }

    @Test
    void theDailyCapIsAPerKeyBudget() {
        Budget b = free.dailyCapBudget("key-9").orElseThrow();
        assertThat(b).isEqualTo(Budget.of("tier:free:key-9", Scope.KEY, "key-9", Period.DAY, Metric.COST_USD,
                500_000_000L, Action.DENY));
        assertThat(internal.dailyCapBudget("key-9")).isEmpty();
    }

    @Test
    void invalidTiersAreRejected() {
        assertThatThrownBy(() -> new Tier(" ", Set.of(), OptionalInt.empty(), OptionalLong.empty(), Priority.LOW))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Tier("t", Set.of(), OptionalInt.of(0), OptionalLong.empty(), Priority.LOW))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
