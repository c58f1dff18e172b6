package dev.tokenrt.budget;

import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pricing.ModelPrice;
import java.util.Optional;

/**
 * The catalog entry a budget reserves and settles by: the budget step needs a model's separate input and
 * output prices and its maximum output, which the pipeline's {@link dev.tokenrt.pipeline.Pricing} does not
 * expose. Give it the same catalog as the pipeline's pricing so that settled cost equals recorded cost.
 */
@FunctionalInterface
public interface PriceLookup {

    /** The price of {@code model} as served by {@code provider} (a configured provider name); empty if unpriced. */
    Optional<ModelPrice> find(String provider, String model);

    static PriceLookup of(CatalogPricing pricing) {
        return pricing::find;
    }
}
