package dev.tokenrt.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Decides where a model name goes: configured aliases and routes first (each an ordered list of targets,
 * the later ones being fallbacks), then a default resolver (e.g. "the provider the catalog names for this
 * model, if it is configured").
 */
public final class Router {

    /** One place a request can be sent: a configured provider and the model id to ask it for. */
    public record Target(String provider, String upstreamModel) {
        public Target {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(upstreamModel, "upstreamModel");
        }
    }

    private final Map<String, List<Target>> routes;
    private final Function<String, Optional<Target>> fallbackResolver;

    public Router(Map<String, List<Target>> routes, Function<String, Optional<Target>> defaultResolver) {
        this.routes = Map.copyOf(routes);
        this.fallbackResolver = defaultResolver;
    }

    /** The ordered targets for a model name; empty when nothing serves it. */
    public List<Target> resolve(String model) {
        List<Target> configured = routes.get(model);
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        return fallbackResolver.apply(model).map(List::of).orElse(List.of());
    }

    /** Every model name with a configured route (aliases included), for {@code /v1/models}. */
    public Map<String, List<Target>> routes() {
        return routes;
    }
}
