/**
 * Prices and cost: the bundled catalog generated from public sources ({@link dev.tokenrt.pricing.PricingCatalog},
 * built by {@link dev.tokenrt.pricing.CatalogBuilder}), exact per-model prices with provenance
 * ({@link dev.tokenrt.pricing.ModelPrice}), and exact cost arithmetic in nano-dollars
 * ({@link dev.tokenrt.pricing.CostCalculator}, {@link dev.tokenrt.pricing.Cost}, {@link dev.tokenrt.pricing.Money}).
 */
package dev.tokenrt.pricing;
