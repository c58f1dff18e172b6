package dev.tokenrt.budget;

import dev.tokenrt.ledger.LedgerEntry.Attribution;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the budget step finds the budgets that apply to a request: from configuration now, from the admin
 * API's store later. Looked up on every request, so implementations should answer from memory.
 */
public interface BudgetSource {

    /**
     * The budgets set on one member of a scope ({@code scopeId} {@code ""} for GLOBAL, {@link Budget#EACH}
     * for the budgets every member of the scope gets).
     */
    List<Budget> budgets(Scope scope, String scopeId);

    /** Every budget a request with this attribution must pass: global ones, then each scope it names. */
    default List<Applicable> applicable(Attribution attribution) {
        List<Applicable> out = new ArrayList<>();
        for (Scope scope : Scope.values()) {
            Optional<String> member = scope.idIn(attribution);
            if (member.isEmpty()) {
                continue;
            }
            for (Budget b : budgets(scope, member.get())) {
                out.add(new Applicable(b, member.get()));
            }
            if (scope != Scope.GLOBAL) {
                for (Budget b : budgets(scope, Budget.EACH)) {
                    out.add(new Applicable(b, member.get()));
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * A budget as it applies to one request: for an {@link Budget#EACH} budget, {@code member} says whose
     * counter is charged.
     */
    record Applicable(Budget budget, String member) {
        /** The counter key's budget part: the id, plus the member for a per-member budget. */
        public String counterName() {
            return budget.appliesToEachMember() ? budget.id() + ":" + member : budget.id();
        }

        /** The scope for messages, with the member filled in. */
        public String scopeText() {
            return budget.appliesToEachMember() ? budget.scope().wireName() + " '" + member + "'" : budget.scopeText();
        }
    }
}
