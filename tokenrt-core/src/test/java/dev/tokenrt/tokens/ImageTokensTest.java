package dev.tokenrt.tokens;

import dev.tokenrt.tokens.ImageTokens.Detail;
import dev.tokenrt.tokens.ImageTokens.Dimensions;
import dev.tokenrt.tokens.ModelData.PatchRule;
import dev.tokenrt.tokens.ModelData.TileRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Base64;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ImageTokensTest {

    private static final TileRule GPT_4O = new TileRule(85, 170);
    private static final TileRule GPT_4O_MINI = new TileRule(2833, 5667);

    @ParameterizedTest(name = "{0} {1}x{2}")
    @CsvSource({"png, 1, 1", "png, 1024, 1024", "png, 4000, 300", "jpg, 640, 480", "jpg, 17, 2500", "gif, 320, 200",
            "gif, 5, 7"})
    void readsSizeFromImagesWrittenByTheJdk(String format, int w, int h) {
        assertThat(ImageTokens.dimensionsOf(dataUrl(format, w, h))).contains(new Dimensions(w, h));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"lossy-300x200.webp, 300, 200", "lossless-1025x77.webp, 1025, 77", "extended-333x444.webp, 333, 444"})
    void readsSizeFromWebpMadeByCwebp(String file, int w, int h) {
        String url = "data:image/webp;base64," + Base64.getEncoder().encodeToString(ReferenceData.bytes("images/" + file));
        assertThat(ImageTokens.dimensionsOf(url)).contains(new Dimensions(w, h));
    }

    @Test
    void jpegSizeIsFoundPastALargeExifSegment() throws IOException {
        byte[] jpeg = encode("jpg", 800, 600);
        // insert a 60 kB APP1 segment right after SOI, as cameras do
        int appLength = 60_000;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (appLength >> 8), (byte) appLength});
        out.write(new byte[appLength - 2]);
        out.write(jpeg, 2, jpeg.length - 2);
        String url = "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
        assertThat(ImageTokens.dimensionsOf(url)).contains(new Dimensions(800, 600));
    }

    @Test
    void unknownOrBrokenImagesHaveNoSize() {
        assertThat(ImageTokens.dimensionsOf("https://example.invalid/a.png")).isEmpty();
        assertThat(ImageTokens.dimensionsOf("data:image/png;base64,!!!not base64")).isEmpty();
        assertThat(ImageTokens.dimensionsOf("data:image/svg+xml,<svg/>")).isEmpty();
        assertThat(ImageTokens.dimensionsOf("data:image/bmp;base64,Qk0AAAA=")).isEmpty();
        String truncatedPng = dataUrl("png", 10, 10).substring(0, 40);
        assertThat(ImageTokens.dimensionsOf(truncatedPng)).isEmpty();
    }

    @ParameterizedTest(name = "{0}x{1} -> {2}")
    @CsvSource({
            // OpenAI's worked examples for gpt-4o
            "1024, 1024, 765",
            "2048, 4096, 1105",
            // small images are not scaled up: one tile
            "100, 100, 255",
            // rounding at the 2048 fit, as the API billed it (forum-reported: 1453 and 773 including 8 text tokens)
            "2049, 513, 1445",
            "2050, 513, 765",
    })
    void tileRuleForGpt4o(int w, int h, long expected) {
        assertThat(ImageTokens.tileTokens(GPT_4O, new Dimensions(w, h))).isEqualTo(expected);
        assertThat(ImageTokens.tokens(GPT_4O, Detail.HIGH, Optional.of(new Dimensions(w, h))))
                .isEqualTo(TokenCount.exact(expected));
    }

    @Test
    void tileRuleDetailAndUnknownSize() {
        Optional<Dimensions> big = Optional.of(new Dimensions(4096, 4096));
        assertThat(ImageTokens.tokens(GPT_4O, Detail.LOW, big)).isEqualTo(TokenCount.exact(85));
        assertThat(ImageTokens.tokens(GPT_4O, Detail.AUTO, big)).isEqualTo(TokenCount.exact(765));
        assertThat(ImageTokens.tokens(GPT_4O_MINI, Detail.HIGH, big)).isEqualTo(TokenCount.exact(2833 + 4 * 5667));
        assertThat(ImageTokens.tokens(GPT_4O, Detail.HIGH, Optional.empty())).isEqualTo(TokenCount.estimated(1445));
        assertThat(ImageTokens.tokens(GPT_4O, Detail.LOW, Optional.empty())).isEqualTo(TokenCount.exact(85));
    }

    @Test
    void worstCaseReallyIsTheMostTilesAnySizeCanGive() {
        long worst = ImageTokens.tokens(GPT_4O, Detail.HIGH, Optional.empty()).tokens();
        long max = 0;
        for (int w = 16; w <= 8192; w += 61) {
            for (int h = 16; h <= 8192; h += 97) {
                max = Math.max(max, ImageTokens.tileTokens(GPT_4O, new Dimensions(w, h)));
            }
        }
        assertThat(max).isEqualTo(worst);
    }

    @Test
    void patchRuleFollowsTheDocumentedExamples() {
        // OpenAI's examples: 1024x1024 -> 1024 patches; 1800x2400 -> 1452 patches after shrinking
        assertThat(ImageTokens.patches(new Dimensions(1024, 1024))).isEqualTo(1024);
        assertThat(ImageTokens.patches(new Dimensions(1800, 2400))).isEqualTo(1452);
        assertThat(ImageTokens.patches(new Dimensions(10_000, 10_000))).isLessThanOrEqualTo(1536);
        // gpt-4.1-mini: 1536 patches x 1.62 = 2488 (reported billed for a 4000x1474 image)
        PatchRule mini = new PatchRule(new BigDecimal("1.62"));
        assertThat(ImageTokens.tokens(mini, Detail.HIGH, Optional.empty())).isEqualTo(TokenCount.estimated(2488));
        assertThat(ImageTokens.tokens(mini, Detail.HIGH, Optional.of(new Dimensions(1024, 1024))))
                .isEqualTo(TokenCount.estimated(1659));
    }

    @Test
    void everyImageRuleInTheDataIsUsable() {
        ModelData data = ModelData.builtIn();
        for (String model : new String[] {"gpt-4o", "gpt-4o-mini-2024-07-18", "gpt-4.1", "gpt-4.1-mini", "gpt-4.5-preview",
                "gpt-5", "gpt-5-nano", "o1", "o3", "o4-mini", "chatgpt-4o-latest", "gpt-4-turbo"}) {
            assertThat(data.images().find(model)).as(model).isPresent();
        }
        assertThat(data.images().find("gpt-4o-mini").orElseThrow()).isEqualTo(GPT_4O_MINI);
        assertThat(data.images().find("gpt-4o-2024-08-06").orElseThrow()).isEqualTo(GPT_4O);
    }

    static String dataUrl(String format, int w, int h) {
        String mime = format.equals("jpg") ? "jpeg" : format;
        return "data:image/" + mime + ";base64," + Base64.getEncoder().encodeToString(encode(format, w, h));
    }

    static byte[] encode(String format, int w, int h) {
        BufferedImage image = new BufferedImage(w, h, format.equals("gif")
                ? BufferedImage.TYPE_BYTE_INDEXED : BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xFF0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
