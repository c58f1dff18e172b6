package dev.tokenrt.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The arithmetic and the error rules of {@link UsageParser}, on usage objects taken from the recorded fixtures
 * (figures named in each test) and on deliberately broken copies of them.
 */
class UsageParserTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Usage usage(long in, long out, long read, long w5, long w1, long reasoning) {
        return new Usage(in, out, read, w5, w1, reasoning, UsageSource.PROVIDER, UsageSource.PROVIDER);
    }

    @Nested
    class OpenAi {

        @Test
        void chatCachedAndReasoningAreSubsetsOfTheTotals() {
            // vercel-ai deepseek-tool-call: prompt 339 of which 320 cached; completion 83 of which 39 reasoning
            Usage u = UsageParser.openAi(json("{'prompt_tokens':339,'completion_tokens':83,'total_tokens':422,"
                    + "'prompt_tokens_details':{'cached_tokens':320},'completion_tokens_details':{'reasoning_tokens':39}}"));
            assertThat(u).isEqualTo(usage(339, 83, 320, 0, 0, 39));
            assertThat(u.uncachedInputTokens()).isEqualTo(19);
            assertThat(u.visibleOutputTokens()).isEqualTo(44);
        }

        @Test
        void responsesCachedAndReasoningAreSubsetsOfTheTotals() {
            // vercel-ai openai-web-search-tool.1: input 31073 (3712 cached), output 4416 (3712 reasoning)
            Usage u = UsageParser.openAi(json("{'input_tokens':31073,'input_tokens_details':{'cached_tokens':3712},"
                    + "'output_tokens':4416,'output_tokens_details':{'reasoning_tokens':3712},'total_tokens':35489}"));
            assertThat(u).isEqualTo(usage(31073, 4416, 3712, 0, 0, 3712));
        }

        @Test
        void xaiReportsReasoningOutsideCompletionTokensAndTotalTokensShowsIt() {
            // vercel-ai xai-text: completion 2, reasoning 340, total 354 = 12 + 2 + 340
            Usage u = UsageParser.openAi(json("{'prompt_tokens':12,'completion_tokens':2,'total_tokens':354,"
                    + "'prompt_tokens_details':{'cached_tokens':11},'completion_tokens_details':{'reasoning_tokens':340}}"));
            assertThat(u).isEqualTo(usage(12, 342, 11, 0, 0, 340));
            assertThat(u.totalTokens()).isEqualTo(354);
        }

        @Test
        void reasoningLargerThanCompletionWithoutTotalCanOnlyBeExclusive() {
            Usage u = UsageParser.openAi(json("{'prompt_tokens':12,'completion_tokens':2,"
                    + "'completion_tokens_details':{'reasoning_tokens':340}}"));
            assertThat(u.outputTokens()).isEqualTo(342);
        }

        @Test
        void reasoningLargerThanCompletionWhileTotalSaysInclusiveIsAnError() {
            assertThatThrownBy(() -> UsageParser.openAi(json("{'prompt_tokens':12,'completion_tokens':2,"
                    + "'total_tokens':14,'completion_tokens_details':{'reasoning_tokens':340}}")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reasoning_tokens (340) exceed completion_tokens (2)");
        }

        @Test
        void deepSeekCacheHitIsUsedWhenCachedTokensIsAbsent() {
            Usage u = UsageParser.openAi(json("{'prompt_tokens':339,'completion_tokens':83,"
                    + "'prompt_cache_hit_tokens':320,'prompt_cache_miss_tokens':19}"));
            assertThat(u.cacheReadTokens()).isEqualTo(320);
        }

        @Test
        void embeddingsHaveNoCompletionTokens() {
            assertThat(UsageParser.openAi(json("{'prompt_tokens':12,'total_tokens':12}")))
                    .isEqualTo(usage(12, 0, 0, 0, 0, 0));
        }

        @Test
        void nullDetailsAreNoDetails() {
            // vercel-ai azure-deepseek-reasoning: prompt_tokens_details null, reasoning_tokens at the top level
            assertThat(UsageParser.openAi(json("{'prompt_tokens':19,'total_tokens':1739,'completion_tokens':1720,"
                    + "'prompt_tokens_details':null,'reasoning_tokens':0}"))).isEqualTo(usage(19, 1720, 0, 0, 0, 0));
        }

        @Test
        void cacheWriteTokensOfCompatibleGatewaysAreFiveMinuteWrites() {
            Usage u = UsageParser.openAi(json("{'input_tokens':100,'input_tokens_details':{'cached_tokens':20,"
                    + "'cache_write_tokens':30},'output_tokens':5,'total_tokens':105}"));
            assertThat(u).isEqualTo(usage(100, 5, 20, 30, 0, 0));
        }

        @Test
        void cachedMoreThanPromptIsAnError() {
            assertThatThrownBy(() -> UsageParser.openAi(json("{'prompt_tokens':10,'completion_tokens':1,"
                    + "'prompt_tokens_details':{'cached_tokens':11}}")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cached_tokens (11) exceed prompt_tokens (10)");
            assertThatThrownBy(() -> UsageParser.openAi(json("{'input_tokens':10,'output_tokens':1,"
                    + "'input_tokens_details':{'cached_tokens':11}}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceed input_tokens (10)");
        }

        @ParameterizedTest
        @ValueSource(strings = {"-1", "12.5", "'12'", "true", "{}", "1e3", "99999999999999999999"})
        void badCountsAreRejectedNamingTheField(String bad) {
            assertThatThrownBy(() -> UsageParser.openAi(json("{'prompt_tokens':" + bad + ",'completion_tokens':1}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage.prompt_tokens");
            assertThatThrownBy(() -> UsageParser.openAi(json("{'prompt_tokens':5,'completion_tokens':1,"
                    + "'prompt_tokens_details':{'cached_tokens':" + bad + "}}")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("usage.prompt_tokens_details.cached_tokens");
        }

        @Test
        void missingPromptTokensAndForeignObjectsAreErrors() {
            assertThatThrownBy(() -> UsageParser.openAi(json("{'completion_tokens':1}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompt_tokens is missing");
            assertThatThrownBy(() -> UsageParser.openAi(json("{'type':'duration','seconds':37}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an OpenAI usage");
            assertThatThrownBy(() -> UsageParser.openAi(json("[1,2]")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a JSON object");
            assertThatThrownBy(() -> UsageParser.openAi(null)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Anthropic {

        @Test
        void cacheReadsAndWritesAreAddedToInputTokens() {
            // vercel-ai anthropic-code-execution-20260120-prompt-cache, final figures
            Usage u = UsageParser.anthropic(json("{'input_tokens':6,'cache_creation_input_tokens':3337,"
                    + "'cache_read_input_tokens':6289,'output_tokens':198,'output_tokens_details':{'thinking_tokens':0}}"));
            assertThat(u).isEqualTo(usage(9632, 198, 6289, 3337, 0, 0));
            assertThat(u.uncachedInputTokens()).isEqualTo(6);
        }

        @Test
        void cacheWritesAreSplitByTtlWhenAnthropicSaysSo() {
            Usage u = UsageParser.anthropic(json("{'input_tokens':2,'cache_creation_input_tokens':3068,"
                    + "'cache_read_input_tokens':0,'cache_creation':{'ephemeral_5m_input_tokens':1068,"
                    + "'ephemeral_1h_input_tokens':2000},'output_tokens':69}"));
            assertThat(u).isEqualTo(usage(3070, 69, 0, 1068, 2000, 0));
        }

        @Test
        void aSplitThatDoesNotAddUpIsAnError() {
            assertThatThrownBy(() -> UsageParser.anthropic(json("{'input_tokens':2,'cache_creation_input_tokens':3068,"
                    + "'cache_creation':{'ephemeral_5m_input_tokens':68,'ephemeral_1h_input_tokens':2000},'output_tokens':1}")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("does not add up to cache_creation_input_tokens (3068)");
        }

        @Test
        void thinkingTokensAreTheReasoningSubsetOfOutput() {
            // vercel-ai anthropic-claude-opus-5-reasoning-high.1
            assertThat(UsageParser.anthropic(json("{'input_tokens':51,'cache_creation_input_tokens':0,"
                    + "'cache_read_input_tokens':0,'output_tokens':1699,'output_tokens_details':{'thinking_tokens':139}}")))
                    .isEqualTo(usage(51, 1699, 0, 0, 0, 139));
            assertThatThrownBy(() -> UsageParser.anthropic(json("{'input_tokens':1,'output_tokens':5,"
                    + "'output_tokens_details':{'thinking_tokens':6}}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("thinking_tokens (6)");
        }

        @Test
        void negativeCacheFiguresAreRejected() {
            assertThatThrownBy(() -> UsageParser.anthropic(json("{'input_tokens':1,'cache_read_input_tokens':-3,"
                    + "'output_tokens':5}")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("usage.cache_read_input_tokens cannot be negative");
        }

        @Test
        void iterationsAreReadWithTheirModel() {
            // vercel-ai anthropic-fallback: the refused first attempt and the fallback model's message
            JsonNode u = json("{'input_tokens':412,'output_tokens':264,'cache_read_input_tokens':0,"
                    + "'cache_creation_input_tokens':0,'iterations':[{'type':'message','model':'claude-fable-5',"
                    + "'input_tokens':408,'output_tokens':0},{'type':'fallback_message','model':'claude-opus-4-8',"
                    + "'input_tokens':412,'output_tokens':264}]}");
            assertThat(UsageParser.anthropic(u)).isEqualTo(usage(412, 264, 0, 0, 0, 0));
            assertThat(UsageParser.anthropicIterations(u)).extracting(UsageParser.AnthropicIteration::type)
                    .containsExactly("message", "fallback_message");
            assertThat(UsageParser.anthropicIterations(u).get(0).model()).contains("claude-fable-5");
            assertThat(UsageParser.anthropicIterations(json("{'input_tokens':1,'output_tokens':1}"))).isEmpty();
            assertThatThrownBy(() -> UsageParser.anthropicIterations(json("{'input_tokens':1,'iterations':"
                    + "[{'type':'compaction','input_tokens':-1}]}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage.iterations[0]");
        }
    }

    @Nested
    class Gemini {

        @Test
        void cachedIsInsidePromptAndThoughtsAreAddedToOutput() {
            // vertexai unary-success-implicit-caching
            Usage u = UsageParser.gemini(json("{'promptTokenCount':12013,'candidatesTokenCount':15,"
                    + "'totalTokenCount':12101,'cachedContentTokenCount':11243,'thoughtsTokenCount':73}"));
            assertThat(u).isEqualTo(usage(12013, 88, 11243, 0, 0, 73));
            assertThat(u.totalTokens()).isEqualTo(12101);
        }

        @Test
        void toolUsePromptTokensAreInput() {
            // googleai unary-success-code-execution: 21 + 96 + 160 + 86 = 363 = totalTokenCount
            Usage u = UsageParser.gemini(json("{'promptTokenCount':21,'candidatesTokenCount':96,'totalTokenCount':363,"
                    + "'toolUsePromptTokenCount':160,'thoughtsTokenCount':86}"));
            assertThat(u).isEqualTo(usage(181, 182, 0, 0, 0, 86));
            assertThat(u.totalTokens()).isEqualTo(363);
        }

        @Test
        void liveApiResponseTokenCountStandsForCandidates() {
            assertThat(UsageParser.gemini(json("{'promptTokenCount':25,'responseTokenCount':25,'totalTokenCount':50}")))
                    .isEqualTo(usage(25, 25, 0, 0, 0, 0));
        }

        @Test
        void aBlockedPromptReportsInputOnly() {
            // vertexai unary-failure-finish-reason-safety
            assertThat(UsageParser.gemini(json("{'promptTokenCount':8,'totalTokenCount':8}")))
                    .isEqualTo(usage(8, 0, 0, 0, 0, 0));
        }

        @Test
        void errors() {
            assertThatThrownBy(() -> UsageParser.gemini(json("{'trafficType':'ON_DEMAND'}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no token counts");
            assertThatThrownBy(() -> UsageParser.gemini(json("{'promptTokenCount':10,'cachedContentTokenCount':11}")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cachedContentTokenCount (11) exceeds promptTokenCount (10)");
            assertThatThrownBy(() -> UsageParser.gemini(json("{'promptTokenCount':'10'}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usageMetadata.promptTokenCount");
        }

        @Test
        void interactionsUsage() {
            // vercel-ai google/interactions/google-search.json: 22 + 973 + 129 + 249 = 1373 = total_tokens
            Usage u = UsageParser.geminiInteractions(json("{'total_tokens':1373,'total_input_tokens':22,"
                    + "'total_cached_tokens':0,'total_output_tokens':973,'total_tool_use_tokens':129,"
                    + "'total_thought_tokens':249}"));
            assertThat(u).isEqualTo(usage(151, 1222, 0, 0, 0, 249));
            assertThat(u.totalTokens()).isEqualTo(1373);
            assertThatThrownBy(() -> UsageParser.geminiInteractions(json("{'total_input_tokens':1,"
                    + "'total_cached_tokens':2}"))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Detect {

        @Test
        void recognisesBareUsageObjectsByShape() {
            assertThat(UsageParser.detect(json("{'prompt_tokens':9,'completion_tokens':2,'total_tokens':11}")))
                    .hasValueSatisfying(d -> assertThat(d.format()).isEqualTo(UsageFormat.OPENAI_CHAT));
            assertThat(UsageParser.detect(json("{'input_tokens':11,'input_tokens_details':{'cached_tokens':0},"
                    + "'output_tokens':11,'output_tokens_details':{'reasoning_tokens':0},'total_tokens':22}")))
                    .hasValueSatisfying(d -> assertThat(d.formatName()).isEqualTo("openai-responses"));
            assertThat(UsageParser.detect(json("{'input_tokens':12,'cache_creation_input_tokens':0,"
                    + "'cache_read_input_tokens':0,'output_tokens':30}")))
                    .hasValueSatisfying(d -> assertThat(d.format()).isEqualTo(UsageFormat.ANTHROPIC));
            assertThat(UsageParser.detect(json("{'promptTokenCount':7,'candidatesTokenCount':22,'totalTokenCount':29}")))
                    .hasValueSatisfying(d -> assertThat(d.format()).isEqualTo(UsageFormat.GEMINI));
            assertThat(UsageParser.detect(json("{'total_input_tokens':7,'total_output_tokens':19}")))
                    .hasValueSatisfying(d -> assertThat(d.format()).isEqualTo(UsageFormat.GEMINI_INTERACTIONS));
        }

        @Test
        void aMinimalInputOutputPairReadsTheSameEitherWay() {
            JsonNode minimal = json("{'input_tokens':10,'output_tokens':20}");
            Usage detected = UsageParser.detect(minimal).orElseThrow().usage();
            assertThat(detected).isEqualTo(UsageParser.anthropic(minimal)).isEqualTo(UsageParser.openAi(minimal));
        }

        @Test
        void findsUsageInsideStreamEvents() {
            assertThat(UsageParser.detect(json("{'type':'message_start','message':{'id':'m','usage':"
                    + "{'input_tokens':11,'output_tokens':1}}}")).orElseThrow().usage()).isEqualTo(usage(11, 1, 0, 0, 0, 0));
            assertThat(UsageParser.detect(json("{'type':'response.completed','response':{'usage':"
                    + "{'input_tokens':24,'input_tokens_details':{'cached_tokens':0},'output_tokens':0,"
                    + "'total_tokens':24}}}")).orElseThrow().format()).isEqualTo(UsageFormat.OPENAI_RESPONSES);
            assertThat(UsageParser.detect(json("{'object':'chat.completion.chunk','choices':[],'usage':null,"
                    + "'x_groq':{'usage':{'prompt_tokens':210,'completion_tokens':15,'total_tokens':225}}}"))
                    .orElseThrow().usage()).isEqualTo(usage(210, 15, 0, 0, 0, 0));
        }

        @Test
        void nothingToFindIsEmpty() {
            assertThat(UsageParser.detect(null)).isEmpty();
            assertThat(UsageParser.detect(json("[{'prompt_tokens':1}]"))).isEmpty();
            assertThat(UsageParser.detect(json("{'error':{'code':400,'message':'API key not valid'}}"))).isEmpty();
            assertThat(UsageParser.detect(json("{'candidates':[],'usageMetadata':{'trafficType':'ON_DEMAND'}}"))).isEmpty();
            assertThat(UsageParser.detect(json("{'text':'hi','usage':{'type':'duration','seconds':37}}"))).isEmpty();
            assertThat(UsageParser.detect(json("{'usage':{'inputTokens':30,'outputTokens':628}}"))).isEmpty();
            assertThat(UsageParser.detect(json("{'type':'message_delta','usage':{'output_tokens':6}}"))).isEmpty();
            assertThat(UsageParser.detect(json("{'totalTokens':10,'totalBillableCharacters':40}"))).isEmpty();
            assertThat(UsageParser.detect(json("{'input_tokens':2095}"))).as("Anthropic count_tokens reply").isEmpty();
        }

        @Test
        void recognisedUsageWithBadFiguresIsAnErrorNotAbsence() {
            assertThatThrownBy(() -> UsageParser.detect(json("{'usage':{'prompt_tokens':-5,'completion_tokens':1}}")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be negative");
        }

        @Test
        void parseDispatchesByFormat() {
            JsonNode chat = json("{'prompt_tokens':9,'completion_tokens':2}");
            assertThat(UsageParser.parse(UsageFormat.OPENAI_CHAT, chat)).isEqualTo(usage(9, 2, 0, 0, 0, 0));
            assertThat(UsageFormat.GEMINI_INTERACTIONS.wireName()).isEqualTo("gemini-interactions");
        }
    }
}
