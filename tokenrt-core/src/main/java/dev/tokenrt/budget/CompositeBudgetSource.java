package dev.tokenrt.budget;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Several budget sources seen as one, for {@code BudgetStep.builder().budgets(...)}: typically the admin
 * registry (team, project, user and global budgets), a key's own budgets and tier cap ({@link KeyBudgets}),
 * and the configuration file's budgets.
 *
 * <pre>{@code
 * BudgetSource budgets = CompositeBudgetSource.of(registry,
 *         KeyBudgets.builder().keys(keyStore).tiers(config.tiers()).build());
 * BudgetStep step = BudgetStep.builder().budgets(budgets)...build();
 * }</pre>
 *
 * <p>Budgets are answered in source order; a budget whose id an earlier source already answered is left out,
 * because two budgets with one id share one counter and the request would be held twice against it.
 */
public final class CompositeBudgetSource implements BudgetSource {

    private final List<BudgetSource> sources;

    public CompositeBudgetSource(List<? extends BudgetSource> sources) {
        this.sources = List.copyOf(sources);
    }

    public static CompositeBudgetSource of(BudgetSource... sources) {
        return new CompositeBudgetSource(List.of(sources));
    }

    public List<BudgetSource> sources() {
        return sources;
    }

    @Override
    public List<Budget> budgets(Scope scope, String scopeId) {
        List<Budget> out = null;
        Set<String> ids = null;
        for (BudgetSource s : sources) {
            List<Budget> some = s.budgets(scope, scopeId);
            if (some.isEmpty()) {
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(some.size());
                ids = new HashSet<>();
            }
            for (Budget b : some) {
                if (ids.add(b.id())) {
                    out.add(b);
                }
            }
        }
        return out == null ? List.of() : List.copyOf(out);
    }
}
