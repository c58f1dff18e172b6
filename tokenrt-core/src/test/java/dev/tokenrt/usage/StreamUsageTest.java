package dev.tokenrt.usage;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static dev.tokenrt.usage.UsageParserTest.json;
import static dev.tokenrt.usage.UsageParserTest.usage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Stream accumulation rules that the recorded fixtures do not all exercise: usage repeated on every chunk, cut-off
 * streams, the finish-exactly-once contract. Figures are taken from the recorded fixtures named in each test.
 */
class StreamUsageTest {

    @Test
    void usageOnEveryChunkIsCumulativeSoTheLastWinsAndNothingIsSummed() {
        // an OpenAI-compatible server repeating cumulative usage on every chunk (figures of vercel-ai mistral-text)
        OpenAiChatStreamUsage stream = new OpenAiChatStreamUsage();
        stream.accept(json("{'choices':[{'delta':{'content':'Hel'}}],'usage':{'prompt_tokens':13,'completion_tokens':1}}"));
        stream.accept(json("{'choices':[{'delta':{'content':'lo'}}],'usage':{'prompt_tokens':13,'completion_tokens':5}}"));
        stream.accept(json("{'choices':[],'usage':{'prompt_tokens':13,'completion_tokens':8,'total_tokens':21}}"));
        assertThat(stream.usage()).contains(usage(13, 8, 0, 0, 0, 0));
        assertThat(stream.finished()).isFalse();
        stream.acceptLine("data: [DONE]");
        stream.acceptLine("");
        assertThat(stream.finished()).isTrue();
        assertThat(stream.finish()).contains(usage(13, 8, 0, 0, 0, 0));
    }

    @Test
    void nullUsageOnContentChunksIsIgnored() {
        OpenAiChatStreamUsage stream = new OpenAiChatStreamUsage();
        stream.accept(json("{'choices':[{'delta':{'content':'x'}}],'usage':null}"));
        assertThat(stream.usage()).isEmpty();
        stream.accept(json("{'choices':[],'usage':{'prompt_tokens':79,'completion_tokens':11,"
                + "'completion_tokens_details':{'reasoning_tokens':0}}}"));
        stream.accept(json("{'choices':[{'delta':{}}],'usage':null}"));
        assertThat(stream.finish()).contains(usage(79, 11, 0, 0, 0, 0));
    }

    @Test
    void aStreamWithoutUsageEndsEmptySoTheCallerCountsLocally() {
        // vercel-ai openai-compatible anthropic-fallback-tool-call.sse: no stream_options.include_usage
        StreamUsage stream = StreamUsage.of(UsageFormat.OPENAI_CHAT);
        stream.acceptText("data: {\"id\":\"msg\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Reading\"}}]}\n\n"
                + "data: [DONE]\n\n");
        assertThat(stream.finished()).isTrue();
        assertThat(stream.finish()).isEmpty();
    }

    @Test
    void finishHandsOverUsageExactlyOnce() {
        StreamUsage stream = StreamUsage.of(UsageFormat.GEMINI);
        stream.accept(json("{'usageMetadata':{'promptTokenCount':7,'candidatesTokenCount':10,'totalTokenCount':17}}"));
        assertThat(stream.finish()).contains(usage(7, 10, 0, 0, 0, 0));
        assertThatThrownBy(stream::finish).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already finished");
        assertThatThrownBy(() -> stream.accept(json("{}"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> stream.acceptLine("data: {}")).isInstanceOf(IllegalStateException.class);
        assertThat(stream.usage()).as("still readable after finish").contains(usage(7, 10, 0, 0, 0, 0));
    }

    @Test
    void finishDispatchesALastEventWithoutItsBlankLine() {
        StreamUsage stream = StreamUsage.of(UsageFormat.GEMINI);
        stream.acceptLine("data: {\"usageMetadata\":{\"promptTokenCount\":6,\"candidatesTokenCount\":4}}");
        assertThat(stream.usage()).isEmpty();
        assertThat(stream.finish()).contains(usage(6, 4, 0, 0, 0, 0));
    }

    @Test
    void anthropicTakesTheLatestFigureOfEachFieldAndNeverAddsTheTwoEvents() {
        // vercel-ai anthropic-message-delta-input-tokens: start 43 in / 1 out, delta 61 in / 2 out
        AnthropicStreamUsage stream = new AnthropicStreamUsage();
        stream.accept(json("{'type':'message_start','message':{'usage':{'input_tokens':43,'output_tokens':1}}}"));
        assertThat(stream.usage()).contains(usage(43, 1, 0, 0, 0, 0));
        stream.accept(json("{'type':'message_delta','delta':{'stop_reason':'end_turn'},"
                + "'usage':{'input_tokens':61,'output_tokens':2}}"));
        stream.accept(json("{'type':'message_stop'}"));
        assertThat(stream.finished()).isTrue();
        assertThat(stream.finish()).contains(usage(61, 2, 0, 0, 0, 0));
    }

    @Test
    void anthropicDeltaWithOutputOnlyKeepsTheInputAndCacheFiguresOfMessageStart() {
        // the older delta shape (anthropic-sdk-python basic_response): only output_tokens
        AnthropicStreamUsage stream = new AnthropicStreamUsage();
        stream.accept(json("{'type':'message_start','message':{'usage':{'input_tokens':450,"
                + "'cache_creation_input_tokens':100,'cache_read_input_tokens':2000,"
                + "'cache_creation':{'ephemeral_5m_input_tokens':0,'ephemeral_1h_input_tokens':100},'output_tokens':1}}}"));
        stream.accept(json("{'type':'message_delta','usage':{'output_tokens':124}}"));
        assertThat(stream.finish()).contains(usage(2550, 124, 2000, 0, 100, 0));
    }

    @Test
    void anthropicUpdatedCacheWriteWithoutSplitKeepsTheOneHourPart() {
        AnthropicStreamUsage stream = new AnthropicStreamUsage();
        stream.accept(json("{'type':'message_start','message':{'usage':{'input_tokens':2,"
                + "'cache_creation_input_tokens':3068,'cache_read_input_tokens':0,"
                + "'cache_creation':{'ephemeral_5m_input_tokens':68,'ephemeral_1h_input_tokens':3000},'output_tokens':69}}}"));
        stream.accept(json("{'type':'message_delta','usage':{'input_tokens':6,'cache_creation_input_tokens':3337,"
                + "'cache_read_input_tokens':6289,'output_tokens':198}}"));
        Usage u = stream.finish().orElseThrow();
        assertThat(u.cacheWrite1hTokens()).isEqualTo(3000);
        assertThat(u.cacheWrite5mTokens()).isEqualTo(337);
        assertThat(u.inputTokens()).isEqualTo(6 + 6289 + 3337);
    }

    @Test
    void aCutOffAnthropicStreamReportsWhatArrivedAndIsNotFinished() {
        AnthropicStreamUsage stream = new AnthropicStreamUsage();
        stream.acceptText("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":377,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"con");
        assertThat(stream.finished()).isFalse();
        assertThat(stream.usage()).contains(usage(377, 1, 0, 0, 0, 0));
        assertThat(stream.finish()).as("the cut last event is dropped; what arrived before it settles")
                .contains(usage(377, 1, 0, 0, 0, 0));
    }

    @Test
    void aCompleteEventWithBrokenJsonIsAnError() {
        StreamUsage stream = StreamUsage.of(UsageFormat.ANTHROPIC);
        stream.acceptLine("data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}");
        assertThatThrownBy(() -> stream.acceptLine("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not carry JSON");
    }

    @Test
    void anthropicDeltaBeforeAnyStartReportsNothing() {
        AnthropicStreamUsage stream = new AnthropicStreamUsage();
        stream.accept(json("{'type':'message_delta','usage':{'output_tokens':6}}"));
        assertThat(stream.finish()).isEmpty();
    }

    @Test
    void anthropicErrorEventEndsTheStream() {
        AnthropicStreamUsage stream = new AnthropicStreamUsage();
        stream.acceptText("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\n");
        assertThat(stream.finished()).isTrue();
        assertThat(stream.finish()).isEmpty();
    }

    @Test
    void responsesUsageArrivesWithTheTerminalEvent() {
        StreamUsage stream = StreamUsage.of(UsageFormat.OPENAI_RESPONSES);
        stream.accept(json("{'type':'response.created','response':{'status':'in_progress','usage':null}}"));
        stream.accept(json("{'type':'response.output_text.delta','delta':'Hi'}"));
        assertThat(stream.usage()).isEmpty();
        stream.accept(json("{'type':'response.incomplete','response':{'status':'incomplete','usage':"
                + "{'input_tokens':11,'input_tokens_details':{'cached_tokens':0},'output_tokens':16,"
                + "'output_tokens_details':{'reasoning_tokens':0},'total_tokens':27}}}"));
        assertThat(stream.finished()).isTrue();
        assertThat(stream.finish()).contains(usage(11, 16, 0, 0, 0, 0));
    }

    @Test
    void geminiSkipsMetadataWithoutCounts() {
        StreamUsage stream = StreamUsage.of(UsageFormat.GEMINI);
        stream.accept(json("{'candidates':[],'usageMetadata':{'promptTokenCount':10,'totalTokenCount':80,"
                + "'thoughtsTokenCount':70}}"));
        stream.accept(json("{'candidates':[],'usageMetadata':{'trafficType':'ON_DEMAND'}}"));
        assertThat(stream.finish()).contains(usage(10, 70, 0, 0, 0, 70));
    }

    @Test
    void badFiguresInAStreamAreErrors() {
        StreamUsage stream = StreamUsage.of(UsageFormat.OPENAI_CHAT);
        assertThatThrownBy(() -> stream.accept(json("{'choices':[],'usage':{'prompt_tokens':5,'completion_tokens':-1}}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage.completion_tokens");
    }

    @Test
    void ofReturnsTheAccumulatorOfEachFormat() {
        for (UsageFormat format : UsageFormat.values()) {
            StreamUsage stream = StreamUsage.of(format);
            assertThat(stream.format()).isEqualTo(format);
            assertThat(stream.usage()).isEqualTo(Optional.empty());
        }
    }
}
