package dev.tokenrt.budget;

import dev.tokenrt.chat.ChatRequest;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A named service level assigned to keys ("free", "pro", "internal"): which models its keys may use, how
 * long an answer may be, what a key may spend a day, and its priority in a shared pool. Keeping these on a
 * tier rather than on each key is what lets an operator change a thousand keys with one line.
 *
 * @param name                the tier's name
 * @param allowedModels       the models its keys may ask for; empty means every model
 * @param maxTokensPerRequest the largest {@code max_tokens} a request may have (larger ones are lowered)
 * @param dailyCostCap        what one key of the tier may spend a day, in nano-USD
 * @param priority            its claim on a shared pool ({@link PriorityPool})
 */
public record Tier(String name, Set<String> allowedModels, OptionalInt maxTokensPerRequest, OptionalLong dailyCostCap,
        Priority priority) {

    public Tier {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("tier name is required");
        }
        allowedModels = Set.copyOf(allowedModels);
        Objects.requireNonNull(maxTokensPerRequest, "maxTokensPerRequest");
        Objects.requireNonNull(dailyCostCap, "dailyCostCap");
        Objects.requireNonNull(priority, "priority");
        if (maxTokensPerRequest.isPresent() && maxTokensPerRequest.getAsInt() < 1) {
            throw new IllegalArgumentException("tier " + name + ": maxTokensPerRequest must be positive");
        }
        if (dailyCostCap.isPresent() && dailyCostCap.getAsLong() < 0) {
            throw new IllegalArgumentException("tier " + name + ": dailyCostCap cannot be negative");
        }
    }

    public boolean allows(String model) {
        return allowedModels.isEmpty() || allowedModels.contains(model);
    }

    /** The request with {@code max_tokens} lowered to the tier's cap (set to it when the client gave none). */
    public ChatRequest capped(ChatRequest request) {
        if (maxTokensPerRequest.isEmpty()) {
            return request;
        }
        int cap = maxTokensPerRequest.getAsInt();
        if (request.maxTokens().isPresent() && request.maxTokens().getAsInt() <= cap) {
            return request;
        }
        return request.withMaxTokens(cap);
    }

    /**
     * The tier's daily cap for one key as a budget the budget step enforces (id {@code tier:<name>:<key>},
     * action deny), in the given zone's days; empty when the tier has no cap.
     */
    public Optional<Budget> dailyCapBudget(String keyId) {
        if (dailyCostCap.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Budget.of("tier:" + name + ":" + keyId, Scope.KEY, keyId, Period.DAY, Metric.COST_USD,
                dailyCostCap.getAsLong(), Action.DENY));
    }
}
