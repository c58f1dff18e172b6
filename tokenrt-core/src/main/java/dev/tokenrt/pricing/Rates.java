package dev.tokenrt.pricing;

import java.util.Objects;
import java.util.Optional;

/**
 * The prices of one model (or of one long-context tier of it), one optional field per {@link PriceKind}.
 * An absent price is {@link Optional#empty()}, never zero and never null: "free" and "unknown" are
 * different facts, and {@link CostCalculator} documents the fallback it uses for each absent kind.
 */
public record Rates(
        Optional<Price> input,
        Optional<Price> output,
        Optional<Price> cacheRead,
        Optional<Price> cacheWrite5m,
        Optional<Price> cacheWrite1h,
        Optional<Price> reasoning,
        Optional<Price> batchInput,
        Optional<Price> batchOutput) {

    public static final Rates NONE = new Rates(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    public Rates {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(cacheRead, "cacheRead");
        Objects.requireNonNull(cacheWrite5m, "cacheWrite5m");
        Objects.requireNonNull(cacheWrite1h, "cacheWrite1h");
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(batchInput, "batchInput");
        Objects.requireNonNull(batchOutput, "batchOutput");
    }

    public Optional<Price> get(PriceKind kind) {
        return switch (kind) {
            case INPUT -> input;
            case OUTPUT -> output;
            case CACHE_READ -> cacheRead;
            case CACHE_WRITE_5M -> cacheWrite5m;
            case CACHE_WRITE_1H -> cacheWrite1h;
            case REASONING -> reasoning;
            case BATCH_INPUT -> batchInput;
            case BATCH_OUTPUT -> batchOutput;
        };
    }

    /** A copy with one kind set ({@code Optional.empty()} removes it). */
    public Rates with(PriceKind kind, Optional<Price> price) {
        Objects.requireNonNull(price, "price");
        return new Rates(
                kind == PriceKind.INPUT ? price : input,
                kind == PriceKind.OUTPUT ? price : output,
                kind == PriceKind.CACHE_READ ? price : cacheRead,
                kind == PriceKind.CACHE_WRITE_5M ? price : cacheWrite5m,
                kind == PriceKind.CACHE_WRITE_1H ? price : cacheWrite1h,
                kind == PriceKind.REASONING ? price : reasoning,
                kind == PriceKind.BATCH_INPUT ? price : batchInput,
                kind == PriceKind.BATCH_OUTPUT ? price : batchOutput);
    }

    public Rates with(PriceKind kind, Price price) {
        return with(kind, Optional.of(price));
    }

    /** These rates with every price {@code other} holds laid over them. */
    public Rates overlaidWith(Rates other) {
        Rates result = this;
        for (PriceKind kind : PriceKind.values()) {
            Optional<Price> price = other.get(kind);
            if (price.isPresent()) {
                result = result.with(kind, price);
            }
        }
        return result;
    }

    public boolean isEmpty() {
        for (PriceKind kind : PriceKind.values()) {
            if (get(kind).isPresent()) {
                return false;
            }
        }
        return true;
    }
}
