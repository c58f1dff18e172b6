package dev.tokenrt.budget;

import java.time.Instant;
import java.util.Objects;

/**
 * A fired alert as it is kept (in the shared database, or in memory): the budget's figures as they were when it
 * fired, so the record stays true after the budget is changed or deleted.
 *
 * @param dedupKey what makes two alerts the same alert ({@link BudgetAlert#dedupKey}): one record per key
 * @param budgetId the budget's id
 * @param member   whose counter crossed (the scope id; the member of a per-member budget; {@code ""} for global)
 * @param scope    the budget's scope
 * @param period   the budget's period
 * @param metric   the budget's metric
 * @param level    which threshold was crossed
 * @param window   the window it was crossed in ({@link Window#FOREVER} for a total budget)
 * @param used     what had been used when it was noticed, in the metric's unit
 * @param limit    the budget's limit then
 * @param action   the budget's action then
 * @param text     the sentence sent to webhooks
 * @param firedAt  when it fired
 */
public record AlertRecord(String dedupKey, String budgetId, String member, Scope scope, Period period, Metric metric,
        AlertLevel level, Window window, long used, long limit, Action action, String text, Instant firedAt) {

    public AlertRecord {
        Objects.requireNonNull(dedupKey, "dedupKey");
        Objects.requireNonNull(budgetId, "budgetId");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(firedAt, "firedAt");
    }

    public static AlertRecord of(BudgetAlert a) {
        Budget b = a.budget();
        return new AlertRecord(a.dedupKey(), b.id(), a.member(), b.scope(), b.period(), b.metric(), a.level(),
                a.window(), a.used(), b.limit(), b.action(), a.text(), a.at());
    }
}
