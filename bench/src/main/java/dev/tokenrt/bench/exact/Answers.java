package dev.tokenrt.bench.exact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenrt.cache.CacheKey;
import dev.tokenrt.cache.CachedResponse;
import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.ChatResponse;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Role;
import dev.tokenrt.chat.StopReason;
import dev.tokenrt.cache.RequestFingerprint;
import dev.tokenrt.usage.Usage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Realistic cache entries for the exact-cache benchmarks: GPT-4's 805 real answers from AlpacaEval (evaluation
 * only, read from {@code ../shared/data}, never committed; median 1,312 characters), each stored under the key of
 * its own real instruction, repeated with a counter to reach any number of entries.
 */
final class Answers {

    static final Path DEFAULT = Path.of("../shared/data/workload/alpaca_eval/gpt4.model_outputs.json");

    record Sample(String instruction, String output) {
    }

    static List<Sample> load() {
        Path p = Path.of(System.getProperty("tokenrt.bench.answers", DEFAULT.toString()));
        try {
            JsonNode all = new ObjectMapper().readTree(p.toFile());
            List<Sample> out = new ArrayList<>();
            all.forEach(n -> out.add(new Sample(n.path("instruction").asText(), n.path("output").asText())));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the AlpacaEval answers at " + p.toAbsolutePath()
                    + " (set -Dtokenrt.bench.answers): " + e.getMessage(), e);
        }
    }

    /** Entry i: sample i mod 805, its request made unique by the counter, keyed as the gateway keys it. */
    static CacheKey key(List<Sample> samples, int i) {
        Sample s = samples.get(i % samples.size());
        ChatRequest r = ChatRequest.of("gpt-4o-mini", List.of(Message.text(Role.USER, s.instruction() + " #" + i)));
        return new CacheKey("project:bench", RequestFingerprint.exact(r, "openai", "gpt-4o-mini"));
    }

    static CachedResponse entry(List<Sample> samples, int i, Instant now) {
        Sample s = samples.get(i % samples.size());
        // A copy of the text per entry, as every real entry has its own: sharing the 805 samples' strings would
        // undercount the memory an entry takes.
        ChatResponse r = new ChatResponse("chatcmpl-" + i, "gpt-4o-mini-2024-07-18",
                List.of(new Part.Text(new String(s.output().toCharArray()))),
                StopReason.STOP, Usage.of(40 + s.instruction().length() / 4, s.output().length() / 4), now.getEpochSecond());
        return new CachedResponse(r, "openai", "gpt-4o-mini", now, now.plus(Duration.ofHours(6)), List.of("bench"));
    }

    private Answers() {
    }
}
