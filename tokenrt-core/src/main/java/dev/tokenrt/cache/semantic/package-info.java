/**
 * The semantic cache: an answer to an earlier question is served for a new question that means the same,
 * within an identical context. Embeddings ({@link dev.tokenrt.cache.semantic.Embedder}) and the vector
 * index ({@link dev.tokenrt.cache.semantic.VectorIndex}) are SPIs with implementations in
 * {@code tokenrt-semantic} and {@code tokenrt-store}; the decision of when a neighbour is close enough is a
 * policy calibrated to a false-hit bound.
 *
 * <p>Entry point: {@link dev.tokenrt.cache.semantic.SemanticCache#builder}. Policies:
 * {@link dev.tokenrt.cache.semantic.VerifiedPolicy} (the default: serves only where its verification feedback
 * bounds the false-hit rate, and reports the rate its audits measure) and
 * {@link dev.tokenrt.cache.semantic.FixedThresholdPolicy} (the peers' fixed cosine, kept as the baseline).
 * {@link dev.tokenrt.cache.semantic.LanguageRoutedEmbedder} picks a model by the text's script.
 */
package dev.tokenrt.cache.semantic;
