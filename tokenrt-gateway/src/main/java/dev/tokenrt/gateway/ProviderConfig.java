package dev.tokenrt.gateway;

import dev.tokenrt.pipeline.RetryPolicy;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One upstream provider. {@code apiKey} is a secret: it is sent upstream and nowhere else, and
 * {@link #toString()} never shows it.
 *
 * @param name     the name routes and the ledger use ({@code openai}, {@code my-vllm}, …)
 * @param kind     which wire format it speaks
 * @param baseUrl  e.g. {@code https://api.openai.com/v1}; any OpenAI-compatible server is {@link Kind#OPENAI} with its own URL
 * @param apiKey   the provider key, empty for servers that need none
 * @param timeouts connect, first byte and idle timeouts
 * @param retry    retries on 429/5xx/timeouts before falling back
 */
public record ProviderConfig(String name, Kind kind, String baseUrl, Optional<String> apiKey, Timeouts timeouts,
        RetryPolicy retry) {

    public ProviderConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(retry, "retry");
        baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    @Override
    public String toString() {
        return "ProviderConfig[name=" + name + ", kind=" + kind + ", baseUrl=" + baseUrl + ", apiKey="
                + (apiKey.isPresent() ? "<set>" : "<none>") + ", timeouts=" + timeouts + ", retry=" + retry + "]";
    }

    /** The wire formats an upstream can speak. */
    public enum Kind {
        OPENAI, ANTHROPIC, GEMINI, FAKE;

        public static Kind parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "openai", "openai-compatible", "openai_compatible", "azure", "vllm", "ollama", "deepseek" -> OPENAI;
                case "anthropic" -> ANTHROPIC;
                case "gemini", "google" -> GEMINI;
                case "fake" -> FAKE;
                default -> throw new IllegalArgumentException(
                        "unknown provider kind '" + s + "': expected openai, openai-compatible, anthropic, gemini or fake");
            };
        }
    }

    /**
     * @param connect   to open the TCP connection
     * @param firstByte from sending the request to the first response byte
     * @param idle      longest silence between two chunks of a streamed response
     */
    public record Timeouts(Duration connect, Duration firstByte, Duration idle) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(120),
                Duration.ofSeconds(60));
    }
}
