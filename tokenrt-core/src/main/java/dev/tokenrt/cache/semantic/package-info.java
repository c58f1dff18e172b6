/**
 * The semantic cache: an answer to an earlier question is served for a new question that means the same,
 * within an identical context. Embeddings ({@link dev.tokenrt.cache.semantic.Embedder}) and the vector
 * index ({@link dev.tokenrt.cache.semantic.VectorIndex}) are SPIs with implementations in
 * {@code tokenrt-semantic} and {@code tokenrt-store}; the decision of when a neighbour is close enough is a
 * policy calibrated to a false-hit bound.
 */
package dev.tokenrt.cache.semantic;
