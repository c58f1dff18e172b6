/**
 * Token counting: {@link dev.tokenrt.tokens.Tokenizer} (exact tiktoken encodings through JTokkit, or anything another
 * module registers), {@link dev.tokenrt.tokens.Tokenizers} (which tokenizer counts for which model; the OpenAI table is
 * the data file {@code openai-models.json}), {@link dev.tokenrt.tokens.CachingTokenizer} (a count cache that cannot
 * change a count) and {@link dev.tokenrt.tokens.ChatTokenCounter} (a chat-completions request's prompt tokens as OpenAI
 * bills them). Every count is a {@link dev.tokenrt.tokens.TokenCount} that says whether it is exact.
 */
package dev.tokenrt.tokens;
