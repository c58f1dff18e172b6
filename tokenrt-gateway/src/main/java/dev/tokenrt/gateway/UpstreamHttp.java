package dev.tokenrt.gateway;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.pipeline.UpstreamException;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.nio.charset.StandardCharsets;
import dev.tokenrt.sse.SseParser;

/**
 * Blocking HTTP calls to providers for code running on virtual threads, over one pooled Vert.x client.
 * Timeouts are the provider's: connect, first byte (until the response head), and idle (silence between
 * chunks of a stream). Nothing here ever logs a header, so provider keys stay out of logs.
 */
final class UpstreamHttp implements AutoCloseable {

    /**
     * The event loop a gateway request arrived on, set on the request's virtual thread (see {@link #onBehalfOf}).
     * A call made there runs on that loop with a client of that loop's own, whose connections all live on it: from
     * the client's socket to the server's, a request then touches one event loop. With one shared client, a call
     * from a virtual thread ran on a loop picked in turn, over a pooled connection that could live on the other
     * loop, and the two handed the call's callbacks across: 3-4 more context switches a request (12.4-13.4 against
     * 9.6-9.7 at 1,000 requests/s, full pipeline; bench/compare.sh logs them) and ~20 % more CPU.
     */
    private static final ThreadLocal<Context> HOME = new ThreadLocal<>();

    private final HttpClientAgent client;
    private final Map<Thread, HttpClientAgent> perLoop = new ConcurrentHashMap<>();
    private final Vertx vertx;

    UpstreamHttp(Vertx vertx) {
        this.vertx = vertx;
        this.client = newClient();
    }

    private HttpClientAgent newClient() {
        return vertx.createHttpClient(new HttpClientOptions()
                .setKeepAlive(true).setTcpNoDelay(true).setDecompressionSupported(true)
                .setConnectTimeout(5_000).setTrustAll(false).setVerifyHost(true),
                new PoolOptions().setHttp1MaxSize(256));
    }

    /** Runs {@code work} (on a virtual thread) with its provider calls made from {@code home}, a Vert.x event loop. */
    static void onBehalfOf(Context home, Runnable work) {
        HOME.set(home);
        try {
            work.run();
        } finally {
            HOME.remove();
        }
    }

    /** How many event loops have a client of their own (tests). */
    int loopClients() {
        return perLoop.size();
    }

    /** A complete response. */
    record Reply(int status, MultiMap headers, Buffer body) {
        Optional<Duration> retryAfter() {
            return UpstreamHttp.retryAfter(headers);
        }
    }

    private RequestOptions options(String url, Map<String, String> headers, ProviderConfig.Timeouts t) {
        URI u = URI.create(url);
        boolean tls = "https".equalsIgnoreCase(u.getScheme());
        int port = u.getPort() > 0 ? u.getPort() : (tls ? 443 : 80);
        String pathAndQuery = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost(u.getHost()).setPort(port)
                .setSsl(tls).setURI(pathAndQuery)
                .setConnectTimeout(t.connect().toMillis()).setIdleTimeout(t.idle().toMillis())
                .putHeader("content-type", "application/json");
        headers.forEach(o::putHeader);
        return o;
    }

    /*
     * One call runs on the event loop from connection to answer: the request is sent as soon as a connection is
     * there, and (for post) the body is read as soon as the head arrives. The caller's virtual thread waits once,
     * for the end, instead of once a stage: each stage used to be a hop to the event loop and back (a selector
     * wakeup and a virtual-thread park and unpark), which on a busy gateway was a fifth of its CPU and a source
     * of tail latency. Every stage's deadline is a timer on the event loop: connect (+1 s, which also bounds the
     * wait for a pooled connection) until a connection is had, first-byte from the send until the head, and
     * first-byte again from the head until the whole body. The caller waits without a deadline of its own: a
     * virtual thread's timed wait is a timer in the JDK's scheduler thread, which woke about once a request
     * (24,000 switches in 10 s at 2,000 requests/s) only to add and cancel that backstop.
     */
    private static final int CONNECTING = 0;
    private static final int WAITING_HEAD = 1;
    private static final int READING_BODY = 2;

    /** Where a call is; replaced (never mutated) as it moves on or is given up. */
    private record Stage(int stage, boolean abandoned) {
    }

    /** The stage whose deadline passed; no stack trace, it is an answer rather than a fault. */
    private static final class StageTimeout extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int stage;

        StageTimeout(int stage) {
            super("timed out", null, false, false);
            this.stage = stage;
        }
    }

    /** A call in progress: advanced on the event loop (its timer too), awaited on the caller's virtual thread. */
    private final class Call {
        final CompletableFuture<Object> done = new CompletableFuture<>();
        final AtomicReference<Stage> stage = new AtomicReference<>(new Stage(CONNECTING, false));
        final long connectMillis;
        final long firstByteMillis;
        volatile HttpClientRequest request;
        volatile HttpClientResponse response;
        volatile int failedIn = -1;
        private volatile long timer = -1;

        Call(ProviderConfig.Timeouts t) {
            this.connectMillis = t.connect().toMillis() + 1000;
            this.firstByteMillis = t.firstByte().toMillis();
        }

        /** The connect stage's deadline, set before the connection is asked for. */
        void connecting() {
            timer = vertx.setTimer(Math.max(1, connectMillis), id -> expire(CONNECTING));
        }

        /** Moves from one stage to the next, with that stage's deadline, unless the caller gave up meanwhile. */
        boolean advance(int from, int to) {
            Stage s = stage.get();
            if (s.stage() != from || s.abandoned() || !stage.compareAndSet(s, new Stage(to, false))) {
                return false;
            }
            stopTimer();
            timer = vertx.setTimer(Math.max(1, firstByteMillis), id -> expire(to));
            return true;
        }

        void stopTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }

        private void expire(int in) {
            Stage s = stage.get();
            if (s.stage() != in || s.abandoned() || done.isDone() || !stage.compareAndSet(s, new Stage(in, true))) {
                return;
            }
            done.completeExceptionally(new StageTimeout(in)); // first: the reset fails the send at once
            if (in == WAITING_HEAD) {
                request.reset();
            } else if (in == READING_BODY) {
                response.request().reset();
            }
            // CONNECTING: no request yet; when a connection comes, advance() refuses it and it is reset unsent.
        }

        void fail(int in, Throwable cause) {
            stopTimer();
            failedIn = in;
            done.completeExceptionally(cause);
        }

        void complete(Object result) {
            stopTimer();
            done.complete(result);
        }
    }

    /**
     * Starts a call on the event loop. With {@code wholeBody}, it ends with a {@link Reply}; without, with the
     * {@link HttpClientResponse} paused as its head arrives, so that no body chunk is lost before the caller, on
     * its virtual thread, attaches its handlers (SseSource resumes the stream).
     */
    private Call start(String url, Map<String, String> headers, Buffer body, ProviderConfig.Timeouts t,
            boolean wholeBody) {
        Call call = new Call(t);
        RequestOptions options = options(url, headers, t);
        Context home = HOME.get();
        if (home != null && home.owner() == vertx) {
            // On the event loop: the client of the loop itself (made there once, so its connections live there).
            home.runOnContext(v -> begin(call, perLoop.computeIfAbsent(Thread.currentThread(), x -> newClient()),
                    options, body, wholeBody));
        } else {
            begin(call, client, options, body, wholeBody);
        }
        return call;
    }

    private void begin(Call call, HttpClientAgent client, RequestOptions options, Buffer body, boolean wholeBody) {
        call.connecting();
        client.request(options).onComplete(connected -> {
            if (connected.failed()) {
                call.fail(CONNECTING, connected.cause());
                return;
            }
            HttpClientRequest request = connected.result();
            call.request = request;
            if (!call.advance(CONNECTING, WAITING_HEAD)) {
                request.reset(); // the caller timed out waiting for a connection: never send this one
                return;
            }
            request.send(body).onComplete(sent -> {
                if (sent.failed()) {
                    call.fail(WAITING_HEAD, sent.cause());
                    return;
                }
                HttpClientResponse resp = sent.result();
                call.response = resp;
                if (!wholeBody) {
                    resp.pause();
                    call.complete(resp);
                    return;
                }
                if (!call.advance(WAITING_HEAD, READING_BODY)) {
                    return; // timed out just before the head: the request is reset
                }
                resp.body().onComplete(read -> {
                    if (read.failed()) {
                        call.fail(READING_BODY, read.cause());
                    } else {
                        call.complete(new Reply(resp.statusCode(), resp.headers(), read.result()));
                    }
                });
            });
        });
    }

    /**
     * Waits for the call's end, which the event loop's stage timers bound; a timeout or failure is thrown as the
     * stage it happened in names it.
     */
    private Object await(Call call, ProviderConfig.Timeouts t, String what) {
        try {
            return call.done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StageTimeout st) {
                throw UpstreamException.timeout(what + switch (st.stage) {
                    case CONNECTING -> ": connect timed out";
                    case WAITING_HEAD -> ": no response within " + t.firstByte().toMillis() + " ms";
                    default -> ": body not complete within " + t.firstByte().toMillis() + " ms";
                });
            }
            throw UpstreamException.connection(what + ": " + (call.failedIn == CONNECTING ? "cannot connect: " : "")
                    + rootMessage(e), null);
        } catch (InterruptedException e) {
            Stage now = call.stage.get();
            call.stage.compareAndSet(now, new Stage(now.stage(), true));
            if (now.stage() == WAITING_HEAD && call.request != null) {
                call.request.reset();
            }
            Thread.currentThread().interrupt();
            throw UpstreamException.connection(what + ": interrupted", null);
        }
    }

    private HttpClientResponse send(String url, Map<String, String> headers, Buffer body, ProviderConfig.Timeouts t,
            String what) {
        return (HttpClientResponse) await(start(url, headers, body, t, false), t, what);
    }

    /** POSTs and reads the whole body. Any status is returned; only transport failures throw. */
    Reply post(String url, Map<String, String> headers, Buffer body, ProviderConfig.Timeouts t, String what) {
        return (Reply) await(start(url, headers, body, t, true), t, what);
    }

    /**
     * POSTs and returns the response as server-sent events, once the head has arrived with a 2xx status. An
     * error status is read whole and thrown as {@link UpstreamException}, before any event, so that it can
     * still be retried.
     */
    SseSource stream(String url, Map<String, String> headers, Buffer body, ProviderConfig.Timeouts t, String what) {
        HttpClientResponse resp = send(url, headers, body, t, what);
        if (resp.statusCode() / 100 != 2) {
            Buffer b;
            try {
                var whole = resp.body();
                resp.resume();
                b = whole.toCompletionStage().toCompletableFuture().get(t.firstByte().toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                b = Buffer.buffer();
            }
            throw error(resp.statusCode(), resp.headers(), b, what);
        }
        return new SseSource(vertx, resp, t.idle(), what);
    }

    static UpstreamException error(int status, MultiMap headers, Buffer body, String what) {
        String text = body.toString();
        String msg = providerMessage(text);
        return new UpstreamException(status, what + " answered " + status + (msg.isEmpty() ? "" : ": " + msg), text,
                retryAfter(headers), false, null);
    }

    /** The provider's own error message (OpenAI, Anthropic and Gemini all use error.message), trimmed. */
    static String providerMessage(String body) {
        try {
            var n = GatewayServer.JSON.readTree(body);
            String m = n.path("error").path("message").asText("");
            return m.length() > 500 ? m.substring(0, 500) : m;
        } catch (Exception e) {
            return "";
        }
    }

    static Optional<Duration> retryAfter(MultiMap headers) {
        String ms = headers.get("retry-after-ms");
        try {
            if (ms != null) {
                return Optional.of(Duration.ofMillis((long) Double.parseDouble(ms.trim())));
            }
            String s = headers.get("retry-after");
            if (s != null) {
                return Optional.of(Duration.ofMillis((long) (Double.parseDouble(s.trim()) * 1000)));
            }
        } catch (NumberFormatException e) {
            // An HTTP date: rare from model providers; fall back to our own backoff.
        }
        return Optional.empty();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public void close() {
        client.close();
        perLoop.values().forEach(HttpClientAgent::close);
    }

    /**
     * UTF-8 decoding of a byte stream split at arbitrary points: a character cut between two chunks is held
     * back until its last byte arrives, instead of turning into two replacement characters.
     */
    static final class Utf8Text {
        private final java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
        private java.nio.ByteBuffer pending = java.nio.ByteBuffer.allocate(0);

        String decode(byte[] chunk) {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(pending.remaining() + chunk.length);
            in.put(pending).put(chunk).flip();
            java.nio.CharBuffer out = java.nio.CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, out, false);
            pending = in.slice();
            out.flip();
            return out.toString();
        }
    }

    /**
     * Server-sent events pulled from a live response, parsed as they arrive by the shared {@link SseParser}. The
     * idle deadline is a timer on the event loop that fires once an idle period, not a timed wait a pull: a
     * virtual thread's timed wait is a timer in the JDK's scheduler thread, added and cancelled for every chunk.
     */
    static final class SseSource implements AutoCloseable {
        private static final Object END = new Object();
        /** Put in the queue by close(), so that a reader blocked on it wakes at once. */
        private static final Object CLOSED = new Object();
        private final Vertx vertx;
        private final HttpClientResponse resp;
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(1024);
        private final Duration idle;
        private final String what;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final SseParser parser = new SseParser();
        private final Utf8Text text = new Utf8Text();
        private final AtomicBoolean paused = new AtomicBoolean();
        private volatile boolean ended;
        /** When the provider last sent bytes (or we last resumed reading): what the idle deadline counts from. */
        private volatile long lastData = System.nanoTime();
        private volatile long timer = -1;

        SseSource(Vertx vertx, HttpClientResponse resp, Duration idle, String what) {
            this.vertx = vertx;
            this.resp = resp;
            this.idle = idle;
            this.what = what;
            resp.handler(this::onChunk);
            resp.endHandler(v -> {
                ended = true;
                vertx.cancelTimer(timer);
                parser.end().ifPresent(this::offer);
                offer(END);
            });
            resp.exceptionHandler(e -> {
                vertx.cancelTimer(timer);
                offer(UpstreamException.connection(what + ": stream broke: " + e.getMessage(), e));
            });
            armIdle(idle.toMillis());
            resp.resume();
        }

        private void armIdle(long ms) {
            timer = vertx.setTimer(Math.max(1, ms), id -> checkIdle());
        }

        /**
         * On the event loop, when the idle period may have passed: a timeout after whatever events are queued, unless
         * data came meanwhile or reading is paused (then we wait for our own reader, not for the provider).
         */
        private void checkIdle() {
            if (ended || closed.get()) {
                return;
            }
            long quiet = System.nanoTime() - lastData;
            if (paused.get()) {
                armIdle(idle.toMillis());
                return;
            }
            if (quiet < idle.toNanos()) {
                armIdle(TimeUnit.NANOSECONDS.toMillis(idle.toNanos() - quiet) + 1);
                return;
            }
            offer(UpstreamException.timeout(what + ": no data for " + idle.toMillis() + " ms"));
            if (closed.compareAndSet(false, true)) {
                resp.request().reset();
            }
        }

        private void onChunk(Buffer b) {
            lastData = System.nanoTime();
            for (SseEvent e : parser.feed(text.decode(b.getBytes()))) {
                offer(e);
            }
            if (queue.remainingCapacity() < 64 && paused.compareAndSet(false, true)) {
                resp.pause();
            }
        }

        private void offer(Object o) {
            if (!closed.get() && !queue.offer(o)) {
                // Cannot happen while pausing at 64 free slots, unless one chunk holds ~1000 events.
                resp.request().reset();
                closed.set(true);
            }
        }

        /** The next event, empty at the end; throws on a broken stream or an idle timeout. */
        Optional<SseEvent> next() {
            Object o;
            try {
                o = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw UpstreamException.connection(what + ": interrupted", e);
            }
            if (queue.size() < 256 && paused.compareAndSet(true, false)) {
                lastData = System.nanoTime();
                resp.resume();
            }
            if (!(o instanceof SseEvent ev)) {
                // The end, a failure or a close is final: put back, so that a further call answers the same
                // instead of waiting forever (nothing else is offered after one).
                queue.offer(o);
                if (o == END) {
                    return Optional.empty();
                }
                throw o == CLOSED ? UpstreamException.connection(what + ": stream closed", null) : (UpstreamException) o;
            }
            return Optional.of(ev);
        }

        /** Cancels the upstream response (resets the HTTP stream) unless it already ended. */
        @Override
        public void close() {
            vertx.cancelTimer(timer);
            if (closed.compareAndSet(false, true)) {
                if (!ended) {
                    resp.request().reset();
                }
                // A reader may be waiting in next() (the client went away while it did): nothing more is offered
                // once closed, so wake it. Events not yet read are dropped: whoever closed will not read them.
                queue.clear();
                queue.offer(CLOSED);
            }
        }
    }
}
