package dev.tokenrt.budget;

/**
 * Where budget alerts go (SPI): webhooks, logs, a metrics counter, the admin API's alert history. Called on
 * the request's own thread right after a settle, so a sink that does I/O must hand off to its own executor
 * (as {@link WebhookAlertSink} does) and must not throw.
 */
@FunctionalInterface
public interface AlertSink {
    void send(BudgetAlert alert);
}
