package dev.tokenrt.bench.load;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The peer: Portkey's open-source gateway ({@code @portkey-ai/gateway}, installed by {@code bench/compare.sh} from
 * npm with a pinned version and lockfile) run with the machine's node and its defaults. It is told where the
 * provider is per request ({@code x-portkey-provider: openai}, {@code x-portkey-custom-host}), so it needs no
 * configuration. It binds every interface, which is why the comparison runs in a network namespace with only
 * loopback up.
 */
final class PortkeyProcess implements ServerProcess {

    private final Process process;
    private final int port;
    private final List<String> command;

    private PortkeyProcess(Process process, int port, List<String> command) {
        this.process = process;
        this.port = port;
        this.command = List.copyOf(command);
    }

    /**
     * @param packageDir the directory npm installed into ({@code node_modules/@portkey-ai/gateway} inside it)
     */
    static PortkeyProcess start(String node, Path packageDir, Path log) throws IOException, InterruptedException {
        Path server = packageDir.resolve("node_modules/@portkey-ai/gateway/build/start-server.js");
        if (!Files.isRegularFile(server)) {
            throw new IllegalStateException(server + " is missing: bench/compare.sh installs it");
        }
        int port = GatewayProcess.freePort();
        List<String> cmd = List.of(node, server.toString(), "--port=" + port);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(packageDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        PortkeyProcess p = new PortkeyProcess(pb.start(), port, cmd);
        try {
            ServerProcess.awaitAnswer(p.process, "portkey", URI.create(p.baseUrl() + "/"), status -> status < 500,
                    Duration.ofSeconds(60), log);
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** The headers that send a request through Portkey to the fake upstream as an OpenAI provider. */
    static Map<String, String> routeHeaders(String upstreamBase, String upstreamKey) {
        return Map.of("authorization", "Bearer " + upstreamKey, "x-portkey-provider", "openai",
                "x-portkey-custom-host", upstreamBase + "/v1");
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

    @Override
    public void close() {
        ServerProcess.stop(process);
    }
}
