package dev.tokenrt.gateway;

import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.pipeline.GatewayError;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** {@code GET /admin/v1/usage}: usage grouped by any dimension over any period, from the ledger. */
public final class AdminApi {

    private final UsageLedger ledger;
    private final Clock clock;
    private final ClientFace errors;

    AdminApi(UsageLedger ledger, Clock clock, ClientFace errors) {
        this.ledger = ledger;
        this.clock = clock;
        this.errors = errors;
    }

    void usage(HttpServerRequest req) {
        UsageQuery q;
        try {
            q = query(req.getParam("group_by"), req.getParam("from"), req.getParam("to"), clock.instant());
        } catch (IllegalArgumentException e) {
            GatewayServer.fail(req.response(), errors,
                    GatewayError.of(GatewayError.Kind.INVALID_REQUEST, e.getMessage()), "");
            return;
        }
        // Rows appended a moment ago are still queued: flush so a report never misses a finished request.
        ledger.flush(Duration.ofSeconds(5));
        GatewayServer.json(req.response(), 200, UsageJson.render(ledger.query(q)));
    }

    public static UsageQuery query(String groupBy, String from, String to, Instant now) {
        List<UsageQuery.Dimension> dims = new ArrayList<>();
        if (groupBy != null && !groupBy.isBlank()) {
            for (String g : groupBy.split(",")) {
                UsageQuery.Dimension d = UsageQuery.Dimension.parse(g);
                if (!dims.contains(d)) {
                    dims.add(d);
                }
            }
        }
        Instant end = to == null || to.isBlank() ? now.plusSeconds(1) : instant(to, "to");
        Instant start = from == null || from.isBlank() ? end.minus(Duration.ofDays(30)) : instant(from, "from");
        if (!start.isBefore(end)) {
            throw new IllegalArgumentException("'from' (" + start + ") must be before 'to' (" + end + ")");
        }
        return new UsageQuery(dims, start, end);
    }

    /** ISO-8601: an instant ({@code 2026-11-01T00:00:00Z}), an offset date-time, or a date (midnight UTC). */
    static Instant instant(String s, String name) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException e2) {
                try {
                    return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException e3) {
                    throw new IllegalArgumentException("'" + name + "' is not an ISO-8601 date or instant: '" + s + "'");
                }
            }
        }
    }
}
