package dev.tokenrt.budget;

import java.time.Instant;
import java.util.Objects;

/**
 * A budget crossed a threshold in one window. Fired once per budget (and member), window and level.
 *
 * @param budget the budget
 * @param member the scope member whose counter crossed (for a per-member budget), else the budget's scope id
 * @param level  which threshold
 * @param window the window in which it was crossed
 * @param used   what had been used when it was noticed, in the budget's unit
 * @param at     when it was noticed
 */
public record BudgetAlert(Budget budget, String member, AlertLevel level, Window window, long used, Instant at) {

    public BudgetAlert {
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(at, "at");
    }

    /** What makes two alerts the same alert: budget (and member), window start and level. */
    public String dedupKey() {
        String who = budget.appliesToEachMember() ? budget.id() + ":" + member : budget.id();
        return who + "|" + window.keyPart() + "|" + level.wireName();
    }

    /** One line for people (a Slack message, a log line). */
    public String text() {
        String scope = budget.appliesToEachMember() ? budget.scope().wireName() + " '" + member + "'" : budget.scopeText();
        String what = switch (level) {
            case WARN -> "has reached its warning threshold";
            case CRITICAL -> "is nearly spent";
            case EXCEEDED -> "is exhausted";
        };
        String period = budget.period() == Period.TOTAL ? "in total" : "this " + budget.period().wireName();
        return "Budget '" + budget.id() + "' (" + scope + ") " + what + ": " + budget.format(used) + " of "
                + budget.format(budget.limit()) + " used " + period + " (action " + budget.action().wireName() + ").";
    }
}
