package dev.tokenrt.budget;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PeriodTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    static Instant at(String localDateTime, ZoneId zone) {
        return ZonedDateTime.of(java.time.LocalDateTime.parse(localDateTime), zone).toInstant();
    }

    @Test
    void minuteAndHourAreClockAligned() {
        Instant t = Instant.parse("2026-05-14T10:17:42.5Z");
        assertThat(Period.MINUTE.window(t, ZoneOffset.UTC))
                .isEqualTo(new Window(Instant.parse("2026-05-14T10:17:00Z"), Instant.parse("2026-05-14T10:18:00Z")));
        assertThat(Period.HOUR.window(t, ZoneOffset.UTC))
                .isEqualTo(new Window(Instant.parse("2026-05-14T10:00:00Z"), Instant.parse("2026-05-14T11:00:00Z")));
    }

    @Test
    void hourFollowsAHalfHourZone() {
        // India is UTC+05:30: its hours start at half past the UTC hour.
        Window w = Period.HOUR.window(Instant.parse("2026-05-14T10:17:00Z"), ZoneId.of("Asia/Kolkata"));
        assertThat(w).isEqualTo(new Window(Instant.parse("2026-05-14T09:30:00Z"), Instant.parse("2026-05-14T10:30:00Z")));
    }

    @Test
    void dayIsTheZonesDayNotUtcs() {
        // 23:30 UTC on 14 May is already 15 May in Berlin (UTC+2 in summer).
        Window w = Period.DAY.window(Instant.parse("2026-05-14T23:30:00Z"), BERLIN);
        assertThat(w).isEqualTo(new Window(Instant.parse("2026-05-14T22:00:00Z"), Instant.parse("2026-05-15T22:00:00Z")));
    }

    @Test
    void daysAcrossDaylightSavingLast23And25Hours() {
        // EU summer time 2026 starts Sunday 29 March and ends Sunday 25 October.
        Window spring = Period.DAY.window(at("2026-03-29T12:00", BERLIN), BERLIN);
        assertThat(spring.start()).isEqualTo(Instant.parse("2026-03-28T23:00:00Z"));
        assertThat(spring.length()).isEqualTo(Duration.ofHours(23));
        Window autumn = Period.DAY.window(at("2026-10-25T12:00", BERLIN), BERLIN);
        assertThat(autumn.start()).isEqualTo(Instant.parse("2026-10-24T22:00:00Z"));
        assertThat(autumn.length()).isEqualTo(Duration.ofHours(25));
    }

    @Test
    void theRepeatedHourOfAFallBackNightIsTwoWindows() {
        // US DST 2026 ends Sunday 1 November at 02:00 EDT: 01:00-02:00 happens twice.
        Instant firstPass = Instant.parse("2026-11-01T05:30:00Z");  // 01:30 EDT (-04:00)
        Instant secondPass = Instant.parse("2026-11-01T06:30:00Z"); // 01:30 EST (-05:00)
        Window a = Period.HOUR.window(firstPass, NEW_YORK);
        Window b = Period.HOUR.window(secondPass, NEW_YORK);
        assertThat(a).isEqualTo(new Window(Instant.parse("2026-11-01T05:00:00Z"), Instant.parse("2026-11-01T06:00:00Z")));
        assertThat(b).isEqualTo(new Window(Instant.parse("2026-11-01T06:00:00Z"), Instant.parse("2026-11-01T07:00:00Z")));
    }

    @Test
    void aDayWhoseMidnightIsSkippedStartsAtTheFirstValidTime() {
        // Brazil started DST at 00:00 on 4 November 2018: that day began at 01:00 local (-02:00).
        ZoneId saoPaulo = ZoneId.of("America/Sao_Paulo");
        Window w = Period.DAY.window(Instant.parse("2018-11-04T12:00:00Z"), saoPaulo);
        assertThat(w.start()).isEqualTo(Instant.parse("2018-11-04T03:00:00Z"));
        assertThat(w.length()).isEqualTo(Duration.ofHours(23));
    }

    @Test
    void weekStartsOnMonday() {
        // Thursday 14 May 2026 → Monday 11 May to Monday 18 May.
        Window w = Period.WEEK.window(Instant.parse("2026-05-14T10:00:00Z"), ZoneOffset.UTC);
        assertThat(w).isEqualTo(new Window(Instant.parse("2026-05-11T00:00:00Z"), Instant.parse("2026-05-18T00:00:00Z")));
        // A Monday at midnight starts its own week; the Sunday before belongs to the last one.
        assertThat(Period.WEEK.window(Instant.parse("2026-05-18T00:00:00Z"), ZoneOffset.UTC).start())
                .isEqualTo(Instant.parse("2026-05-18T00:00:00Z"));
        assertThat(Period.WEEK.window(Instant.parse("2026-05-17T23:59:59Z"), ZoneOffset.UTC).start())
                .isEqualTo(Instant.parse("2026-05-11T00:00:00Z"));
    }

    @Test
    void monthIsTheCalendarMonth() {
        Window feb = Period.MONTH.window(Instant.parse("2028-02-29T12:00:00Z"), ZoneOffset.UTC);
        assertThat(feb).isEqualTo(new Window(Instant.parse("2028-02-01T00:00:00Z"), Instant.parse("2028-03-01T00:00:00Z")));
        assertThat(feb.length()).isEqualTo(Duration.ofDays(29));
        // March in Berlin loses an hour to summer time.
        Window march = Period.MONTH.window(Instant.parse("2026-03-15T00:00:00Z"), BERLIN);
        assertThat(march.start()).isEqualTo(Instant.parse("2026-02-28T23:00:00Z"));
        assertThat(march.end()).isEqualTo(Instant.parse("2026-03-31T22:00:00Z"));
        assertThat(march.length()).isEqualTo(Duration.ofDays(31).minusHours(1));
    }

    @Test
    void totalNeverResets() {
        Window w = Period.TOTAL.window(Instant.parse("2026-05-14T10:00:00Z"), BERLIN);
        assertThat(w.isForever()).isTrue();
        assertThat(w.reopensIn(Instant.parse("2026-05-14T10:00:00Z"))).isEmpty();
        assertThat(w.keyPart()).isEqualTo("total");
    }

    /** Walking through a year in 17-minute steps, windows contain their instant and tile time without gaps. */
    @ParameterizedTest
    @EnumSource(value = Period.class, names = {"MINUTE", "HOUR", "DAY", "WEEK", "MONTH"})
    void windowsTileTimeAcrossDstChanges(Period period) {
        for (ZoneId zone : new ZoneId[] {BERLIN, NEW_YORK, ZoneId.of("Australia/Sydney"), ZoneOffset.UTC}) {
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            Window previous = period.window(t, zone);
            while (t.isBefore(Instant.parse("2027-01-01T00:00:00Z"))) {
                Window w = period.window(t, zone);
                assertThat(w.contains(t)).as("%s %s %s", period, zone, t).isTrue();
                if (!w.equals(previous)) {
                    assertThat(w.start()).as("%s %s follows %s", period, zone, previous).isEqualTo(previous.end());
                    previous = w;
                }
                t = t.plus(period == Period.MINUTE ? Duration.ofSeconds(37) : Duration.ofMinutes(17));
                if (period == Period.MINUTE && t.isAfter(Instant.parse("2026-04-10T00:00:00Z"))) {
                    break; // minutes are the same in every zone; this stretch covers three DST changes
                }
            }
        }
    }
}
