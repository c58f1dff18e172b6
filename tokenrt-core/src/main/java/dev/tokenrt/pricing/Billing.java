package dev.tokenrt.pricing;

/**
 * How a request was submitted, which decides the rate card: the standard synchronous API or a provider's
 * batch API (OpenAI Batch, Anthropic Message Batches, Vertex batch prediction), which is billed at a discount.
 */
public enum Billing {
    /** The ordinary synchronous API. */
    STANDARD,
    /** A batch API: the model's batch prices, see {@link CostCalculator} for kinds that have none. */
    BATCH
}
