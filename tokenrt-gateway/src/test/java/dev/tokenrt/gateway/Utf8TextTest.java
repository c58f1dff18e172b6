package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8TextTest {

    @Test
    void aCharacterCutBetweenChunksIsNotMangled() {
        String text = "data: {\"text\":\"héllo 你好 😀 €\"}\n\n";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            UpstreamHttp.Utf8Text d = new UpstreamHttp.Utf8Text();
            byte[] a = java.util.Arrays.copyOfRange(bytes, 0, cut);
            byte[] b = java.util.Arrays.copyOfRange(bytes, cut, bytes.length);
            assertThat(d.decode(a) + d.decode(b)).as("cut at byte " + cut).isEqualTo(text);
        }
    }
}
