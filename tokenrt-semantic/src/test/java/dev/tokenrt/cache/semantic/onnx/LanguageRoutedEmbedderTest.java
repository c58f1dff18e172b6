package dev.tokenrt.cache.semantic.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.cache.semantic.LanguageRoutedEmbedder;
import dev.tokenrt.cache.semantic.SharedModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The embedder chosen by detected language, with the two real models. */
class LanguageRoutedEmbedderTest {

    static final LanguageRoutedEmbedder embedder = SharedModels.byLanguage();

    @Test
    void chineseAndJapaneseGoToBgeEverythingElseToMiniLm() {
        assertThat(embedder.modelFor("如何更换花呗绑定银行卡").id()).isEqualTo("bge-small-zh-v1.5-q");
        assertThat(embedder.modelFor("東京の天気はどうですか").id()).isEqualTo("bge-small-zh-v1.5-q");
        assertThat(embedder.modelFor("カタカナ").id()).isEqualTo("bge-small-zh-v1.5-q");
        // A Chinese question naming an English product is still Chinese; one Chinese word in English is not.
        assertThat(embedder.modelFor("Python怎么安装第三方库").id()).isEqualTo("bge-small-zh-v1.5-q");
        assertThat(embedder.modelFor("What does 你好 mean in English?").id()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(embedder.modelFor("How do I reset my password?").id()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(embedder.modelFor("Как дела?").id()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(embedder.modelFor("안녕하세요").id()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(embedder.modelFor("12345 !!").id()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(embedder.id()).isEqualTo("by-language(all-minilm-l6-v2-q,bge-small-zh-v1.5-q)");
    }

    @Test
    void vectorsComeFromTheChosenModelInOrder() {
        assertThat(embedder.embed("今天天气怎么样")).hasSize(512);
        assertThat(embedder.embed("What is the weather today?")).hasSize(384);
        List<float[]> all = embedder.embedAll(List.of("今天天气怎么样", "What is the weather today?", "明天呢"));
        assertThat(all).extracting(v -> v.length).containsExactly(512, 384, 512);
        assertThat(embedder.covers("短句")).isTrue();
        assertThat(embedder.covers("word ".repeat(400))).isFalse();
    }
}
