package dev.tokenrt.budget;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;

/**
 * How often a budget starts afresh. Windows are calendar-aligned in a configured time zone ("the day" is
 * the team's day, not UTC's), so a day across a daylight-saving change lasts 23 or 25 hours and a month
 * lasts its own number of days. {@link #TOTAL} never resets.
 */
public enum Period {
    MINUTE, HOUR, DAY, WEEK, MONTH, TOTAL;

    /**
     * The window holding {@code now} in {@code zone}.
     *
     * <ul>
     *   <li>MINUTE and HOUR start at the local wall-clock boundary and last a real minute or hour (so the
     *       repeated hour of an autumn DST change is two windows, and the skipped one is none);</li>
     *   <li>DAY, WEEK (Monday to Monday, ISO-8601) and MONTH run from one local start of day to the next,
     *       which {@link LocalDate#atStartOfDay(ZoneId)} places correctly even where midnight itself is
     *       skipped by a DST change;</li>
     *   <li>TOTAL is {@link Window#FOREVER}.</li>
     * </ul>
     */
    public Window window(Instant now, ZoneId zone) {
        ZonedDateTime local = now.atZone(zone);
        return switch (this) {
            case MINUTE -> clockAligned(local, ChronoUnit.MINUTES);
            case HOUR -> clockAligned(local, ChronoUnit.HOURS);
            case DAY -> days(local.toLocalDate(), local.toLocalDate().plusDays(1), zone);
            case WEEK -> {
                LocalDate monday = local.toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
                yield days(monday, monday.plusWeeks(1), zone);
            }
            case MONTH -> {
                LocalDate first = local.toLocalDate().withDayOfMonth(1);
                yield days(first, first.plusMonths(1), zone);
            }
            case TOTAL -> Window.FOREVER;
        };
    }

    private static Window clockAligned(ZonedDateTime local, ChronoUnit unit) {
        // truncatedTo works on the local time line and keeps the current offset inside a repeated hour,
        // so the two 01:00-02:00 hours of a fall-back night are told apart.
        Instant start = local.truncatedTo(unit).toInstant();
        return new Window(start, start.plus(unit.getDuration()));
    }

    private static Window days(LocalDate first, LocalDate next, ZoneId zone) {
        return new Window(first.atStartOfDay(zone).toInstant(), next.atStartOfDay(zone).toInstant());
    }

    /** The configuration spelling: {@code minute}, {@code hour}, … */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Period parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
