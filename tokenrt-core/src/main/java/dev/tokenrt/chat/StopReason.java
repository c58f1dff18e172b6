package dev.tokenrt.chat;

/** Why generation stopped, in neutral terms; codecs map each provider's vocabulary onto these. */
public enum StopReason {
    /** Natural end or a stop sequence (OpenAI {@code stop}, Anthropic {@code end_turn}/{@code stop_sequence}, Gemini {@code STOP}). */
    STOP,
    /** The token limit was reached (OpenAI {@code length}, Anthropic {@code max_tokens}, Gemini {@code MAX_TOKENS}). */
    LENGTH,
    /** The model called tools (OpenAI {@code tool_calls}, Anthropic {@code tool_use}). */
    TOOL_CALLS,
    /** Content was filtered or refused (OpenAI {@code content_filter}, Anthropic {@code refusal}, Gemini {@code SAFETY} etc.). */
    CONTENT_FILTER,
    /** The stream ended without a reason (client disconnect, upstream cut). */
    UNKNOWN
}
