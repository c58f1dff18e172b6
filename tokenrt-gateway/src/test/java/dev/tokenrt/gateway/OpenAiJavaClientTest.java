package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.tokenrt.testkit.FakeUpstream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK (com.openai:openai-java), unmodified, as a client of the gateway. */
class OpenAiJavaClientTest {

    static GatewayHarness h;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Files.createTempDirectory("tokenrt-java-sdk"), FakeUpstream.Options.defaults());
        client = OpenAIOkHttpClient.builder().baseUrl(h.base() + "/v1").apiKey(GatewayHarness.MASTER).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        h.close();
    }

    static ChatCompletionCreateParams.Builder params(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello in one short sentence.");
    }

    @Test
    void chatToOpenAiAndToClaude() {
        for (String model : List.of("gpt-4o-mini", "claude-sonnet-4-5")) {
            ChatCompletion c = client.chat().completions().create(params(model).build());
            assertThat(c.choices().get(0).message().content()).get().asString().isNotEmpty();
            assertThat(c.usage()).get().satisfies(u -> assertThat(u.promptTokens()).isPositive());
        }
    }

    @Test
    void streamWithUsageEndsWithUsageAndMatchesTheLedger() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params("gpt-4o-mini")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunks::add);
        }
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        long prompt = last.usage().orElseThrow().promptTokens();
        assertThat(prompt).isPositive();
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        assertThat(text).isNotEmpty();
    }

    @Test
    void streamWithoutUsageHasNoUsageChunk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params("gpt-4o-mini").build())) {
            s.stream().forEach(chunks::add);
        }
        assertThat(chunks).isNotEmpty().allSatisfy(c -> assertThat(c.usage()).isEmpty());
    }

    @Test
    void embeddings() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small").input("hello").build());
        assertThat(r.data()).hasSize(1);
        assertThat(r.data().get(0).embedding()).isNotEmpty();
        assertThat(r.usage().promptTokens()).isPositive();
    }

    @Test
    void errorsArriveAsTheSdksOwnTypes() {
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(h.base() + "/v1").apiKey("sk-wrong").maxRetries(0).build();
        try {
            assertThatThrownBy(() -> wrongKey.chat().completions().create(params("gpt-4o-mini").build()))
                    .isInstanceOf(UnauthorizedException.class);
        } finally {
            wrongKey.close();
        }
        assertThatThrownBy(() -> client.chat().completions().create(params("no-such-model-xyz").build()))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.chat().completions().create(params("gpt-4o-mini").n(2).build()))
                .isInstanceOf(BadRequestException.class);
    }

}
