package dev.tokenrt.store.budget;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Shared alert de-duplication on a real SQLite file (replicas on one machine share it). */
class SqliteAlertLogTest extends AlertLogContract {

    @TempDir
    Path dir;

    @Override
    String url() {
        return "jdbc:sqlite:" + dir.resolve("tokenrt.db");
    }
}
