package dev.tokenrt.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrt.cache.semantic.SemanticPolicy.Decision;
import dev.tokenrt.cache.semantic.lucene.LuceneVectorIndex;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The semantic cache with its real parts: both ONNX models chosen by language, Lucene on disk. */
class SemanticCacheTest {

    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Instant LATER = NOW.plusSeconds(3600);

    static final LanguageRoutedEmbedder embedder = SharedModels.byLanguage();

    static SemanticCache fixed(LuceneVectorIndex index) {
        return SemanticCache.builder(embedder, index).policy(new FixedThresholdPolicy(0.8)).clock(CLOCK).build();
    }

    @Test
    void aParaphraseFindsItsEntryOnlyWithinItsPartition(@TempDir Path dir) {
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            SemanticCache cache = fixed(index);
            assertThat(cache.add("team-a:ctx1", "e-reset", "How do I reset my password?", LATER)).isTrue();
            cache.add("team-a:ctx1", "e-weather", "What's the weather in Paris today?", LATER);
            Optional<SemanticCache.Match> m = cache.lookup("team-a:ctx1", "How can I reset my password?");
            assertThat(m).isPresent();
            assertThat(m.get().entryId()).isEqualTo("e-reset");
            assertThat(m.get().mustVerify()).isFalse();
            assertThat(m.get().similarity()).isGreaterThan(0.9f);
            // The runner-up is the weather question: a clear margin.
            assertThat(m.get().candidate().margin()).isGreaterThan(0.5f);
            // Another context, another tenant: nothing.
            assertThat(cache.lookup("team-a:ctx2", "How can I reset my password?")).isEmpty();
            assertThat(cache.lookup("team-b:ctx1", "How can I reset my password?")).isEmpty();
            // An unrelated question is a miss.
            assertThat(cache.lookup("team-a:ctx1", "Recommend a good pizza place")).isEmpty();
        }
    }

    @Test
    void chineseAndEnglishEntriesNeverMeet(@TempDir Path dir) {
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            SemanticCache cache = fixed(index);
            cache.add("p", "zh", "如何更换花呗绑定银行卡", LATER);
            assertThat(cache.lookup("p", "花呗更改绑定银行卡")).map(SemanticCache.Match::entryId).contains("zh");
            assertThat(cache.lookup("p", "How do I change the bank card bound to Huabei?")).isEmpty();
        }
    }

    @Test
    void expiredEntriesAndUnreadableTextsAreMisses(@TempDir Path dir) {
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            SemanticCache cache = fixed(index);
            cache.add("p", "short-lived", "How do I reset my password?", NOW.plusSeconds(60));
            assertThat(cache.lookup("p", "How can I reset my password?", NOW.plusSeconds(59))).isPresent();
            assertThat(cache.lookup("p", "How can I reset my password?", NOW.plusSeconds(60))).isEmpty();
            String longPrompt = "Summarise this report. ".repeat(200);
            assertThat(cache.add("p", "long", longPrompt, LATER)).isFalse();
            assertThat(cache.lookup("p", longPrompt)).isEmpty();
            assertThat(index.size()).isEqualTo(1);
            assertThat(cache.report().lookups()).isEqualTo(3);
        }
    }

    @Test
    void theVerifiedPolicyAsksForVerificationsUntilItsFeedbackSupportsServing(@TempDir Path dir) {
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            VerifiedPolicy policy = new VerifiedPolicy(VerifiedPolicy.Settings.DEFAULT, new SplittableRandom(1));
            SemanticCache cache = SemanticCache.builder(embedder, index).policy(policy).clock(CLOCK).build();
            cache.add("p", "e1", "How do I reset my password?", LATER);
            SemanticCache.Match m = cache.lookup("p", "How can I reset my password?").orElseThrow();
            assertThat(m.mustVerify()).isTrue();
            assertThat(m.decision()).isEqualTo(Decision.VERIFY);
            cache.feedback(m, cache.sameAnswer("Open Settings, then Security, then Reset password.",
                    "open settings, then security, then reset password"));
            PolicyReport r = cache.report();
            assertThat(r.labels()).isEqualTo(1);
            assertThat(r.verifications()).isEqualTo(1);
            assertThat(r.served()).isZero();
            assertThat(r.policy()).startsWith("verified(max_false_hit_rate=0.01");
        }
    }

    @Test
    void answersAreTheSameWhenTheySayTheSame(@TempDir Path dir) {
        try (LuceneVectorIndex index = LuceneVectorIndex.open(dir)) {
            SemanticCache cache = fixed(index);
            assertThat(cache.sameAnswer("Paris.", "  paris ")).isTrue();
            assertThat(cache.sameAnswer("The capital of France is Paris.",
                    "The capital of France is Paris")).isTrue();
            assertThat(cache.sameAnswer("The capital of France is Paris.", "The capital of Italy is Rome.")).isFalse();
            assertThat(cache.sameAnswer("Go to Settings and tap Reset password.",
                    "Delete your account from the Privacy page.")).isFalse();
            assertThat(cache.sameAnswer("巴黎。", "巴黎")).isTrue();
        }
    }
}
