package dev.tokenrt.keys;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A virtual key as stored and shown by the admin API: everything about the key except its secret, which is
 * never kept (the store holds a hash of it beside this record). It exists so that every request can be
 * attributed to a user, project and team, limited to some models, and held to the key's own budgets.
 *
 * @param id         the public id ({@code key_} and 16 random base32 characters); safe to log and show
 * @param name       a label for people; may be empty
 * @param user       the user the key's requests are attributed to; may be empty
 * @param project    the project; may be empty
 * @param team       the team; may be empty
 * @param models     the models or aliases the key may call; empty means every model
 * @param tier       the budget tier the key belongs to; empty for none
 * @param budgets    the key's own budgets, as the JSON array text the admin API was given ({@code []} for
 *                   none); opaque here, interpreted by the budget engine
 * @param rateLimits the key's rate limits, as JSON array text ({@code []} for none); opaque here too
 * @param hint       a short, non-secret reminder of the secret ({@code sk-tr-AbC1…}) for people to tell keys apart
 * @param createdAt  when the key was made
 * @param expiresAt  when the key stops working, if ever
 * @param revokedAt  when the key was revoked, if it was
 */
public record VirtualKey(
        String id,
        String name,
        String user,
        String project,
        String team,
        List<String> models,
        String tier,
        String budgets,
        String rateLimits,
        String hint,
        Instant createdAt,
        Optional<Instant> expiresAt,
        Optional<Instant> revokedAt) {

    /**
     * The latest time a key can carry (2262-04-11T23:47:16.854775807Z): stores keep times as epoch nanoseconds
     * in a 64-bit integer, as the ledger does, and every store must accept the same keys.
     */
    public static final Instant MAX_TIME = Instant.ofEpochSecond(0, Long.MAX_VALUE);
    /** The earliest time a key can carry (1677-09-21), for the same reason. */
    public static final Instant MIN_TIME = Instant.ofEpochSecond(0, Long.MIN_VALUE);

    public VirtualKey {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(team, "team");
        models = List.copyOf(Objects.requireNonNull(models, "models"));
        Objects.requireNonNull(tier, "tier");
        requireJsonArray(budgets, "budgets");
        requireJsonArray(rateLimits, "rateLimits");
        Objects.requireNonNull(hint, "hint");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(revokedAt, "revokedAt");
        requireInRange(createdAt, "createdAt");
        expiresAt.ifPresent(t -> requireInRange(t, "expiresAt"));
        revokedAt.ifPresent(t -> requireInRange(t, "revokedAt"));
        if (id.isBlank()) {
            throw new IllegalArgumentException("a virtual key needs an id");
        }
        for (String m : models) {
            if (m.isBlank()) {
                throw new IllegalArgumentException("a model name cannot be blank");
            }
        }
    }

    /** What a key is at a given moment; revocation wins over expiry. */
    public enum Status {
        ACTIVE, EXPIRED, REVOKED;

        /** The lower-case name the admin API shows. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Whether a request arriving at {@code now} may use this key: not revoked by then and not yet expired. */
    public boolean usableAt(Instant now) {
        return status(now) == Status.ACTIVE;
    }

    /**
     * The key's status at {@code now}. A key revoked at {@code t} is refused from {@code t} on; a key that
     * expires at {@code t} is refused from {@code t} on (the expiry instant itself is already too late).
     */
    public Status status(Instant now) {
        Objects.requireNonNull(now, "now");
        if (revokedAt.isPresent() && !now.isBefore(revokedAt.get())) {
            return Status.REVOKED;
        }
        if (expiresAt.isPresent() && !now.isBefore(expiresAt.get())) {
            return Status.EXPIRED;
        }
        return Status.ACTIVE;
    }

    /**
     * Whether the key may call {@code model} as the caller named it (an alias or a model id; the gateway
     * checks the name the caller sent, before resolving aliases). An empty list allows every model.
     */
    public boolean allowsModel(String model) {
        return models.isEmpty() || models.contains(model);
    }

    /** This key with the revocation time set (kept if it was already revoked: the first revocation stands). */
    public VirtualKey revokedAt(Instant at) {
        Objects.requireNonNull(at, "at");
        return revokedAt.isPresent() ? this : new VirtualKey(id, name, user, project, team, models, tier, budgets,
                rateLimits, hint, createdAt, expiresAt, Optional.of(at));
    }

    /** @throws IllegalArgumentException if {@code t} is outside {@link #MIN_TIME} to {@link #MAX_TIME} */
    public static void requireInRange(Instant t, String field) {
        if (t.isBefore(MIN_TIME) || t.isAfter(MAX_TIME)) {
            throw new IllegalArgumentException(field + " must be between " + MIN_TIME + " and " + MAX_TIME + ", got " + t);
        }
    }

    private static void requireJsonArray(String json, String field) {
        Objects.requireNonNull(json, field);
        String t = json.strip();
        // A cheap shape check, not a parse: the admin API has parsed and re-written the text already.
        if (!t.startsWith("[") || !t.endsWith("]")) {
            throw new IllegalArgumentException(field + " must be JSON array text, e.g. []");
        }
    }
}
