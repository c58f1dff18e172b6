package dev.tokenrt.store.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.budget.Scope;
import dev.tokenrt.store.ledger.LedgerOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget registry contract on a real SQLite file in a temporary directory. */
class SqliteBudgetRegistryTest extends BudgetRegistryContract {

    @TempDir
    Path dir;

    @Override
    String url() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }

    @Test
    void theEmbeddedDefaultSharesTheLedgersFile() {
        try (JdbcBudgetRegistry r = JdbcBudgetRegistry.sqlite(dir.resolve("data"))) {
            r.create(TEAM);
        }
        try (JdbcBudgetRegistry again = JdbcBudgetRegistry.open("jdbc:sqlite:" + dir.resolve("data/tokenrt.db"),
                LedgerOptions.defaults(), JdbcBudgetRegistry.Options.defaults())) {
            assertThat(again.budgets(Scope.TEAM, "acme")).containsExactly(TEAM);
        }
    }

    @Test
    void refusesInMemoryDatabasesAndOtherEngines() {
        assertThatThrownBy(() -> JdbcBudgetRegistry.open("jdbc:sqlite::memory:", LedgerOptions.defaults(),
                JdbcBudgetRegistry.Options.defaults())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("database file");
        assertThatThrownBy(() -> JdbcBudgetRegistry.open("jdbc:mysql://h/db?password=hunter2",
                LedgerOptions.defaults(), JdbcBudgetRegistry.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("hunter2");
    }
}
