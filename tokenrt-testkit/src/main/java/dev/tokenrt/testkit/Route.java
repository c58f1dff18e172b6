package dev.tokenrt.testkit;

/** The provider endpoints the fake upstream serves; requests are counted and recorded per route. */
public enum Route {
    /** OpenAI {@code POST /v1/chat/completions}, streamed or not. */
    OPENAI_CHAT("POST", "/v1/chat/completions"),
    /** OpenAI {@code POST /v1/embeddings}. */
    OPENAI_EMBEDDINGS("POST", "/v1/embeddings"),
    /** OpenAI {@code GET /v1/models}. */
    OPENAI_MODELS("GET", "/v1/models"),
    /** Anthropic {@code POST /v1/messages}, streamed or not. */
    ANTHROPIC_MESSAGES("POST", "/v1/messages"),
    /** Gemini {@code POST /v1beta/models/{model}:generateContent}. */
    GEMINI_GENERATE("POST", "/v1beta/models/{model}:generateContent"),
    /** Gemini {@code POST /v1beta/models/{model}:streamGenerateContent} ({@code ?alt=sse} for server-sent events). */
    GEMINI_STREAM("POST", "/v1beta/models/{model}:streamGenerateContent");

    private final String method;
    private final String pathTemplate;

    Route(String method, String pathTemplate) {
        this.method = method;
        this.pathTemplate = pathTemplate;
    }

    public String method() {
        return method;
    }

    public String pathTemplate() {
        return pathTemplate;
    }
}
