package dev.tokenrt.gateway;

import dev.tokenrt.sse.SseEvent;
import dev.tokenrt.pipeline.UpstreamException;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.nio.charset.StandardCharsets;
import dev.tokenrt.sse.SseParser;

/**
 * Blocking HTTP calls to providers for code running on virtual threads, over one pooled Vert.x client.
 * Timeouts are the provider's: connect, first byte (until the response head), and idle (silence between
 * chunks of a stream). Nothing here ever logs a header, so provider keys stay out of logs.
 */
final class UpstreamHttp implements AutoCloseable {

    private final HttpClientAgent client;

    UpstreamHttp(Vertx vertx) {
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setKeepAlive(true).setTcpNoDelay(true).setDecompressionSupported(true)
                .setConnectTimeout(5_000).setTrustAll(false).setVerifyHost(true),
                new PoolOptions().setHttp1MaxSize(256));
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

    private HttpClientResponse send(String url, Map<String, String> headers, Buffer body, ProviderConfig.Timeouts t,
            String what) {
        HttpClientRequest request;
        try {
            request = client.request(options(url, headers, t)).toCompletionStage().toCompletableFuture()
                    .get(t.connect().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw UpstreamException.timeout(what + ": connect timed out");
        } catch (ExecutionException e) {
            throw UpstreamException.connection(what + ": cannot connect: " + rootMessage(e), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UpstreamException.connection(what + ": interrupted", null);
        }
        try {
            // Paused on the event loop as the head arrives, so no body chunk is lost before the caller, on its
            // virtual thread, attaches its handlers (post() reads the body, SseSource resumes the stream).
            return request.send(body).map(r -> {
                r.pause();
                return r;
            }).toCompletionStage().toCompletableFuture().get(t.firstByte().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            request.reset();
            throw UpstreamException.timeout(what + ": no response within " + t.firstByte().toMillis() + " ms");
        } catch (ExecutionException e) {
            throw UpstreamException.connection(what + ": " + rootMessage(e), null);
        } catch (InterruptedException e) {
            request.reset();
            Thread.currentThread().interrupt();
            throw UpstreamException.connection(what + ": interrupted", null);
        }
    }

    /** POSTs and reads the whole body. Any status is returned; only transport failures throw. */
    Reply post(String url, Map<String, String> headers, Buffer body, ProviderConfig.Timeouts t, String what) {
        HttpClientResponse resp = send(url, headers, body, t, what);
        try {
            var whole = resp.body();
            resp.resume();
            Buffer b = whole.toCompletionStage().toCompletableFuture().get(t.firstByte().toMillis(), TimeUnit.MILLISECONDS);
            return new Reply(resp.statusCode(), resp.headers(), b);
        } catch (TimeoutException e) {
            resp.request().reset();
            throw UpstreamException.timeout(what + ": body not complete within " + t.firstByte().toMillis() + " ms");
        } catch (ExecutionException e) {
            throw UpstreamException.connection(what + ": " + rootMessage(e), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UpstreamException.connection(what + ": interrupted", null);
        }
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
        return new SseSource(resp, t.idle(), what);
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

    /** Server-sent events pulled from a live response, parsed as they arrive by the shared {@link SseParser}. */
    static final class SseSource implements AutoCloseable {
        private static final Object END = new Object();
        private final HttpClientResponse resp;
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(1024);
        private final Duration idle;
        private final String what;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final SseParser parser = new SseParser();
        private final Utf8Text text = new Utf8Text();
        private final AtomicBoolean paused = new AtomicBoolean();
        private volatile boolean ended;

        SseSource(HttpClientResponse resp, Duration idle, String what) {
            this.resp = resp;
            this.idle = idle;
            this.what = what;
            resp.handler(this::onChunk);
            resp.endHandler(v -> {
                ended = true;
                parser.end().ifPresent(this::offer);
                offer(END);
            });
            resp.exceptionHandler(e -> offer(UpstreamException.connection(what + ": stream broke: " + e.getMessage(), e)));
            resp.resume();
        }

        private void onChunk(Buffer b) {
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
                o = queue.poll(idle.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw UpstreamException.connection(what + ": interrupted", e);
            }
            if (queue.size() < 256 && paused.compareAndSet(true, false)) {
                resp.resume();
            }
            if (o == null) {
                close();
                throw UpstreamException.timeout(what + ": no data for " + idle.toMillis() + " ms");
            }
            if (o == END) {
                return Optional.empty();
            }
            if (o instanceof UpstreamException e) {
                throw e;
            }
            return Optional.of((SseEvent) o);
        }

        /** Cancels the upstream response (resets the HTTP stream) unless it already ended. */
        @Override
        public void close() {
            if (closed.compareAndSet(false, true) && !ended) {
                resp.request().reset();
            }
        }
    }
}
