package dev.tokenrt.cache;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * What a request's {@code Cache-Control} header asks of the cache, in HTTP's own terms:
 * <ul>
 *   <li>{@code no-cache}: do not answer from the cache (go upstream), but store the fresh answer;</li>
 *   <li>{@code no-store}: do not store this answer (a cached one may still be served);</li>
 *   <li>{@code max-age=N}: accept only an entry at most N seconds old, and keep the fresh answer N seconds
 *       (at most the namespace's TTL); {@code max-age=0} is the same as {@code no-cache}.</li>
 * </ul>
 * Unknown directives are ignored, as HTTP requires.
 */
public record CacheControl(boolean noCache, boolean noStore, Optional<Duration> maxAge) {

    public static final CacheControl DEFAULT = new CacheControl(false, false, Optional.empty());

    public static CacheControl parse(Optional<String> header) {
        if (header.isEmpty() || header.get().isBlank()) {
            return DEFAULT;
        }
        boolean noCache = false;
        boolean noStore = false;
        Optional<Duration> maxAge = Optional.empty();
        for (String raw : header.get().split(",")) {
            String d = raw.trim().toLowerCase(Locale.ROOT);
            if (d.equals("no-cache")) {
                noCache = true;
            } else if (d.equals("no-store")) {
                noStore = true;
            } else if (d.startsWith("max-age=")) {
                String v = d.substring("max-age=".length()).replace("\"", "").trim();
                try {
                    long s = Long.parseLong(v);
                    if (s >= 0) {
                        maxAge = Optional.of(Duration.ofSeconds(s));
                    }
                } catch (NumberFormatException e) {
                    // an invalid max-age is ignored, like any directive we cannot read
                }
            }
        }
        if (maxAge.isPresent() && maxAge.get().isZero()) {
            noCache = true;
        }
        return new CacheControl(noCache, noStore, maxAge);
    }

    public boolean lookupAllowed() {
        return !noCache;
    }

    public boolean storeAllowed() {
        return !noStore && !(maxAge.isPresent() && maxAge.get().isZero());
    }
}
