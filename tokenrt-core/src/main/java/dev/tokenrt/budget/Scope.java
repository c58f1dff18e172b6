package dev.tokenrt.budget;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.util.Locale;
import java.util.Optional;

/**
 * Who a budget belongs to. A request belongs to the global scope and to each scope its attribution names
 * (its team, project, user, key and session), and must pass every budget on every one of them.
 */
public enum Scope {
    GLOBAL, TEAM, PROJECT, USER, KEY, SESSION;

    /** The id a request has in this scope: {@code ""} for GLOBAL, empty when the attribution does not say. */
    public Optional<String> idIn(Attribution a) {
        String id = switch (this) {
            case GLOBAL -> "";
            case TEAM -> a.team();
            case PROJECT -> a.project();
            case USER -> a.user();
            case KEY -> a.keyId();
            case SESSION -> a.session();
        };
        if (this == GLOBAL) {
            return Optional.of("");
        }
        return id.isBlank() ? Optional.empty() : Optional.of(id);
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
