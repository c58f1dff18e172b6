package dev.tokenrt.bench.load;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * An open-loop HTTP load generator for OpenAI-style chat requests: a fixed arrival rate, each request sent at its
 * scheduled time over pooled keep-alive connections, latency measured from that scheduled time (see
 * {@link OpenLoop}). It exists because the gateway's target is a latency added at a given request rate, which a
 * closed-loop tool (one request per connection at a time) cannot measure: when the server slows, such a tool
 * slows with it and stops sending the very requests that would have waited.
 *
 * <p>One Vert.x event loop does all the I/O; a pacing thread wakes at each scheduled time (parkNanos, so about
 * 0.1 ms late at worst) and asks the loop to send what is due.
 */
public final class LoadGenerator {

    /**
     * One run.
     *
     * @param url       the chat-completions URL
     * @param headers   request headers besides content-type
     * @param bodies    the JSON body of each request (the same one, or one that differs by request)
     * @param stream    the response is server-sent events (checked for its {@code [DONE]} end)
     * @param rate      requests per second
     * @param warmup    sent but not recorded
     * @param duration  the measurement window after the warm-up
     * @param poolSize  keep-alive connections at most
     * @param timeout   a request silent for this long fails as {@code timeout}
     * @param drain     how long to wait, after the window, for requests still in flight
     */
    public record Spec(URI url, Map<String, String> headers, Bodies bodies, boolean stream, double rate, Duration warmup,
            Duration duration, int poolSize, Duration timeout, Duration drain) {
        public Spec {
            Objects.requireNonNull(url, "url");
            headers = Map.copyOf(headers);
            Objects.requireNonNull(bodies, "bodies");
        }

        /** The same body for every request. */
        public Spec(URI url, Map<String, String> headers, byte[] body, boolean stream, double rate, Duration warmup,
                Duration duration, int poolSize, Duration timeout, Duration drain) {
            this(url, headers, Bodies.fixed(body), stream, rate, warmup, duration, poolSize, timeout, drain);
        }
    }

    /** The body of each request, asked for on the generator's event loop just before the request is sent. */
    @FunctionalInterface
    public interface Bodies {
        Buffer next();

        static Bodies fixed(byte[] body) {
            byte[] bytes = body.clone();
            return () -> Buffer.buffer(bytes); // a fresh buffer each time: a sent buffer belongs to Netty
        }
    }

    /** Told when the measurement window opens and closes (on the pacing thread), e.g. to sample a process's CPU. */
    public interface Phases {
        void measuring();

        void measured();

        Phases NONE = new Phases() {
            @Override
            public void measuring() {
            }

            @Override
            public void measured() {
            }
        };
    }

    private LoadGenerator() {
    }

    /** Runs the spec to the end (warm-up, window, drain) and returns what the window measured. */
    public static LoadResult run(Spec spec, Phases phases) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setPreferNativeTransport(false));
        try {
            return run(spec, phases, vertx);
        } finally {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: the run's figures are already taken
            }
        }
    }

    private static LoadResult run(Spec spec, Phases phases, Vertx vertx) {
        URI u = spec.url();
        int port = u.getPort() > 0 ? u.getPort() : 80;
        String path = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout(5_000), new PoolOptions().setHttp1MaxSize(spec.poolSize()));
        Context ctx = vertx.getOrCreateContext();
        long timeoutMs = spec.timeout().toMillis();
        OpenLoop[] holder = new OpenLoop[1];
        OpenLoop.Sender sender = shot -> {
            RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost(u.getHost()).setPort(port)
                    .setURI(path).setIdleTimeout(timeoutMs).putHeader("content-type", "application/json");
            spec.headers().forEach(o::putHeader);
            send(client, o, spec.bodies().next(), spec.stream(), holder[0], shot);
        };
        long start = System.nanoTime() + 50_000_000L; // a moment for the pacing thread to be parked at the start
        OpenLoop loop = new OpenLoop(start, spec.rate(), spec.warmup().toNanos(), spec.duration().toNanos(),
                System::nanoTime, sender);
        holder[0] = loop;

        // Pace: wake at each due time and let the loop send whatever is due by then.
        boolean measuring = false;
        long k = 0;
        while (true) {
            long due = loop.intendedNanos(k);
            if (due >= loop.endNanos()) {
                break;
            }
            parkUntil(due);
            if (!measuring && System.nanoTime() >= loop.measureFromNanos()) {
                measuring = true;
                phases.measuring();
            }
            ctx.runOnContext(v -> loop.tick());
            k = Math.max(k + 1, loop.firstNotDue(System.nanoTime()));
        }
        parkUntil(loop.endNanos());
        if (!measuring) {
            phases.measuring();
        }
        phases.measured();
        // Let the last due requests go, then wait for answers in flight.
        long drainEnd = System.nanoTime() + spec.drain().toNanos();
        while (System.nanoTime() < drainEnd) {
            long inFlight = onLoop(ctx, l -> {
                l.tick();
                return l.allSent() ? l.inFlight() : -1L;
            }, loop);
            if (inFlight == 0) {
                break;
            }
            LockSupport.parkNanos(10_000_000L);
        }
        LoadResult result = onLoop(ctx, OpenLoop::finish, loop);
        client.close();
        return result;
    }

    private static void send(HttpClientAgent client, RequestOptions o, Buffer body, boolean stream, OpenLoop loop,
            OpenLoop.Shot shot) {
        client.request(o).onComplete(ar -> {
            if (ar.failed()) {
                loop.failed(shot, kind(ar.cause()));
                return;
            }
            HttpClientRequest req = ar.result();
            req.send(body).onComplete(sent -> {
                if (sent.failed()) {
                    loop.failed(shot, kind(sent.cause()));
                    return;
                }
                HttpClientResponse resp = sent.result();
                int status = resp.statusCode();
                long[] bytes = {0};
                StringBuilder tail = new StringBuilder();
                resp.handler(b -> {
                    loop.firstChunk(shot);
                    bytes[0] += b.length();
                    if (stream) {
                        tail.append(b.toString(StandardCharsets.UTF_8));
                        if (tail.length() > 64) {
                            tail.delete(0, tail.length() - 64);
                        }
                    }
                });
                resp.exceptionHandler(e -> loop.failed(shot, kind(e)));
                resp.endHandler(v -> {
                    if (status / 100 != 2) {
                        loop.failed(shot, "http_" + status);
                    } else if (bytes[0] == 0) {
                        loop.failed(shot, "empty_body");
                    } else if (stream && !tail.toString().strip().endsWith("[DONE]")) {
                        loop.failed(shot, "incomplete_stream");
                    } else {
                        loop.succeeded(shot);
                    }
                });
            });
        });
    }

    /** A short name for how a request failed, for the errors-by-kind table. */
    static String kind(Throwable e) {
        String name = e.getClass().getSimpleName();
        String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (name.contains("Timeout") || msg.contains("timeout period") || msg.contains("timed out")) {
            return "timeout";
        }
        if (e instanceof java.net.ConnectException || name.contains("Connect")) {
            return "connect";
        }
        if (name.equals("HttpClosedException") || msg.contains("connection was closed")) {
            return "closed";
        }
        if (msg.contains("reset")) {
            return "reset";
        }
        return name.toLowerCase(Locale.ROOT);
    }

    private static <T> T onLoop(Context ctx, Function<OpenLoop, T> f, OpenLoop loop) {
        CompletableFuture<T> out = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            try {
                out.complete(f.apply(loop));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        try {
            return out.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the generator's event loop did not answer", e);
        }
    }

    private static void parkUntil(long nanos) {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
