package dev.tokenrt.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The per-model facts of {@code openai-models.json} (encodings, chat framing, image costs), read once. Keeping them as
 * data means a new OpenAI model is a line in a JSON file, not a code change.
 */
record ModelData(
        List<String> providerPrefixes,
        PrefixTable<String> encodings,
        ChatFraming defaultFraming,
        PrefixTable<ChatFraming> framing,
        PrefixTable<ImageRule> images) {

    static final String RESOURCE = "openai-models.json";

    /** How a chat request becomes prompt tokens beyond its text; see {@link ChatTokenCounter} for each constant. */
    record ChatFraming(
            int tokensPerMessage,
            int tokensPerName,
            int replyPriming,
            int functionRoleDiscount,
            int functionCallOverhead,
            int functionDefinitionsOverhead,
            int systemWithFunctionsDeduction,
            int functionCallNone,
            int functionCallNamedOverhead) {
    }

    /** How an image is billed: by 512px tiles with a base cost, or by 32px patches times a multiplier. */
    sealed interface ImageRule permits TileRule, PatchRule {
    }

    record TileRule(int baseTokens, int tileTokens) implements ImageRule {
    }

    /** The multiplier is exact decimal text from the data file, e.g. 1.62. */
    record PatchRule(BigDecimal multiplier) implements ImageRule {
    }

    private static final class Holder {
        static final ModelData BUILT_IN = load();
    }

    static ModelData builtIn() {
        return Holder.BUILT_IN;
    }

    /** Lower-case, trimmed, provider prefixes removed: the form every table is keyed by. */
    String normalise(String model) {
        String m = model.strip().toLowerCase(Locale.ROOT);
        boolean stripped = true;
        while (stripped) {
            stripped = false;
            for (String p : providerPrefixes) {
                if (m.startsWith(p)) {
                    m = m.substring(p.length());
                    stripped = true;
                }
            }
        }
        return m;
    }

    static ModelData load() {
        try (InputStream in = ModelData.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource dev/tokenrt/tokens/" + RESOURCE);
            }
            return parse(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dev/tokenrt/tokens/" + RESOURCE, e);
        }
    }

    static ModelData parse(JsonNode root) {
        List<String> providerPrefixes = new ArrayList<>();
        root.path("providerPrefixes").forEach(p -> providerPrefixes.add(p.asText().toLowerCase(Locale.ROOT)));

        JsonNode enc = root.path("encodings");
        PrefixTable<String> encodings = new PrefixTable<>(
                map(enc.path("models"), JsonNode::asText), map(enc.path("prefixes"), JsonNode::asText));
        for (String name : encodings.keys()) {
            String encoding = encodings.find(name).orElseThrow();
            if (!JTokkitTokenizer.ALL.containsKey(encoding)) {
                throw new IllegalStateException(RESOURCE + ": model '" + name + "' names unknown encoding '" + encoding
                        + "'; known: " + JTokkitTokenizer.ALL.keySet().stream().sorted().toList());
            }
        }

        JsonNode chat = root.path("chat");
        JsonNode defaults = chat.path("default");
        ChatFraming defaultFraming = framing(defaults, defaults);
        PrefixTable<ChatFraming> framing = new PrefixTable<>(Map.of(),
                map(chat.path("prefixes"), n -> framing(n, defaults)));

        PrefixTable<ImageRule> images = new PrefixTable<>(Map.of(),
                map(root.path("images").path("prefixes"), ModelData::imageRule));

        return new ModelData(List.copyOf(providerPrefixes), encodings, defaultFraming, framing, images);
    }

    private static ChatFraming framing(JsonNode n, JsonNode defaults) {
        Function<String, Integer> get = field -> {
            JsonNode v = n.has(field) ? n.get(field) : defaults.get(field);
            if (v == null || !v.isInt()) {
                throw new IllegalStateException(RESOURCE + ": chat framing needs integer '" + field + "'");
            }
            return v.intValue();
        };
        return new ChatFraming(get.apply("tokensPerMessage"), get.apply("tokensPerName"), get.apply("replyPriming"),
                get.apply("functionRoleDiscount"), get.apply("functionCallOverhead"),
                get.apply("functionDefinitionsOverhead"), get.apply("systemWithFunctionsDeduction"),
                get.apply("functionCallNone"), get.apply("functionCallNamedOverhead"));
    }

    private static ImageRule imageRule(JsonNode n) {
        return switch (n.path("rule").asText()) {
            case "tile" -> {
                int base = n.path("baseTokens").asInt(-1);
                int tile = n.path("tileTokens").asInt(-1);
                if (base <= 0 || tile <= 0) {
                    throw new IllegalStateException(RESOURCE + ": a tile rule needs positive baseTokens and tileTokens: " + n);
                }
                yield new TileRule(base, tile);
            }
            case "patch" -> new PatchRule(new BigDecimal(n.path("multiplier").asText()));
            default -> throw new IllegalStateException(RESOURCE + ": unknown image rule " + n);
        };
    }

    private static <V> Map<String, V> map(JsonNode object, Function<JsonNode, V> value) {
        Map<String, V> out = new LinkedHashMap<>();
        object.properties().forEach(e -> out.put(e.getKey().toLowerCase(Locale.ROOT), value.apply(e.getValue())));
        return out;
    }
}
