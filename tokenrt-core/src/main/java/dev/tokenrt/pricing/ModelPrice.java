package dev.tokenrt.pricing;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The prices and limits of one model at one provider, as the catalog holds them. The same model sold by
 * two providers is two entries ({@code openai/gpt-4o} and {@code azure/gpt-4o}) because their prices and
 * limits can differ.
 *
 * <p>Prices are exact decimals in USD per one million tokens ({@link Price#usdPerMillion()}), each carrying
 * its own source and date; {@link #source()} and {@link #sourceDate()} name where the entry as a whole came
 * from (a price corrected by an override keeps the entry's origin here and names the override itself).
 *
 * @param id              the model name as the provider's API takes it, without a provider prefix
 * @param provider        canonical provider id (see {@link Providers})
 * @param mode            the endpoint kind
 * @param rates           base prices; {@code input} is always present
 * @param tiers           long-context tiers, ascending by threshold (often empty)
 * @param contextWindow   maximum input tokens, when known
 * @param maxOutputTokens maximum output tokens, when known
 * @param aliases         other names that mean this exact model at this provider
 * @param source          origin of the entry: {@code litellm} or {@code override}
 * @param sourceDate      date of that origin
 * @param deprecationDate when the provider retires the model, when announced
 */
public record ModelPrice(
        String id,
        String provider,
        ModelMode mode,
        Rates rates,
        List<PriceTier> tiers,
        OptionalLong contextWindow,
        OptionalLong maxOutputTokens,
        List<String> aliases,
        String source,
        LocalDate sourceDate,
        Optional<LocalDate> deprecationDate) {

    public ModelPrice {
        requireText(id, "id");
        requireText(provider, "provider");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(rates, "rates");
        Objects.requireNonNull(contextWindow, "contextWindow");
        Objects.requireNonNull(maxOutputTokens, "maxOutputTokens");
        requireText(source, "source");
        Objects.requireNonNull(sourceDate, "sourceDate");
        Objects.requireNonNull(deprecationDate, "deprecationDate");
        if (rates.input().isEmpty()) {
            throw new IllegalArgumentException(provider + "/" + id + ": an input price is required");
        }
        if (mode != ModelMode.EMBEDDING && rates.output().isEmpty()) {
            throw new IllegalArgumentException(provider + "/" + id + ": an output price is required for " + mode.wireName());
        }
        List<PriceTier> sorted = new ArrayList<>(Objects.requireNonNull(tiers, "tiers"));
        sorted.sort(Comparator.comparingLong(PriceTier::aboveInputTokens));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).aboveInputTokens() == sorted.get(i - 1).aboveInputTokens()) {
                throw new IllegalArgumentException(provider + "/" + id + ": two tiers above "
                        + sorted.get(i).aboveInputTokens() + " tokens");
            }
        }
        tiers = List.copyOf(sorted);
        aliases = List.copyOf(Objects.requireNonNull(aliases, "aliases"));
        if (contextWindow.isPresent() && contextWindow.getAsLong() <= 0) {
            throw new IllegalArgumentException(provider + "/" + id + ": contextWindow must be positive");
        }
        if (maxOutputTokens.isPresent() && maxOutputTokens.getAsLong() <= 0) {
            throw new IllegalArgumentException(provider + "/" + id + ": maxOutputTokens must be positive");
        }
    }

    /** {@code provider/id}, the key that is unique in a catalog. */
    public String qualifiedId() {
        return provider + "/" + id;
    }

    /** The uncached input price (always present). */
    public Price input() {
        return rates.input().orElseThrow();
    }

    public Optional<Price> output() {
        return rates.output();
    }

    /** The tier that applies to a prompt of {@code inputTokens} tokens (all of them, cached included), if any. */
    public Optional<PriceTier> tierFor(long inputTokens) {
        PriceTier applied = null;
        for (PriceTier tier : tiers) {
            if (tier.appliesTo(inputTokens)) {
                applied = tier;
            }
        }
        return Optional.ofNullable(applied);
    }

    public ModelPrice withRates(Rates newRates) {
        return new ModelPrice(id, provider, mode, newRates, tiers, contextWindow, maxOutputTokens, aliases,
                source, sourceDate, deprecationDate);
    }

    public ModelPrice withTiers(List<PriceTier> newTiers) {
        return new ModelPrice(id, provider, mode, rates, newTiers, contextWindow, maxOutputTokens, aliases,
                source, sourceDate, deprecationDate);
    }

    public ModelPrice withAliases(List<String> newAliases) {
        return new ModelPrice(id, provider, mode, rates, tiers, contextWindow, maxOutputTokens, newAliases,
                source, sourceDate, deprecationDate);
    }

    private static void requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("model " + field + " is required");
        }
    }
}
