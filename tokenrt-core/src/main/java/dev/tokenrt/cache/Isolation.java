package dev.tokenrt.cache;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.util.Locale;

/**
 * The boundary cached answers never cross. A request's namespace is its project, team or key; a request that
 * has none of the configured kind falls back to its key, and one without even a key (the master key, or
 * {@code --insecure-dev}) to the operator's own namespace {@code operator}. So an answer given to one tenant is
 * never served to another, whatever the headers say: a virtual key's project comes from the key, not the client.
 */
public enum Isolation {
    KEY, PROJECT, TEAM;

    public String namespace(Attribution a) {
        String id = switch (this) {
            case KEY -> "";
            case PROJECT -> a.project();
            case TEAM -> a.team();
        };
        if (!id.isEmpty()) {
            return wireName() + ":" + id;
        }
        if (!a.keyId().isEmpty()) {
            return "key:" + a.keyId();
        }
        return "operator";
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Isolation parse(String s) {
        for (Isolation i : values()) {
            if (i.wireName().equals(s)) {
                return i;
            }
        }
        throw new IllegalArgumentException("isolation must be key, project or team, got '" + s + "'");
    }
}
