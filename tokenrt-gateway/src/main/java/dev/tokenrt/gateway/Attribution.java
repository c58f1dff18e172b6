package dev.tokenrt.gateway;

import dev.tokenrt.ledger.LedgerEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.tokenrt.keys.VirtualKey;

/**
 * Who a request belongs to, from the {@code x-tokenrt-*} headers and the request's own {@code user} field.
 * The virtual key's user, project and team (when keys arrive) take precedence over headers, so a caller
 * cannot bill someone else by setting a header.
 */
final class Attribution {
    static final int MAX_LEN = 200;
    static final int MAX_TAGS = 20;

    private Attribution() {
    }

    static LedgerEntry.Attribution from(Map<String, String> headers, Optional<VirtualKey> key, String requestUser) {
        String user = key.map(VirtualKey::user).filter(u -> !u.isEmpty())
                .orElse(clean(headers.getOrDefault("x-tokenrt-user", "")));
        if (user.isEmpty()) {
            user = clean(requestUser);
        }
        String keyId = key.map(VirtualKey::id).orElse("");
        String project = key.map(VirtualKey::project).filter(p -> !p.isEmpty())
                .orElse(clean(headers.getOrDefault("x-tokenrt-project", "")));
        String team = key.map(VirtualKey::team).filter(t -> !t.isEmpty())
                .orElse(clean(headers.getOrDefault("x-tokenrt-team", "")));
        List<String> tags = new ArrayList<>();
        for (String t : headers.getOrDefault("x-tokenrt-tags", "").split(",")) {
            String c = clean(t);
            if (!c.isEmpty() && !tags.contains(c) && tags.size() < MAX_TAGS) {
                tags.add(c);
            }
        }
        return new LedgerEntry.Attribution(keyId, user, project, team,
                clean(headers.getOrDefault("x-tokenrt-session", "")), tags);
    }

    private static String clean(String s) {
        String t = s == null ? "" : s.strip();
        return t.length() > MAX_LEN ? t.substring(0, MAX_LEN) : t;
    }
}
