package dev.tokenrt.budget;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.pipeline.RoutingStep;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts budget alerts to a webhook as JSON. The body's {@code text} field is a ready-made sentence, which is
 * all a Slack (or Mattermost, or Discord-via-Slack-endpoint) incoming webhook needs; the {@code tokenrt}
 * object carries the same alert as fields for programs. Delivery runs on its own executor (a virtual thread
 * per alert by default) so that a slow webhook never slows a request, and is retried with exponential
 * backoff on connection failures, 429 and 5xx; any other status is final.
 */
public final class WebhookAlertSink implements AlertSink {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookAlertSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final HttpClient client;
    private final int maxAttempts;
    private final Duration firstBackoff;
    private final Duration requestTimeout;
    private final RoutingStep.Sleeper sleeper;
    private final Executor executor;

    /** Three attempts, 1 s then 2 s apart, 10 s per attempt, on a virtual thread per alert. */
    public WebhookAlertSink(URI url) {
        this(url, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), 3, Duration.ofSeconds(1),
                Duration.ofSeconds(10), d -> Thread.sleep(d), Executors.newVirtualThreadPerTaskExecutor());
    }

    public WebhookAlertSink(URI url, HttpClient client, int maxAttempts, Duration firstBackoff, Duration requestTimeout,
            RoutingStep.Sleeper sleeper, Executor executor) {
        this.url = Objects.requireNonNull(url, "url");
        this.client = Objects.requireNonNull(client, "client");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        this.maxAttempts = maxAttempts;
        this.firstBackoff = Objects.requireNonNull(firstBackoff, "firstBackoff");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    @Override
    public void send(BudgetAlert alert) {
        executor.execute(() -> deliver(alert));
    }

    /** Delivers one alert now, with retries; true when the webhook accepted it (2xx). */
    public boolean deliver(BudgetAlert alert) {
        String body = body(alert);
        Duration backoff = firstBackoff;
        for (int attempt = 1; ; attempt++) {
            boolean retryable;
            try {
                HttpRequest req = HttpRequest.newBuilder(url).timeout(requestTimeout)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                HttpResponse<Void> resp = client.send(req, HttpResponse.BodyHandlers.discarding());
                int s = resp.statusCode();
                if (s >= 200 && s < 300) {
                    return true;
                }
                retryable = s == 429 || s >= 500;
                LOG.warn("alert webhook answered {} for {} (attempt {}/{})", s, alert.dedupKey(), attempt, maxAttempts);
            } catch (IOException e) {
                retryable = true;
                LOG.warn("alert webhook unreachable for {} (attempt {}/{}): {}", alert.dedupKey(), attempt, maxAttempts,
                        e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (!retryable || attempt >= maxAttempts) {
                LOG.error("alert {} not delivered to the webhook", alert.dedupKey());
                return false;
            }
            try {
                sleeper.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            backoff = backoff.multipliedBy(2);
        }
    }

    /** The JSON body: Slack's {@code text}, plus the alert's fields under {@code tokenrt}. */
    static String body(BudgetAlert alert) {
        ObjectNode root = JSON.createObjectNode();
        root.put("text", alert.text());
        ObjectNode a = root.putObject("tokenrt");
        Budget b = alert.budget();
        a.put("budget", b.id());
        a.put("scope", b.scope().wireName());
        a.put("scope_id", alert.member());
        a.put("period", b.period().wireName());
        a.put("metric", b.metric().wireName());
        a.put("level", alert.level().wireName());
        a.put("used", alert.used());
        a.put("limit", b.limit());
        a.put("action", b.action().wireName());
        if (!alert.window().isForever()) {
            a.put("window_start", alert.window().start().toString());
            a.put("window_end", alert.window().end().toString());
        }
        a.put("at", alert.at().toString());
        return root.toString();
    }
}
