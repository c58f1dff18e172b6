package dev.tokenrt.gateway;

import dev.tokenrt.TokenRuntime;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.pipeline.CatalogPricing;
import dev.tokenrt.pipeline.DefaultTokenCounting;
import dev.tokenrt.pipeline.Router;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.pricing.PricingCatalog;
import dev.tokenrt.provider.AnthropicMessagesFormat;
import dev.tokenrt.provider.OpenAiChatFormat;
import dev.tokenrt.provider.ProviderTransport;
import dev.tokenrt.provider.fake.FakeProvider;
import dev.tokenrt.keys.CachingKeyStore;
import dev.tokenrt.keys.KeyStore;
import dev.tokenrt.store.keys.JdbcKeyStore;
import dev.tokenrt.store.ledger.JdbcUsageLedger;
import dev.tokenrt.store.ledger.LedgerOptions;
import dev.tokenrt.tokens.ProviderEstimators;
import dev.tokenrt.tokens.Tokenizers;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Builds and runs the gateway from a {@link GatewayConfig}: ledger, tokenizers, pricing, transports, the
 * pipeline and the HTTP server. The one place where the gateway's parts are put together.
 */
public final class Gateway implements AutoCloseable {

    private final GatewayConfig config;
    private final GatewayServer server;

    private Gateway(GatewayConfig config, GatewayServer server) {
        this.config = config;
        this.server = server;
    }

    /** Starts with the system clock, the catalog's prices and the ledger the configuration names. */
    public static Gateway start(GatewayConfig config, boolean insecureDev) {
        requireMasterKey(config, insecureDev);
        return start(config, insecureDev, Clock.systemUTC(),
                config.bare() ? BarePipeline.LEDGER : openLedger(config.databaseUrl()));
    }

    private static void requireMasterKey(GatewayConfig config, boolean insecureDev) {
        if (config.masterKey().isEmpty() && !insecureDev) {
            throw new IllegalStateException("TOKENRT_MASTER_KEY is not set and --insecure-dev was not given");
        }
    }

    public static Gateway start(GatewayConfig config, boolean insecureDev, Clock clock, UsageLedger ledger) {
        return start(config, insecureDev, clock, ledger, JdbcKeyStore.open(config.databaseUrl(), LedgerOptions.defaults()));
    }

    public static Gateway start(GatewayConfig config, boolean insecureDev, Clock clock, UsageLedger ledger,
            KeyStore store) {
        requireMasterKey(config, insecureDev);
        // Every request authenticates; the key it found is kept for keys.cache_ttl_ms (CachingKeyStore says what a
        // revocation then waits for).
        KeyStore keys = CachingKeyStore.of(store, config.keyCacheTtl());
        Tokenizers tokenizers = Tokenizers.defaults();
        PricingCatalog catalog = PricingCatalog.bundled();
        TokenCounting counting = new DefaultTokenCounting(tokenizers, ProviderEstimators.withDefaults(), catalog);
        CatalogPricing pricing = new CatalogPricing(catalog);
        GatewayMetrics metrics = new GatewayMetrics();
        Vertx vertx = GatewayServer.newVertx();
        UpstreamHttp http = new UpstreamHttp(vertx);

        TokenRuntime.Builder rt = config.bare()
                ? TokenRuntime.builder().clock(clock).ledger(BarePipeline.LEDGER).counting(BarePipeline.COUNTING)
                        .pricing(BarePipeline.PRICING)
                : TokenRuntime.builder().clock(clock).ledger(ledger).counting(counting).pricing(pricing)
                        .observer(metrics).upstreamTimer(metrics::upstreamTime);
        for (ProviderConfig p : config.providers().values()) {
            rt.provider(transport(p, config.fake(), counting, http), p.retry());
        }
        config.models().forEach(rt::route);
        rt.defaultRoute(defaultRoute(config, catalog));
        // The cache answers before rate limits and budgets: a hit buys nothing, so it spends neither.
        Caches caches = Caches.open(config, clock, counting, metrics, http, pricing, ledger);
        Budgets budgets = Budgets.open(config, clock, counting, pricing, keys, metrics);
        if (!config.bare()) {
            caches.step().ifPresent(rt::beforeCall);
            budgets.steps().forEach(rt::beforeCall);
        }
        TokenRuntime runtime = rt.build();

        ClientFace openAi = new ClientFace(new OpenAiChatFormat());
        ClientFace anthropic = new ClientFace(new AnthropicMessagesFormat());
        EmbeddingsApi embeddings = new EmbeddingsApi(config, runtime, counting, pricing, List.of(metrics), http, openAi);
        GatewayServer server = new GatewayServer(config, runtime, counting, metrics, insecureDev, vertx, openAi, anthropic,
                embeddings, keys, budgets, caches).listen();
        return new Gateway(config, server);
    }

    static ProviderTransport transport(ProviderConfig p, FakeProvider.Options fake, TokenCounting counting,
            UpstreamHttp http) {
        return switch (p.kind()) {
            case FAKE -> new FakeProvider(counting, fake);
            case OPENAI -> HttpTransport.openAi(p, http);
            case ANTHROPIC -> HttpTransport.anthropic(p, http);
            case GEMINI -> HttpTransport.gemini(p, http);
        };
    }

    /**
     * Models without a configured route go to the provider the catalog (or the name's family) says serves
     * them, when that provider is configured; with a single provider configured, everything goes there
     * (a lone vLLM or Ollama, or the fake provider).
     */
    static java.util.function.Function<String, Optional<Router.Target>> defaultRoute(GatewayConfig config,
            PricingCatalog catalog) {
        Map<ProviderConfig.Kind, List<ProviderConfig>> byKind = config.providers().values().stream()
                .collect(Collectors.groupingBy(ProviderConfig::kind));
        return model -> {
            if (config.providers().size() == 1) {
                return Optional.of(new Router.Target(config.providers().keySet().iterator().next(), model));
            }
            Optional<ProviderConfig.Kind> kind = family(model, catalog);
            return kind.map(byKind::get).filter(l -> !l.isEmpty())
                    .map(l -> new Router.Target(l.get(0).name(), model));
        };
    }

    static Optional<ProviderConfig.Kind> family(String model, PricingCatalog catalog) {
        String m = model.toLowerCase(Locale.ROOT);
        if (m.startsWith("claude")) {
            return Optional.of(ProviderConfig.Kind.ANTHROPIC);
        }
        if (m.startsWith("gemini") || m.startsWith("models/gemini")) {
            return Optional.of(ProviderConfig.Kind.GEMINI);
        }
        if (m.startsWith("gpt-") || m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4")
                || m.startsWith("text-embedding") || m.startsWith("chatgpt")) {
            return Optional.of(ProviderConfig.Kind.OPENAI);
        }
        return catalog.find(model).map(p -> switch (p.provider()) {
            case "anthropic" -> ProviderConfig.Kind.ANTHROPIC;
            case "google", "gemini", "vertex_ai" -> ProviderConfig.Kind.GEMINI;
            default -> ProviderConfig.Kind.OPENAI;
        });
    }

    static UsageLedger openLedger(String url) {
        if (url.startsWith("jdbc:sqlite:")) {
            Path file = Path.of(url.substring("jdbc:sqlite:".length()));
            try {
                Path dir = file.toAbsolutePath().getParent();
                if (dir != null) {
                    Files.createDirectories(dir);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot create the data directory for " + file + ": " + e.getMessage(), e);
            }
        }
        return JdbcUsageLedger.open(url, LedgerOptions.defaults());
    }

    public int port() {
        return server.port();
    }

    public String baseUrl() {
        return "http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + port();
    }

    public TokenRuntime runtime() {
        return server.runtime();
    }

    /** The response cache (for tests: waiting until queued writes to the shared layers are done). */
    Caches caches() {
        return server.caches();
    }

    /** What the operator sees at start: where it listens, which providers, where the ledger is. No secrets. */
    public String banner() {
        StringBuilder sb = new StringBuilder();
        sb.append("tokenrt gateway listening on ").append(baseUrl()).append('\n');
        for (ProviderConfig p : config.providers().values()) {
            sb.append("  provider ").append(p.name()).append(" (").append(p.kind().name().toLowerCase(Locale.ROOT))
                    .append(p.kind() == ProviderConfig.Kind.FAKE ? ", built-in: deterministic answers, no upstream"
                            : ", " + p.baseUrl() + (p.apiKey().isPresent() ? ", key set" : ", no key"))
                    .append(")\n");
        }
        String db = config.databaseUrl().replaceAll("(?i)(password=)[^&;]*", "$1***");
        sb.append("  ledger ").append(db).append('\n');
        CacheConfig c = config.cache();
        sb.append("  cache ").append(!c.enabled() ? "off" : (c.memoryMaxBytes() > 0 ? "memory" : "")
                + (c.redisUrl().isPresent() ? " redis" : "") + (c.database() ? " database" : "")
                + (c.semantic().enabled() ? " semantic (" + c.semantic().embedder() + ", " + c.semantic().index() + ", "
                        + c.semantic().policy() + ")" : "")
                + ", isolation " + c.settings().isolation().wireName()).append('\n');
        sb.append("  auth ").append(config.masterKey().isPresent() ? "TOKENRT_MASTER_KEY required" : "OFF (--insecure-dev)");
        if (config.bare()) {
            sb.append("\n  pipeline BARE: nothing counted, priced, budgeted or recorded (benchmarks only)");
        }
        return sb.toString();
    }

    /** Drains requests in flight, flushes the ledger, then stops Vert.x (which closes the upstream client). */
    @Override
    public void close() {
        server.close();
    }
}
