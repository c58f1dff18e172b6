package dev.tokenrt.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenrt.pipeline.UpstreamException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every stage of a provider call ends by its deadline, kept on the event loop: the caller's thread waits without
 * one of its own. Against a real HTTP server on loopback that answers late, half or never.
 */
class UpstreamHttpDeadlineTest {

    private Vertx vertx;
    private HttpServer upstream;
    private UpstreamHttp http;
    private final AtomicInteger arrived = new AtomicInteger();
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer().requestHandler(req -> {
            arrived.incrementAndGet();
            switch (req.path()) {
                case "/never" -> { } // holds the request: no head, ever
                case "/half" -> req.response().setChunked(true).putHeader("content-type", "application/json")
                        .write("{\"partial\":"); // a head and part of the body, then nothing
                case "/sse-stall" -> sse(req.response()).write("data: {\"n\":0}\n\n"); // one event, then silence
                case "/sse-slow" -> { // six events 100 ms apart, then the end
                    var resp = sse(req.response());
                    AtomicInteger sent = new AtomicInteger();
                    vertx.setPeriodic(100, id -> {
                        int n = sent.getAndIncrement();
                        if (n < 6) {
                            resp.write("data: {\"n\":" + n + "}\n\n");
                        } else {
                            vertx.cancelTimer(id);
                            resp.end("data: [DONE]\n\n");
                        }
                    });
                }
                default -> req.body().onSuccess(b -> req.response().end("{\"ok\":true}"));
            }
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        http = new UpstreamHttp(vertx);
    }

    private static io.vertx.core.http.HttpServerResponse sse(io.vertx.core.http.HttpServerResponse r) {
        return r.setChunked(true).putHeader("content-type", "text/event-stream");
    }

    @AfterEach
    void stop() {
        callers.shutdownNow();
        http.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + upstream.actualPort() + path;
    }

    private Future<UpstreamHttp.Reply> call(String path, ProviderConfig.Timeouts t) {
        return callers.submit(() -> http.post(url(path), Map.of(), Buffer.buffer("{}"), t, "up"));
    }

    private static UpstreamException failure(Future<UpstreamHttp.Reply> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(UpstreamException.class);
            return (UpstreamException) e.getCause();
        }
        throw new AssertionError("the call answered instead of timing out");
    }

    private static ProviderConfig.Timeouts timeouts(long connectMs, long firstByteMs) {
        return new ProviderConfig.Timeouts(Duration.ofMillis(connectMs), Duration.ofMillis(firstByteMs),
                Duration.ofSeconds(30));
    }

    /** The events' data until the end, or the failure that ended the stream (its message). */
    private List<String> pull(String path, long idleMs) throws Exception {
        return callers.submit(() -> {
            List<String> got = new ArrayList<>();
            try (UpstreamHttp.SseSource s = http.stream(url(path), Map.of(), Buffer.buffer("{}"),
                    new ProviderConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(idleMs)),
                    "up")) {
                for (var e = s.next(); e.isPresent(); e = s.next()) {
                    got.add(e.get().data());
                }
            } catch (UpstreamException e) {
                got.add((e.isTimeout() ? "timeout: " : "failed: ") + e.getMessage());
            }
            return got;
        }).get(20, TimeUnit.SECONDS);
    }

    @Test
    void aStreamThatFallsSilentEndsWithAnIdleTimeoutAfterWhatCame() throws Exception {
        long t0 = System.nanoTime();
        assertThat(pull("/sse-stall", 300)).containsExactly("{\"n\":0}", "timeout: up: no data for 300 ms");
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 10_000L);
    }

    @Test
    void aStreamThatHasEndedAnswersTheSameWhenAskedAgain() throws Exception {
        ProviderConfig.Timeouts t = new ProviderConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofMillis(300));
        callers.submit(() -> {
            try (UpstreamHttp.SseSource s = http.stream(url("/sse-stall"), Map.of(), Buffer.buffer("{}"), t, "up")) {
                assertThat(s.next()).isPresent();
                UpstreamException first = catchThrowableOfType(UpstreamException.class, s::next);
                assertThat(first.isTimeout()).isTrue();
                assertThat(catchThrowableOfType(UpstreamException.class, s::next)).isSameAs(first);
            }
            try (UpstreamHttp.SseSource s = http.stream(url("/sse-slow"), Map.of(), Buffer.buffer("{}"), t, "up")) {
                int events = 0;
                while (s.next().isPresent()) {
                    events++;
                }
                assertThat(events).isEqualTo(7);
                assertThat(s.next()).isEmpty();
            }
            return null;
        }).get(20, TimeUnit.SECONDS);
    }

    @Test
    void closingAStreamWakesAReaderWaitingForItsNextEvent() throws Exception {
        UpstreamHttp.SseSource s = callers.submit(() -> http.stream(url("/sse-stall"), Map.of(), Buffer.buffer("{}"),
                timeouts(5_000, 5_000), "up")).get(10, TimeUnit.SECONDS); // idle: 30 s
        Future<String> reader = callers.submit(() -> {
            assertThat(s.next()).isPresent();
            try {
                s.next(); // the stream is silent now: this waits until close()
                return "returned";
            } catch (UpstreamException e) {
                return e.getMessage();
            }
        });
        Thread.sleep(200);
        assertThat(reader.isDone()).as("waiting for the next event").isFalse();
        s.close(); // as when the gateway's client goes away mid-stream
        assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo("up: stream closed");
        assertThat(catchThrowableOfType(UpstreamException.class, s::next)).hasMessage("up: stream closed");
    }

    @Test
    void aStreamWhoseEventsComeMoreOftenThanTheIdleDeadlineIsReadToTheEnd() throws Exception {
        // 100 ms apart against 250 ms of idle: the deadline passes its first period with data seen, and waits on.
        assertThat(pull("/sse-slow", 250)).containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}",
                "{\"n\":4}", "{\"n\":5}", "[DONE]");
    }

    @Test
    void noHeadWithinTheFirstByteDeadlineIsATimeout() throws Exception {
        long t0 = System.nanoTime();
        UpstreamException e = failure(call("/never", timeouts(5_000, 300)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e.isTimeout()).isTrue();
        assertThat(e.getMessage()).isEqualTo("up: no response within 300 ms");
        assertThat(ms).isBetween(250L, 10_000L);
        // The same client still answers: the timed-out request was reset, not left holding the pool.
        assertThat(call("/ok", timeouts(5_000, 5_000)).get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @Test
    void aBodyThatStopsHalfWayIsATimeoutOfItsOwn() throws Exception {
        UpstreamException e = failure(call("/half", timeouts(5_000, 300)));
        assertThat(e.isTimeout()).isTrue();
        assertThat(e.getMessage()).isEqualTo("up: body not complete within 300 ms");
    }

    @Test
    void waitingForAConnectionIsBoundedByTheConnectDeadline() throws Exception {
        // Fill the client's pool (256 connections to one host) with calls the server never answers.
        List<Future<UpstreamHttp.Reply>> holding = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            holding.add(call("/never", timeouts(30_000, 30_000)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (arrived.get() < 256) {
            assertThat(System.nanoTime()).as("256 requests reach the server").isLessThan(deadline);
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        UpstreamException e = failure(call("/ok", timeouts(200, 30_000)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // Vert.x bounds the wait for a pooled connection by the connect timeout itself; the event loop's own
        // connect deadline (connect + 1 s) is only a backstop behind it.
        assertThat(e.getMessage()).startsWith("up: cannot connect: ").contains("200 ms");
        assertThat(ms).as("the connect timeout, 200 ms").isBetween(150L, 10_000L);
        assertThat(arrived.get()).as("the call that timed out is never sent").isEqualTo(256);
        holding.forEach(f -> f.cancel(true));
    }
}
