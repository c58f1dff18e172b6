package dev.tokenrt.pipeline;

import dev.tokenrt.usage.Usage;
import java.util.OptionalLong;

/** What usage costs on a provider's model, in nano-USD; empty when the model has no price. */
@FunctionalInterface
public interface Pricing {
    OptionalLong costNanos(String provider, String model, Usage usage);
}
