package dev.tokenrt.keys;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a caller asks for when making a key ({@code POST /admin/v1/keys}, {@code tokenrt keys create}); the
 * id, secret, hint and creation time are chosen by {@link KeyStore#issue}. Same field meanings as
 * {@link VirtualKey}.
 */
public record NewKey(
        String name,
        String user,
        String project,
        String team,
        List<String> models,
        String tier,
        String budgets,
        String rateLimits,
        Optional<Instant> expiresAt) {

    public NewKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(team, "team");
        models = List.copyOf(Objects.requireNonNull(models, "models"));
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(budgets, "budgets");
        Objects.requireNonNull(rateLimits, "rateLimits");
        Objects.requireNonNull(expiresAt, "expiresAt");
        expiresAt.ifPresent(t -> VirtualKey.requireInRange(t, "expiresAt"));
    }

    /** A key for nobody in particular, allowed every model, with no budgets, limits or expiry. */
    public static NewKey named(String name) {
        return new NewKey(name, "", "", "", List.of(), "", "[]", "[]", Optional.empty());
    }

    public NewKey withUser(String v) {
        return new NewKey(name, v, project, team, models, tier, budgets, rateLimits, expiresAt);
    }

    public NewKey withProject(String v) {
        return new NewKey(name, user, v, team, models, tier, budgets, rateLimits, expiresAt);
    }

    public NewKey withTeam(String v) {
        return new NewKey(name, user, project, v, models, tier, budgets, rateLimits, expiresAt);
    }

    public NewKey withModels(List<String> v) {
        return new NewKey(name, user, project, team, v, tier, budgets, rateLimits, expiresAt);
    }

    public NewKey withTier(String v) {
        return new NewKey(name, user, project, team, models, v, budgets, rateLimits, expiresAt);
    }

    public NewKey withBudgets(String v) {
        return new NewKey(name, user, project, team, models, tier, v, rateLimits, expiresAt);
    }

    public NewKey withRateLimits(String v) {
        return new NewKey(name, user, project, team, models, tier, budgets, v, expiresAt);
    }

    public NewKey withExpiresAt(Instant v) {
        return new NewKey(name, user, project, team, models, tier, budgets, rateLimits, Optional.of(v));
    }
}
