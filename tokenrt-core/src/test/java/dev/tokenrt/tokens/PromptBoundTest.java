package dev.tokenrt.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.pipeline.DefaultTokenCounting;
import dev.tokenrt.pricing.PricingCatalog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The free bound against the real tokenizers: never below what they count, on every reference text. */
class PromptBoundTest {

    static final DefaultTokenCounting COUNTING = new DefaultTokenCounting(Tokenizers.defaults(),
            ProviderEstimators.withDefaults(), PricingCatalog.bundled());

    /** Every text of the four JTokkit reference files (tiktoken's own adversarial cases, many scripts, emoji). */
    static List<String> texts() {
        List<String> out = new ArrayList<>();
        for (String enc : ReferenceData.ENCODINGS) {
            ReferenceData.encodingCases(enc).forEach(c -> out.add(c.text()));
        }
        return out;
    }

    static ChatRequest chat(String text) {
        return ChatRequest.of("m", List.of(Message.text(Role.SYSTEM, "Answer briefly."),
                new Message(Role.USER, List.of(new Part.Text(text)), "alice"),
                Message.text(Role.ASSISTANT, text), Message.text(Role.USER, "")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "gpt-4", "gpt-3.5-turbo", "claude-sonnet-4-5", "gemini-2.5-flash"})
    void neverBelowTheCountOfAnyReferenceText(String model) {
        List<String> texts = texts();
        assertThat(texts).hasSizeGreaterThan(1000);
        for (String t : texts) {
            ChatRequest r = chat(t);
            long counted = COUNTING.prompt(r, model).tokens();
            assertThat(PromptBound.plainText(r).orElseThrow()).as("%s: %s", model, t).isGreaterThanOrEqualTo(counted);
        }
    }

    @Test
    void isTheUtf8BytesPlusFraming() {
        String text = "naïve 漢字 🙂"; // 1-, 2-, 3- and 4-byte characters
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        ChatRequest r = ChatRequest.of("m", List.of(Message.text(Role.USER, text)));
        assertThat(PromptBound.plainText(r)).hasValue(PromptBound.FRAMING_PER_REQUEST + PromptBound.FRAMING_PER_MESSAGE
                + "USER".length() + bytes);
        assertThat(PromptBound.utf8Length(text)).isEqualTo(bytes);
        assertThat(PromptBound.utf8Length("\uD83D")).isEqualTo(3); // a lone surrogate: at most 3 bytes encoded
    }

    @Test
    void onlyPlainTextHasAFreeBound() {
        Message image = new Message(Role.USER, List.of(new Part.Text("what is this?"),
                new Part.Image("https://example.test/cat.png", "high")), "");
        assertThat(PromptBound.plainText(ChatRequest.of("m", List.of(image)))).isEmpty();

        ChatRequest plain = ChatRequest.of("m", List.of(Message.text(Role.USER, "hi")));
        ChatRequest withTool = new ChatRequest("m", plain.messages(),
                List.of(new Tool("lookup", "Looks a word up", JsonNodeFactory.instance.objectNode())),
                Optional.empty(), plain.maxTokens(), Optional.empty(), Optional.empty(), List.of(), Optional.empty(),
                Optional.empty(), false, false, "", "openai.chat", null);
        assertThat(PromptBound.plainText(withTool)).isEmpty();
        assertThat(PromptBound.anyText(withTool)).isGreaterThan(PromptBound.anyText(plain));

        ChatRequest withSchema = new ChatRequest("m", plain.messages(), List.of(), Optional.empty(), plain.maxTokens(),
                Optional.empty(), Optional.empty(), List.of(), Optional.empty(),
                Optional.of(JsonNodeFactory.instance.objectNode().put("type", "json_object")), false, false, "",
                "openai.chat", null);
        assertThat(PromptBound.plainText(withSchema)).isEmpty();
    }
}
