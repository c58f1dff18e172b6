package dev.tokenrt.provider;

import java.util.Locale;
import java.util.Optional;

/** Images as the neutral model keeps them (a URL, with {@code data:} URLs for inline bytes) and as providers send them. */
final class Media {

    /** An inline image: its media type and base64 data. */
    record Inline(String mediaType, String base64) {
    }

    private Media() {
    }

    static String dataUrl(String mediaType, String base64) {
        return "data:" + mediaType + ";base64," + base64;
    }

    /** Splits a base64 {@code data:} URL; empty for any other URL. */
    static Optional<Inline> inline(String url) {
        if (!url.startsWith("data:")) {
            return Optional.empty();
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            return Optional.empty();
        }
        String meta = url.substring(5, comma);
        if (!meta.endsWith(";base64")) {
            return Optional.empty();
        }
        String mediaType = meta.substring(0, meta.length() - ";base64".length());
        return Optional.of(new Inline(mediaType.isEmpty() ? "application/octet-stream" : mediaType,
                url.substring(comma + 1)));
    }

    /** A media type guessed from a URL's extension, for formats that require one next to a URL. */
    static String guessMediaType(String url) {
        String path = url.toLowerCase(Locale.ROOT);
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (path.endsWith(".png")) {
            return "image/png";
        }
        if (path.endsWith(".gif")) {
            return "image/gif";
        }
        if (path.endsWith(".webp")) {
            return "image/webp";
        }
        if (path.endsWith(".pdf")) {
            return "application/pdf";
        }
        return "image/jpeg";
    }
}
