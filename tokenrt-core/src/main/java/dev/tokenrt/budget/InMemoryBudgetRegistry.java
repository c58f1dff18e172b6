package dev.tokenrt.budget;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Budgets held in memory, indexed by scope member: the configuration file's budgets, and what the admin API
 * sets at run time. Reads (every request) see an immutable snapshot; writes (rare) rebuild it.
 */
public final class InMemoryBudgetRegistry implements BudgetRegistry {

    private record Member(Scope scope, String scopeId) {
    }

    private final Map<String, Budget> byId = new LinkedHashMap<>();
    private volatile Map<Member, List<Budget>> index = Map.of();

    public InMemoryBudgetRegistry() {
    }

    public InMemoryBudgetRegistry(Collection<Budget> budgets) {
        budgets.forEach(this::put);
    }

    /** Adds a budget or replaces the one with the same id. */
    public synchronized InMemoryBudgetRegistry put(Budget budget) {
        byId.put(budget.id(), budget);
        reindex();
        return this;
    }

    public synchronized Optional<Budget> remove(String id) {
        Budget removed = byId.remove(id);
        reindex();
        return Optional.ofNullable(removed);
    }

    @Override
    public synchronized Budget create(Budget budget) {
        if (byId.containsKey(budget.id())) {
            throw new DuplicateBudgetException(budget.id());
        }
        put(budget);
        return budget;
    }

    @Override
    public synchronized Optional<Budget> replace(Budget budget) {
        if (!byId.containsKey(budget.id())) {
            return Optional.empty();
        }
        put(budget);
        return Optional.of(budget);
    }

    @Override
    public synchronized List<Budget> list() {
        return all();
    }

    @Override
    public Optional<Budget> delete(String id) {
        return remove(id);
    }

    @Override
    public synchronized Optional<Budget> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public synchronized List<Budget> all() {
        return List.copyOf(byId.values());
    }

    @Override
    public List<Budget> budgets(Scope scope, String scopeId) {
        return index.getOrDefault(new Member(scope, scopeId), List.of());
    }

    private void reindex() {
        Map<Member, List<Budget>> m = new HashMap<>();
        for (Budget b : byId.values()) {
            m.computeIfAbsent(new Member(b.scope(), b.scopeId()), k -> new ArrayList<>()).add(b);
        }
        Map<Member, List<Budget>> frozen = new HashMap<>();
        m.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
        index = Map.copyOf(frozen);
    }
}
