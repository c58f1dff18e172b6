package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Role;
import dev.tokenrt.pipeline.RetryPolicy;
import dev.tokenrt.provider.AnthropicMessagesFormat;
import dev.tokenrt.provider.OpenAiChatFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The upstream body is written straight into the buffer sent; it must be the very bytes Jackson writes. */
class HttpTransportTest {

    private static final String PROSE = "The quick brown fox jumps over the lazy dog; \"quoted\"\n\ttabbed \\ ";

    private static ChatRequest request(String user) {
        return ChatRequest.of("gpt-4o-mini", List.of(Message.text(Role.SYSTEM, "You are terse."),
                Message.text(Role.USER, user)));
    }

    private static ProviderConfig provider(ProviderConfig.Kind kind) {
        return new ProviderConfig("up", kind, "http://127.0.0.1:9/v1", Optional.of("sk-up"),
                ProviderConfig.Timeouts.DEFAULT, RetryPolicy.NONE);
    }

    @Test
    void theBodyIsWhatJacksonWritesForLargeSmallAndNonAsciiPrompts() throws Exception {
        String large = PROSE.repeat(1_500); // ~100 kB, with escapes; several of Jackson's 8,000-byte flushes
        String nonAscii = "héllo 你好 😀 € ".repeat(2_000); // 3-4 bytes a character: past the hint, so the buffer grows
        for (String user : List.of("hi", large, nonAscii)) {
            ChatRequest r = request(user);
            HttpTransport openAi = HttpTransport.openAi(provider(ProviderConfig.Kind.OPENAI), null);
            byte[] expected = GatewayServer.JSON.writeValueAsBytes(
                    new OpenAiChatFormat(java.time.Clock.systemUTC(), "max_tokens").writeRequest(r, "gpt-4o-mini"));
            assertThat(openAi.body(r, "gpt-4o-mini").getBytes()).isEqualTo(expected);

            HttpTransport anthropic = HttpTransport.anthropic(provider(ProviderConfig.Kind.ANTHROPIC), null);
            byte[] expectedA = GatewayServer.JSON.writeValueAsBytes(
                    new AnthropicMessagesFormat().writeRequest(r, "claude-sonnet-4-5"));
            assertThat(anthropic.body(r, "claude-sonnet-4-5").getBytes()).isEqualTo(expectedA);
        }
    }

    @Test
    void theSizeHintCoversAnAsciiPromptWithoutTheBufferGrowing() throws Exception {
        ChatRequest r = request(PROSE.repeat(1_500));
        int written = GatewayServer.JSON.writeValueAsBytes(
                new OpenAiChatFormat(java.time.Clock.systemUTC(), "max_tokens").writeRequest(r, "gpt-4o-mini")).length;
        int hint = HttpTransport.sizeHint(r);
        assertThat(hint).isGreaterThanOrEqualTo(written);
        assertThat(hint).as("not wildly more than needed").isLessThan(written * 2);
    }

    @Test
    void bodiesAreReadFromTheBufferAsFromTheirBytes() throws Exception {
        // Small, past Jackson's 8,000-byte read buffer, multi-byte characters across its edges, a slice of a larger
        // buffer (as Vert.x hands request bodies over), and the empty and non-object bodies the routes refuse.
        String big = GatewayServer.JSON.writeValueAsString(java.util.Map.of("messages",
                List.of(java.util.Map.of("content", "héllo 你好 😀 € ".repeat(3_000)))));
        for (String json : List.of("{\"a\":1}", big, "[1,2]", "\"text\"")) {
            byte[] bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            io.vertx.core.buffer.Buffer whole = io.vertx.core.buffer.Buffer.buffer(bytes);
            io.vertx.core.buffer.Buffer slice = io.vertx.core.buffer.Buffer.buffer("xx").appendBytes(bytes)
                    .appendString("yy").slice(2, 2 + bytes.length);
            assertThat(GatewayServer.readTree(whole)).isEqualTo(GatewayServer.JSON.readTree(bytes));
            assertThat(GatewayServer.readTree(slice)).isEqualTo(GatewayServer.JSON.readTree(bytes));
        }
        assertThat(GatewayServer.parseJson(io.vertx.core.buffer.Buffer.buffer(big))).isPresent();
        assertThat(GatewayServer.parseJson(io.vertx.core.buffer.Buffer.buffer())).isEmpty();
        assertThat(GatewayServer.parseJson(io.vertx.core.buffer.Buffer.buffer("[1,2]"))).isEmpty();
        assertThat(GatewayServer.parseJson(io.vertx.core.buffer.Buffer.buffer("{\"a\":"))).isEmpty();
    }
}
