package dev.tokenrt.tokens;

import dev.tokenrt.tokens.ModelData.ImageRule;
import dev.tokenrt.tokens.ModelData.PatchRule;
import dev.tokenrt.tokens.ModelData.TileRule;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Base64;
import java.util.Optional;

/**
 * What an image in a chat request costs, by OpenAI's documented rule ("Images and vision", "Calculating costs").
 * The image size is read from the first bytes of a {@code data:} URL; no image library is needed for that (each format
 * keeps its size in a fixed header, or in JPEG's first SOF segment), so it is written here by hand. A remote URL's size
 * is unknown without fetching it: it is counted at the worst case for its detail and marked not exact.
 */
final class ImageTokens {

    /** Tile rule: the image is first scaled to fit this square... */
    static final int FIT_SIDE = 2048;
    /** ...then its shortest side is scaled down to this... */
    static final int SHORT_SIDE = 768;
    /** ...and it is cut into tiles of this size. */
    static final int TILE = 512;
    /** Patch rule: 32px patches, at most 1536 of them. */
    static final int PATCH = 32;
    static final int MAX_PATCHES = 1536;
    /** The most tiles the tile rule can produce: a 768 x 2048 image is 2 x 4 tiles. */
    static final int MAX_TILES = 8;

    private ImageTokens() {
    }

    /** Width and height in pixels. */
    record Dimensions(int width, int height) {
        Dimensions {
            if (width <= 0 || height <= 0) {
                throw new IllegalArgumentException("image dimensions must be positive: " + width + "x" + height);
            }
        }
    }

    /** The detail level a request asks for; {@code auto} is billed as {@code high}. */
    enum Detail {
        LOW, HIGH, AUTO;

        static Detail parse(String s) {
            return switch (s) {
                case "low" -> LOW;
                case "high" -> HIGH;
                case "auto" -> AUTO;
                default -> throw new IllegalArgumentException(
                        "image_url.detail must be 'low', 'high' or 'auto', not '" + s + "'");
            };
        }
    }

    /** Tokens for one image of known or unknown size. */
    static TokenCount tokens(ImageRule rule, Detail detail, Optional<Dimensions> size) {
        return switch (rule) {
            case TileRule tile -> {
                if (detail == Detail.LOW) {
                    yield TokenCount.exact(tile.baseTokens());
                }
                yield size.map(d -> TokenCount.exact(tileTokens(tile, d)))
                        .orElseGet(() -> TokenCount.estimated(tile.baseTokens() + (long) MAX_TILES * tile.tileTokens()));
            }
            // The multiplier's rounding is not documented, so patch counts are never claimed exact.
            case PatchRule patch -> TokenCount.estimated(
                    times(size.map(ImageTokens::patches).orElse((long) MAX_PATCHES), patch.multiplier()));
        };
    }

    static long tileTokens(TileRule rule, Dimensions d) {
        long w = d.width();
        long h = d.height();
        long longest = Math.max(w, h);
        if (longest > FIT_SIDE) {
            w = scaleRounded(w, FIT_SIDE, longest);
            h = scaleRounded(h, FIT_SIDE, longest);
        }
        long shortest = Math.min(w, h);
        if (shortest > SHORT_SIDE) {
            w = scaleRounded(w, SHORT_SIDE, shortest);
            h = scaleRounded(h, SHORT_SIDE, shortest);
        }
        long tiles = ceilDiv(w, TILE) * ceilDiv(h, TILE);
        return rule.baseTokens() + tiles * rule.tileTokens();
    }

    /**
     * The documented patch count: 32px patches; above 1536, shrink the image so that it fits 1536 patches and its
     * width or height falls on a whole patch, then count again (and cap).
     */
    static long patches(Dimensions d) {
        double w = d.width();
        double h = d.height();
        long patches = ceilDiv(d.width(), PATCH) * ceilDiv(d.height(), PATCH);
        if (patches <= MAX_PATCHES) {
            return patches;
        }
        double shrink = Math.sqrt((double) PATCH * PATCH * MAX_PATCHES / (w * h));
        double wp = w * shrink / PATCH;
        double hp = h * shrink / PATCH;
        double adjusted = shrink * Math.min(Math.floor(wp) / wp, Math.floor(hp) / hp);
        long rw = (long) (w * adjusted);
        long rh = (long) (h * adjusted);
        return Math.min(MAX_PATCHES, ceilDiv(Math.max(rw, 1), PATCH) * ceilDiv(Math.max(rh, 1), PATCH));
    }

    private static long times(long patches, BigDecimal multiplier) {
        return BigDecimal.valueOf(patches).multiply(multiplier).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** {@code value * target / of}, rounded half up, in integers so no platform rounding creeps in. */
    private static long scaleRounded(long value, long target, long of) {
        return Math.max(1, (2 * value * target + of) / (2 * of));
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /**
     * The size of a base64 {@code data:} URL's image (PNG, JPEG, GIF, WebP), decoding only as many bytes as the
     * header needs; empty for a remote URL, another format, or a header that cannot be read.
     */
    static Optional<Dimensions> dimensionsOf(String url) {
        if (!url.regionMatches(true, 0, "data:", 0, 5)) {
            return Optional.empty();
        }
        int comma = url.indexOf(',');
        if (comma < 0 || !url.substring(0, comma).toLowerCase(java.util.Locale.ROOT).endsWith(";base64")) {
            return Optional.empty();
        }
        try (InputStream in = Base64.getDecoder().wrap(new AsciiStream(url, comma + 1))) {
            return readDimensions(in);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Reads the image header from {@code in}; empty when the bytes are no PNG, JPEG, GIF or WebP. */
    static Optional<Dimensions> readDimensions(InputStream in) throws IOException {
        byte[] head = in.readNBytes(30);
        if (head.length >= 24 && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G'
                && head[12] == 'I' && head[13] == 'H' && head[14] == 'D' && head[15] == 'R') {
            return dims(be32(head, 16), be32(head, 20));
        }
        if (head.length >= 10 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F' && head[3] == '8') {
            return dims(le16(head, 6), le16(head, 8));
        }
        if (head.length >= 30 && head[0] == 'R' && head[1] == 'I' && head[2] == 'F' && head[3] == 'F'
                && head[8] == 'W' && head[9] == 'E' && head[10] == 'B' && head[11] == 'P') {
            return webp(head);
        }
        if (head.length >= 4 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8) {
            return jpeg(head, in);
        }
        return Optional.empty();
    }

    private static Optional<Dimensions> webp(byte[] h) {
        String chunk = new String(h, 12, 4, java.nio.charset.StandardCharsets.US_ASCII);
        return switch (chunk) {
            // Lossy: a key frame's start code 9d 01 2a, then 14-bit width and height.
            case "VP8 " -> (h[23] & 0xFF) == 0x9D && (h[24] & 0xFF) == 0x01 && (h[25] & 0xFF) == 0x2A
                    ? dims(le16(h, 26) & 0x3FFF, le16(h, 28) & 0x3FFF) : Optional.empty();
            // Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each.
            case "VP8L" -> {
                if ((h[20] & 0xFF) != 0x2F) {
                    yield Optional.empty();
                }
                long bits = le32(h, 21);
                yield dims((int) (bits & 0x3FFF) + 1, (int) ((bits >>> 14) & 0x3FFF) + 1);
            }
            // Extended: canvas width-1 and height-1 in 24 bits each.
            case "VP8X" -> dims(le24(h, 24) + 1, le24(h, 27) + 1);
            default -> Optional.empty();
        };
    }

    /** Walks the JPEG segments up to the first start-of-frame, skipping the rest (EXIF can be 64 kB). */
    private static Optional<Dimensions> jpeg(byte[] head, InputStream rest) throws IOException {
        InputStream in = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(head, 2, head.length - 2), rest);
        while (true) {
            int b = in.read();
            if (b < 0) {
                return Optional.empty();
            }
            if (b != 0xFF) {
                continue;
            }
            int marker = in.read();
            while (marker == 0xFF) {
                marker = in.read();
            }
            if (marker < 0 || marker == 0xD9 || marker == 0xDA) {
                return Optional.empty();
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x00) {
                continue;
            }
            byte[] len = in.readNBytes(2);
            if (len.length < 2) {
                return Optional.empty();
            }
            int length = ((len[0] & 0xFF) << 8) | (len[1] & 0xFF);
            boolean startOfFrame = marker >= 0xC0 && marker <= 0xCF
                    && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (startOfFrame) {
                byte[] sof = in.readNBytes(5);
                if (sof.length < 5) {
                    return Optional.empty();
                }
                return dims(((sof[3] & 0xFF) << 8) | (sof[4] & 0xFF), ((sof[1] & 0xFF) << 8) | (sof[2] & 0xFF));
            }
            if (length < 2) {
                return Optional.empty();
            }
            in.skipNBytes(length - 2);
        }
    }

    private static Optional<Dimensions> dims(long width, long height) {
        if (width <= 0 || height <= 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new Dimensions((int) width, (int) height));
    }

    private static long be32(byte[] b, int i) {
        return ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    private static int le16(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8);
    }

    private static int le24(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8) | ((b[i + 2] & 0xFF) << 16);
    }

    private static long le32(byte[] b, int i) {
        return le24(b, i) | ((long) (b[i + 3] & 0xFF) << 24);
    }

    /** The ASCII characters of a string from an offset, as bytes, without copying the (possibly megabytes) string. */
    private static final class AsciiStream extends InputStream {
        private final String s;
        private int pos;

        AsciiStream(String s, int from) {
            this.s = s;
            this.pos = from;
        }

        @Override
        public int read() {
            return pos < s.length() ? s.charAt(pos++) & 0xFF : -1;
        }
    }
}
