package dev.tokenrt.gateway;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * A gateway in a process of its own, started from a YAML file exactly as {@code tokenrt serve --config} does
 * (the CLI module cannot be a dependency of this one), so that a test can kill it with SIGKILL. Listens on
 * a free port and prints {@code listening <port>} on standard output once it serves.
 */
public final class GatewayChild {

    private GatewayChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        GatewayConfig config = GatewayConfig.load(Optional.of(Path.of(args[0])), System.getenv());
        Gateway gateway = Gateway.start(config.withListen(config.host(), 0), false);
        System.out.println("listening " + gateway.port());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
