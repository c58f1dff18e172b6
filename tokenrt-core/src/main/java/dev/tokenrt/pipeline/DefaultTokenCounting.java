package dev.tokenrt.pipeline;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.chat.Message;
import dev.tokenrt.chat.Part;
import dev.tokenrt.chat.Tool;
import dev.tokenrt.pricing.ModelPrice;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.provider.OpenAiChatFormat;
import dev.tokenrt.tokens.CalibratingEstimator;
import dev.tokenrt.tokens.ChatTokenCounter;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.tokens.Tokenizer;
import dev.tokenrt.tokens.Tokenizers;
import dev.tokenrt.tokens.ProviderEstimators;
import java.util.Locale;
import java.util.Optional;

/**
 * Counting for the pipeline: exact for models with a known tokenizer (OpenAI's, and any open model
 * registered with its {@code tokenizer.json}), counting chat framing, tools and images as OpenAI bills them;
 * the provider's calibrated estimator for Claude and Gemini; and for anything else an o200k count marked
 * estimated, so a number is always available for budgets and never passed off as exact.
 */
public final class DefaultTokenCounting implements TokenCounting {

    /** Per-message framing assumed for estimates (OpenAI's is 3 plus 3 for the reply). */
    private static final int ESTIMATED_TOKENS_PER_MESSAGE = 3;

    private final Tokenizers tokenizers;
    private final ChatTokenCounter chat;
    private final ProviderEstimators estimators;
    private final PricingCatalog catalog;
    private final OpenAiChatFormat openAi = new OpenAiChatFormat();
    private final Tokenizer fallback;

    public DefaultTokenCounting(Tokenizers tokenizers, ProviderEstimators estimators, PricingCatalog catalog) {
        this.tokenizers = tokenizers;
        this.chat = new ChatTokenCounter(tokenizers);
        this.estimators = estimators;
        this.catalog = catalog;
        this.fallback = tokenizers.forEncoding("o200k_base");
    }

    @Override
    public TokenCount prompt(ChatRequest request, String model) {
        if (tokenizers.forModel(model).isPresent()) {
            return chat.countPrompt(model, openAi.writeRequest(request, model));
        }
        String text = render(request);
        long framing = (long) ESTIMATED_TOKENS_PER_MESSAGE * (request.messages().size() + 1);
        return TokenCount.estimated(estimator(model).map(e -> (long) e.countTokens(text))
                .orElseGet(() -> (long) fallback.countTokens(text)) + framing);
    }

    @Override
    public TokenCount completion(String text, String model) {
        Optional<Tokenizer> exact = tokenizers.forModel(model);
        if (exact.isPresent()) {
            return exact.get().count(text);
        }
        return TokenCount.estimated(estimator(model).map(e -> (long) e.countTokens(text))
                .orElseGet(() -> (long) fallback.countTokens(text)));
    }

    /** The calibrating estimator of the model's provider (Claude → anthropic, Gemini → google), if any. */
    Optional<CalibratingEstimator> estimator(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        if (m.startsWith("claude")) {
            return estimators.get("anthropic");
        }
        if (m.startsWith("gemini") || m.startsWith("models/gemini")) {
            return estimators.get("google");
        }
        return catalog.find(model).map(ModelPrice::provider).flatMap(estimators::get);
    }

    /** The text an estimate is made from: every message part and tool definition, in order. */
    static String render(ChatRequest r) {
        StringBuilder sb = new StringBuilder();
        for (Message m : r.messages()) {
            sb.append(m.role().name().toLowerCase(Locale.ROOT)).append('\n');
            for (Part p : m.parts()) {
                switch (p) {
                    case Part.Text t -> sb.append(t.text());
                    case Part.ToolCall c -> sb.append(c.name()).append(c.arguments());
                    case Part.ToolResult res -> sb.append(res.content());
                    case Part.Thinking th -> sb.append(th.text());
                    case Part.Image i -> sb.append(' ');
                }
                sb.append('\n');
            }
        }
        for (Tool t : r.tools()) {
            sb.append(t.name()).append('\n').append(t.description()).append('\n').append(t.parameters()).append('\n');
        }
        return sb.toString();
    }
}
