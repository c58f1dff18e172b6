package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Calls made on behalf of a request's event loop stay on that loop, with a client (and connections) of its own. */
class UpstreamHttpLoopTest {

    private Vertx vertx;
    private HttpServer upstream;
    private UpstreamHttp http;
    /** The client connections the upstream saw, by the local port of the gateway's side. */
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        upstream = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            clientPorts.add(req.connection().remoteAddress().port());
            req.response().putHeader("content-type", "application/json").end("{\"echo\":" + b.length() + "}");
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        http = new UpstreamHttp(vertx);
    }

    @AfterEach
    void stop() {
        http.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** Two contexts on different event loops: the contexts of two instances of a verticle (one loop each). */
    private List<Context> twoLoops() throws Exception {
        List<Context> contexts = new CopyOnWriteArrayList<>();
        vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start() {
                contexts.add(context);
            }
        }, new DeploymentOptions().setInstances(2)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        Set<Thread> loops = ConcurrentHashMap.newKeySet();
        for (Context c : contexts) {
            CompletableFuture<Thread> loop = new CompletableFuture<>();
            c.runOnContext(v -> loop.complete(Thread.currentThread()));
            loops.add(loop.get(5, TimeUnit.SECONDS));
        }
        assertThat(loops).as("two instances, two event loops").hasSize(2);
        return List.copyOf(contexts);
    }

    private String url() {
        return "http://127.0.0.1:" + upstream.actualPort() + "/v1/chat/completions";
    }

    @Test
    void eachLoopGetsItsOwnClientAndCallsWithoutALoopUseTheSharedOne() throws Exception {
        List<Context> loops = twoLoops();
        try (var vts = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<UpstreamHttp.Reply>> replies = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Context home = loops.get(i % 2);
                replies.add(vts.submit(() -> {
                    UpstreamHttp.Reply[] r = new UpstreamHttp.Reply[1];
                    UpstreamHttp.onBehalfOf(home, () -> r[0] = http.post(url(), Map.of(), Buffer.buffer("{\"n\":1}"),
                            ProviderConfig.Timeouts.DEFAULT, "up"));
                    return r[0];
                }));
            }
            for (Future<UpstreamHttp.Reply> f : replies) {
                UpstreamHttp.Reply r = f.get(10, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().toString()).isEqualTo("{\"echo\":7}");
            }
            assertThat(http.loopClients()).isEqualTo(2);
            // Without a loop (a library caller, a background task): the shared client, no new one.
            UpstreamHttp.Reply plain = vts.submit(() -> http.post(url(), Map.of(), Buffer.buffer("{}"),
                    ProviderConfig.Timeouts.DEFAULT, "up")).get(10, TimeUnit.SECONDS);
            assertThat(plain.status()).isEqualTo(200);
            assertThat(http.loopClients()).isEqualTo(2);
            // One after another on one loop: that loop's pooled connections are kept alive and reused.
            int connections = clientPorts.size();
            for (int i = 0; i < 10; i++) {
                Context home = loops.get(0);
                vts.submit(() -> UpstreamHttp.onBehalfOf(home, () -> assertThat(http.post(url(), Map.of(),
                        Buffer.buffer("{}"), ProviderConfig.Timeouts.DEFAULT, "up").status()).isEqualTo(200)))
                        .get(10, TimeUnit.SECONDS);
            }
            assertThat(clientPorts).as("keep-alive connections reused, not one a call").hasSize(connections);
        }
    }
}
