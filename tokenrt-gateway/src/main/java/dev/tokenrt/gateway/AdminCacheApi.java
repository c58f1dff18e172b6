package dev.tokenrt.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrt.cache.CacheLayerException;
import dev.tokenrt.cache.Invalidation;
import dev.tokenrt.cache.MemoryResponseCache;
import dev.tokenrt.cache.ResponseCache;
import dev.tokenrt.pipeline.GatewayError;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The response cache on the admin API:
 * <ul>
 *   <li>{@code DELETE /admin/v1/cache?namespace=project:search&model=gpt-4o&tag=faq&older_than=2h} removes what
 *       every given condition matches, in every layer, and answers {@code {"deleted": N}}. {@code project=},
 *       {@code team=} and {@code key=} name a namespace by its parts; with no condition at all the request must
 *       say {@code all=true}, so that an empty query string never wipes the cache by accident.</li>
 *   <li>{@code GET /admin/v1/cache} shows whether it is on, its layers and their sizes.</li>
 * </ul>
 */
final class AdminCacheApi {

    private static final Pattern AGE = Pattern.compile("(\\d+)\\s*([smhd]?)");

    private final Caches caches;
    private final Clock clock;
    private final ClientFace errors;

    AdminCacheApi(Caches caches, Clock clock, ClientFace errors) {
        this.caches = caches;
        this.clock = clock;
        this.errors = errors;
    }

    void invalidate(HttpServerRequest req) {
        if (caches.cache().isEmpty()) {
            fail(req, GatewayError.Kind.INVALID_REQUEST, "The response cache is off (cache.enabled in the configuration).",
                    "cache_disabled");
            return;
        }
        Invalidation which;
        try {
            which = parse(req);
        } catch (IllegalArgumentException e) {
            fail(req, GatewayError.Kind.INVALID_REQUEST, e.getMessage(), "invalid_invalidation");
            return;
        }
        long n;
        try {
            n = caches.cache().get().invalidate(which);
        } catch (CacheLayerException e) {
            fail(req, GatewayError.Kind.UNAVAILABLE, "A cache layer could not be reached, so the invalidation may be "
                    + "incomplete; try again: " + e.getMessage(), "cache_layer_unavailable");
            return;
        }
        // The semantic index only points at exact entries, so one whose entry is gone is never served (and is dropped
        // when next found); a whole namespace, or everything, is dropped from it at once.
        ObjectNode out = GatewayServer.JSON.createObjectNode().put("deleted", n);
        if (caches.semantic().isPresent() && which.model().isEmpty() && which.tag().isEmpty()
                && which.storedBefore().isEmpty()) {
            try {
                out.put("semantic_deleted", caches.semantic().get().stage().forget(which.namespace()));
            } catch (RuntimeException e) {
                fail(req, GatewayError.Kind.UNAVAILABLE, "The semantic index could not be reached; its entries point at "
                        + "answers that are gone and will not be served: " + e.getMessage(), "cache_layer_unavailable");
                return;
            }
        }
        GatewayServer.json(req.response(), 200, out);
    }

    Invalidation parse(HttpServerRequest req) {
        Invalidation w = Invalidation.ALL;
        String ns = req.getParam("namespace");
        int parts = 0;
        for (String kind : new String[] {"project", "team", "key"}) {
            String v = req.getParam(kind);
            if (v != null && !v.isBlank()) {
                parts++;
                ns = kind + ":" + v;
            }
        }
        if (parts > 1 || (parts == 1 && req.getParam("namespace") != null)) {
            throw new IllegalArgumentException("Name one namespace: namespace=, project=, team= or key=.");
        }
        if (ns != null && !ns.isBlank()) {
            w = w.withNamespace(ns);
        }
        String model = req.getParam("model");
        if (model != null && !model.isBlank()) {
            w = w.withModel(model);
        }
        String tag = req.getParam("tag");
        if (tag != null && !tag.isBlank()) {
            w = w.withTag(tag);
        }
        String age = req.getParam("older_than");
        if (age != null && !age.isBlank()) {
            w = w.withStoredBefore(clock.instant().minus(age(age)));
        }
        if (w.everything() && !"true".equals(req.getParam("all"))) {
            throw new IllegalArgumentException("Say what to invalidate (namespace, project, team, key, model, tag, "
                    + "older_than), or all=true to empty the whole cache.");
        }
        return w;
    }

    /** {@code 90} (seconds), {@code 90s}, {@code 15m}, {@code 2h}, {@code 7d}. */
    static Duration age(String s) {
        Matcher m = AGE.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("older_than must be a number of seconds or like 90s, 15m, 2h, 7d; got '"
                    + s + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "", "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    void status(HttpServerRequest req) {
        CacheConfig c = caches.config();
        ObjectNode o = GatewayServer.JSON.createObjectNode();
        o.put("enabled", c.enabled());
        o.put("isolation", c.settings().isolation().wireName());
        o.put("ttl_seconds", c.settings().defaultTtl().toSeconds());
        o.put("only_deterministic", c.settings().deterministicOnly());
        ArrayNode layers = o.putArray("layers");
        caches.cache().ifPresent(l -> {
            for (ResponseCache layer : l.layers()) {
                ObjectNode n = layers.addObject().put("name", layer.name());
                try {
                    n.put("entries", layer.size());
                    if (layer instanceof MemoryResponseCache m) { // off the heap: what it has taken of its bound
                        n.put("direct_bytes", m.directBytes()).put("max_bytes", c.memoryMaxBytes());
                    }
                } catch (CacheLayerException e) {
                    n.put("error", e.getMessage());
                }
            }
        });
        caches.semantic().ifPresent(p -> {
            ObjectNode sem = o.putObject("semantic");
            sem.put("embedder", p.embedder().id());
            sem.put("index", caches.config().semantic().index());
            try {
                sem.put("entries", p.index().size());
            } catch (RuntimeException e) {
                sem.put("error", e.getMessage());
            }
            var r = p.stage().cache().report();
            sem.put("policy", r.policy());
            sem.put("lookups", r.lookups());
            sem.put("served", r.served());
            sem.put("verifications", r.verifications());
            r.threshold().ifPresent(t -> sem.put("serving_from_score", t));
            r.bound().ifPresent(b -> sem.put("false_hit_rate_bound", b));
            if (r.falseHitRate().n() > 0) {
                sem.put("achieved_false_hit_rate", r.falseHitRate().estimate());
                sem.put("achieved_false_hit_rate_upper", r.falseHitRate().upper());
            }
            sem.put("summary", r.summary());
        });
        GatewayServer.json(req.response(), 200, o);
    }

    private void fail(HttpServerRequest req, GatewayError.Kind kind, String message, String code) {
        GatewayServer.fail(req.response(), errors, GatewayError.of(kind, message).withCode(code), "");
    }
}
