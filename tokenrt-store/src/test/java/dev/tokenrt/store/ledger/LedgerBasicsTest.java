package dev.tokenrt.store.ledger;

import static dev.tokenrt.store.ledger.Fixtures.DAY0;
import static dev.tokenrt.store.ledger.Fixtures.DAY1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrt.ledger.UsageQuery.Dimension;
import dev.tokenrt.store.jdbc.Dialect;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Engine-independent parts: URL dispatch, options, time mapping and query planning. */
class LedgerBasicsTest {

    @Test
    void dialectComesFromTheUrl() {
        assertThat(Dialect.of("jdbc:sqlite:/var/lib/tokenrt/tokenrt.db")).isEqualTo(Dialect.SQLITE);
        assertThat(Dialect.of("jdbc:postgresql://db:5432/tokenrt")).isEqualTo(Dialect.POSTGRESQL);
        assertThatThrownBy(() -> Dialect.of("jdbc:sqlite::memory:")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("database file");
        assertThatThrownBy(() -> Dialect.of("jdbc:mysql://db/x?password=hunter2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jdbc:mysql://db/x")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void unreachablePostgresFailsOpenWithoutLeakingThePassword() {
        // Port 1 on loopback refuses at once.
        assertThatThrownBy(() -> JdbcUsageLedger.open("jdbc:postgresql://127.0.0.1:1/x?password=hunter2",
                LedgerOptions.defaults().withBusyTimeout(Duration.ofSeconds(1))))
                .isInstanceOf(LedgerException.class)
                .hasMessageContaining("127.0.0.1:1")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void optionsValidateAndMaskThePassword() {
        LedgerOptions o = LedgerOptions.defaults().withCredentials("ledger", "s3cret");
        assertThat(o.toString()).contains("username=ledger").contains("****").doesNotContain("s3cret");
        assertThat(o.password()).contains("s3cret");
        assertThat(LedgerOptions.defaults().flushInterval()).isEqualTo(Duration.ofMillis(50));
        assertThatThrownBy(() -> LedgerOptions.defaults().withQueueCapacity(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LedgerOptions.defaults().withFlushInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LedgerOptions.defaults().withEnqueueTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(LedgerOptions.defaults().withEnqueueTimeout(Duration.ZERO).enqueueTimeout()).isZero();
    }

    @Test
    void timesMapToExactEpochNanosAndBackIncludingBeforeTheEpoch() {
        for (String s : new String[] {"2025-03-10T10:15:30.123456789Z", "1970-01-01T00:00:00Z",
                "1969-12-31T23:59:59.999999999Z", "1700-01-01T00:00:00Z", "2262-01-01T00:00:00Z"}) {
            Instant t = Instant.parse(s);
            assertThat(Rows.fromNanos(Rows.toNanos(t))).isEqualTo(t);
        }
        assertThat(Rows.epochDay(Instant.parse("1969-12-31T23:59:59Z"))).isEqualTo(-1);
        assertThatThrownBy(() -> Rows.toNanos(Instant.parse("2300-01-01T00:00:00Z")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Rows.toNanosSaturated(Instant.MAX)).isEqualTo(Long.MAX_VALUE);
        assertThat(Rows.toNanosSaturated(Instant.MIN)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void rollupAnswersOnlyDayAlignedQueriesOnItsDimensions() {
        assertThat(Reports.plan(ReferenceReport.query(DAY0, DAY1, Dimension.MODEL, Dimension.DAY, Dimension.KEY,
                Dimension.USER, Dimension.PROJECT, Dimension.TEAM, Dimension.PROVIDER))).isEqualTo(Reports.Source.ROLLUP);
        assertThat(Reports.plan(ReferenceReport.query(DAY0, DAY1))).isEqualTo(Reports.Source.ROLLUP);
        assertThat(Reports.plan(ReferenceReport.query(DAY0, DAY1, Dimension.HOUR))).isEqualTo(Reports.Source.RAW);
        assertThat(Reports.plan(ReferenceReport.query(DAY0, DAY1, Dimension.SESSION))).isEqualTo(Reports.Source.RAW);
        assertThat(Reports.plan(ReferenceReport.query(DAY0, DAY1, Dimension.TAG))).isEqualTo(Reports.Source.RAW);
        assertThat(Reports.plan(ReferenceReport.query(DAY0.plusSeconds(1), DAY1))).isEqualTo(Reports.Source.RAW);
        assertThat(Reports.plan(ReferenceReport.query(DAY0, DAY1.plusNanos(1)))).isEqualTo(Reports.Source.RAW);
    }
}
