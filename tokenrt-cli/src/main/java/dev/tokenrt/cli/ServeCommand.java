package dev.tokenrt.cli;

import dev.tokenrt.gateway.Gateway;
import dev.tokenrt.gateway.GatewayConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenrt serve}: the OpenAI- and Anthropic-compatible gateway. */
@Command(name = "serve", sortOptions = false,
        description = {
            "Run the gateway: point an OpenAI or Anthropic SDK at it and every request is counted, priced and",
            "recorded, with no change to the application's code.",
            "",
            "With no --config it runs on embedded defaults: the ledger in SQLite under $TOKENRT_DATA_DIR",
            "(default ./tokenrt-data), providers from OPENAI_API_KEY/OPENAI_BASE_URL, ANTHROPIC_API_KEY/",
            "ANTHROPIC_BASE_URL and GEMINI_API_KEY/GEMINI_BASE_URL, and with none of those the built-in 'fake'",
            "provider. TOKENRT_DATABASE_URL (a JDBC URL) selects PostgreSQL instead.",
            "",
            "TOKENRT_MASTER_KEY is the admin key, accepted as a Bearer key on every route; without it the",
            "gateway refuses to start unless --insecure-dev is given."},
        footer = {
            "",
            "Routes: POST /v1/chat/completions, POST /v1/messages, POST /v1/messages/count_tokens,",
            "        POST /v1/embeddings, GET /v1/models, GET /admin/v1/usage, GET /health, GET /metrics",
            "",
            "Examples:",
            "  TOKENRT_MASTER_KEY=sk-admin tokenrt serve",
            "  tokenrt serve --insecure-dev --port 4000",
            "  tokenrt serve --config tokenrt.yaml",
            "  curl -s localhost:4000/v1/chat/completions -H 'authorization: Bearer sk-admin' \\",
            "       -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"})
final class ServeCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration (providers, models, keys).")
    Path config;

    @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default 127.0.0.1, or the config's).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Port to bind (default 4000, or the config's).")
    Integer port;

    @Option(names = "--insecure-dev", description = "Start without TOKENRT_MASTER_KEY: every caller is admitted. Development only.")
    boolean insecureDev;

    @Override
    public Integer call() throws Exception {
        GatewayConfig cfg;
        try {
            cfg = GatewayConfig.load(Optional.ofNullable(config), System.getenv());
        } catch (GatewayConfig.ConfigException e) {
            throw new CliError("configuration: " + e.getMessage());
        }
        cfg = cfg.withListen(host != null ? host : cfg.host(), port != null ? port : cfg.port());
        if (cfg.masterKey().isEmpty() && !insecureDev) {
            throw new CliError("TOKENRT_MASTER_KEY is not set: set it to the admin key clients will present, "
                    + "or pass --insecure-dev to admit every caller (development only)");
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(cfg, insecureDev);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new CliError(e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("tokenrt serve: shutting down, flushing the ledger");
            gateway.close();
            stopped.countDown();
        }, "tokenrt-shutdown"));
        System.err.println(gateway.banner());
        stopped.await();
        return 0;
    }
}
