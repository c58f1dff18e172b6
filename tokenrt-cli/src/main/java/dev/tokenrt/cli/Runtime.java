package dev.tokenrt.cli;

import dev.tokenrt.pricing.ModelPrice;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.tokens.ProviderEstimators;
import dev.tokenrt.tokens.Tokenizer;
import dev.tokenrt.tokens.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The shared, lazily built pieces the commands use: the tokenizer registry, the pricing catalog (with the
 * user's override file when {@code TOKENRT_PRICING_OVERRIDES} names one) and the estimators.
 */
final class Runtime {
    private static volatile Tokenizers tokenizers;
    private static volatile PricingCatalog catalog;
    private static volatile ProviderEstimators estimators;

    private Runtime() {
    }

    static Tokenizers tokenizers() {
        if (tokenizers == null) {
            tokenizers = Tokenizers.defaults();
        }
        return tokenizers;
    }

    static PricingCatalog catalog() {
        if (catalog == null) {
            PricingCatalog c = PricingCatalog.bundled();
            String overrides = System.getenv("TOKENRT_PRICING_OVERRIDES");
            if (overrides != null && !overrides.isBlank()) {
                Path p = Path.of(overrides);
                if (!Files.isReadable(p)) {
                    throw new CliError("TOKENRT_PRICING_OVERRIDES: cannot read " + p);
                }
                try {
                    c = c.withOverrides(p);
                } catch (IllegalArgumentException e) {
                    throw new CliError(e.getMessage());
                }
            }
            catalog = c;
        }
        return catalog;
    }

    static ProviderEstimators estimators() {
        if (estimators == null) {
            estimators = ProviderEstimators.withDefaults();
        }
        return estimators;
    }

    /**
     * The tokenizer for a model: exact when its tokenizer is known, else the calibrated estimator of the
     * model's provider (Claude, Gemini), else an error naming the model.
     */
    static Tokenizer tokenizerForModel(String model) {
        Optional<Tokenizer> exact = tokenizers().forModel(model);
        if (exact.isPresent()) {
            return exact.get();
        }
        Optional<ModelPrice> price = catalog().find(model);
        if (price.isPresent()) {
            Optional<? extends Tokenizer> est = estimators().get(price.get().provider());
            if (est.isPresent()) {
                return est.get();
            }
        }
        throw new CliError("unknown model '" + model + "': no tokenizer or estimator for it (try --encoding or --tokenizer)");
    }
}
