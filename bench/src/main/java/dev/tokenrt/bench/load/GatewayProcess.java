package dev.tokenrt.bench.load;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code tokenrt serve} in its own JVM (the same JDK as the bench), as an operator runs it: providers from the
 * environment (OPENAI_BASE_URL pointing at the fake upstream), the SQLite ledger in a fresh data directory,
 * metrics on. A separate process so that its CPU time and memory are its own.
 */
final class GatewayProcess implements ServerProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final List<String> command;
    private final Path dataDir;

    private GatewayProcess(Process process, int port, List<String> command, Path dataDir) {
        this.process = process;
        this.port = port;
        this.command = List.copyOf(command);
        this.dataDir = dataDir;
    }

    /**
     * Starts the gateway and waits until {@code /health} answers.
     *
     * @param cliJar        tokenrt-cli/target/tokenrt-cli.jar (its manifest names its lib/ jars)
     * @param javaOptions   JVM options, e.g. GC or flight-recorder settings
     * @param upstreamBase  the fake upstream, {@code http://127.0.0.1:port}
     */
    static GatewayProcess start(Path cliJar, List<String> javaOptions, String upstreamBase, Path dataDir, Path log)
            throws IOException, InterruptedException {
        return start(cliJar, javaOptions, List.of("--insecure-dev"),
                Map.of("OPENAI_BASE_URL", upstreamBase + "/v1", "OPENAI_API_KEY", "sk-bench-upstream"), dataDir, log);
    }

    /**
     * Starts {@code tokenrt serve} on a free loopback port with the given serve options (a config file,
     * {@code --insecure-dev}) and environment, its data (SQLite) in {@code dataDir}; waits for {@code /health}.
     */
    static GatewayProcess start(Path cliJar, List<String> javaOptions, List<String> serveOptions,
            Map<String, String> environment, Path dataDir, Path log) throws IOException, InterruptedException {
        if (!Files.isRegularFile(cliJar)) {
            throw new IllegalStateException(cliJar + " is missing: build it with ./mvnw -q -DskipTests package "
                    + "-pl tokenrt-cli,bench -am (bench/load.sh and bench/compare.sh do)");
        }
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(serveJvmOptions(cliJar)); // what ./tokenrt serve runs with; the caller's options after, to override
        cmd.addAll(javaOptions);
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-jar", cliJar.toString(), "serve"));
        cmd.addAll(serveOptions);
        cmd.addAll(List.of("--host", "127.0.0.1", "--port", Integer.toString(port)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("ANTHROPIC_") || k.startsWith("GEMINI_")
                || k.startsWith("TOKENRT_"));
        env.putAll(environment);
        env.put("TOKENRT_DATA_DIR", dataDir.toString());
        GatewayProcess gw = new GatewayProcess(pb.start(), port, cmd, dataDir);
        try {
            ServerProcess.awaitAnswer(gw.process, "the gateway", URI.create(gw.baseUrl() + "/health"),
                    status -> status == 200, Duration.ofSeconds(60), log);
        } catch (IOException | RuntimeException e) {
            gw.close();
            throw e;
        }
        return gw;
    }

    @Override
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public List<String> command() {
        return command;
    }

    /** The Prometheus scrape, or empty if it cannot be had. */
    Optional<String> metrics() {
        return get("/metrics", Map.of());
    }

    /** A GET on the gateway; the body when it answers 200, else empty. */
    Optional<String> get(String path, Map<String, String> headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10));
            headers.forEach(b::header);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** A POST of a JSON body on the gateway; the response body, whatever the status. */
    String post(String path, Map<String, String> headers, String json) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(b::header);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** Bytes of the SQLite ledger (database and write-ahead log). */
    long ledgerBytes() {
        long n = 0;
        for (String f : new String[] {"tokenrt.db", "tokenrt.db-wal"}) {
            try {
                n += Files.size(dataDir.resolve(f));
            } catch (IOException e) {
                // not there (yet)
            }
        }
        return n;
    }

    /** SIGTERM (the gateway flushes its ledger), then SIGKILL after 20 s. */
    @Override
    public void close() {
        ServerProcess.stop(process);
    }

    /** The options in bin/serve-jvm-options of the checkout the CLI jar was built in (tokenrt-cli/target/…). */
    static List<String> serveJvmOptions(Path cliJar) throws IOException {
        Path file = cliJar.toAbsolutePath().getParent().getParent().getParent().resolve("bin/serve-jvm-options");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                out.add(l);
            }
        }
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
