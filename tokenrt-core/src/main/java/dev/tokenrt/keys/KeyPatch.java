package dev.tokenrt.keys;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A change to a virtual key's editable fields (what {@code PATCH /admin/v1/keys/{id}} carries): each present
 * field replaces the stored one, absent fields stay. The id, secret, hint, creation time and revocation
 * cannot change; revoking is its own operation because it cannot be undone.
 *
 * @param clearExpiry true to remove the expiry (the key then never expires); excludes {@code expiresAt}
 */
public record KeyPatch(
        Optional<String> name,
        Optional<String> user,
        Optional<String> project,
        Optional<String> team,
        Optional<List<String>> models,
        Optional<String> tier,
        Optional<String> budgets,
        Optional<String> rateLimits,
        Optional<Instant> expiresAt,
        boolean clearExpiry) {

    private static final KeyPatch NONE = new KeyPatch(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
            false);

    public KeyPatch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(team, "team");
        models = Objects.requireNonNull(models, "models").map(List::copyOf);
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(budgets, "budgets");
        Objects.requireNonNull(rateLimits, "rateLimits");
        Objects.requireNonNull(expiresAt, "expiresAt");
        expiresAt.ifPresent(t -> VirtualKey.requireInRange(t, "expiresAt"));
        if (clearExpiry && expiresAt.isPresent()) {
            throw new IllegalArgumentException("a patch either sets or clears the expiry, not both");
        }
        // Validate the values as a key would, before any store writes them.
        if (!isNone(name, user, project, team, models, tier, budgets, rateLimits)) {
            sample(name, user, project, team, models, tier, budgets, rateLimits);
        }
    }

    /** The patch that changes nothing; start here and add fields with the {@code with…} methods. */
    public static KeyPatch none() {
        return NONE;
    }

    public boolean isEmpty() {
        return equals(NONE);
    }

    public KeyPatch withName(String v) {
        return new KeyPatch(Optional.of(v), user, project, team, models, tier, budgets, rateLimits, expiresAt, clearExpiry);
    }

    public KeyPatch withUser(String v) {
        return new KeyPatch(name, Optional.of(v), project, team, models, tier, budgets, rateLimits, expiresAt, clearExpiry);
    }

    public KeyPatch withProject(String v) {
        return new KeyPatch(name, user, Optional.of(v), team, models, tier, budgets, rateLimits, expiresAt, clearExpiry);
    }

    public KeyPatch withTeam(String v) {
        return new KeyPatch(name, user, project, Optional.of(v), models, tier, budgets, rateLimits, expiresAt, clearExpiry);
    }

    public KeyPatch withModels(List<String> v) {
        return new KeyPatch(name, user, project, team, Optional.of(v), tier, budgets, rateLimits, expiresAt, clearExpiry);
    }

    public KeyPatch withTier(String v) {
        return new KeyPatch(name, user, project, team, models, Optional.of(v), budgets, rateLimits, expiresAt, clearExpiry);
    }

    /** @param v the key's budgets as JSON array text */
    public KeyPatch withBudgets(String v) {
        return new KeyPatch(name, user, project, team, models, tier, Optional.of(v), rateLimits, expiresAt, clearExpiry);
    }

    /** @param v the key's rate limits as JSON array text */
    public KeyPatch withRateLimits(String v) {
        return new KeyPatch(name, user, project, team, models, tier, budgets, Optional.of(v), expiresAt, clearExpiry);
    }

    public KeyPatch withExpiresAt(Instant v) {
        return new KeyPatch(name, user, project, team, models, tier, budgets, rateLimits, Optional.of(v), false);
    }

    /** The key will never expire. */
    public KeyPatch withoutExpiry() {
        return new KeyPatch(name, user, project, team, models, tier, budgets, rateLimits, Optional.empty(), true);
    }

    /** The key as this patch leaves it. */
    public VirtualKey applyTo(VirtualKey k) {
        Optional<Instant> expiry = clearExpiry ? Optional.empty() : expiresAt.isPresent() ? expiresAt : k.expiresAt();
        return new VirtualKey(k.id(), name.orElse(k.name()), user.orElse(k.user()), project.orElse(k.project()),
                team.orElse(k.team()), models.orElse(k.models()), tier.orElse(k.tier()), budgets.orElse(k.budgets()),
                rateLimits.orElse(k.rateLimits()), k.hint(), k.createdAt(), expiry, k.revokedAt());
    }

    private static boolean isNone(Optional<?>... fields) {
        for (Optional<?> f : fields) {
            if (f.isPresent()) {
                return false;
            }
        }
        return true;
    }

    private static void sample(Optional<String> name, Optional<String> user, Optional<String> project,
            Optional<String> team, Optional<List<String>> models, Optional<String> tier, Optional<String> budgets,
            Optional<String> rateLimits) {
        new VirtualKey("key_check", name.orElse(""), user.orElse(""), project.orElse(""), team.orElse(""),
                models.orElse(List.of()), tier.orElse(""), budgets.orElse("[]"), rateLimits.orElse("[]"), "",
                Instant.EPOCH, Optional.empty(), Optional.empty());
    }
}
