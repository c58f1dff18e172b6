package dev.tokenrt.cache;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Layers stacked fastest first (memory, Redis, the database), each optional. A lookup asks them in order and
 * a hit in a lower layer fills the layers above it, with the entry's own expiry. A store writes the first
 * layer at once, so the very next identical request hits, and the others from a small background queue, so a
 * response never waits for Redis or the database; when the queue is full the write is dropped (and counted):
 * a cache may forget. A layer that fails is skipped for that call and reported to the {@link Listener}: a
 * cache outage costs money, never a request.
 */
public final class LayeredResponseCache implements ResponseCache {

    /** Hears what the layers do, for metrics and logs. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void hit(String layer) {
        }

        default void failed(String layer, String operation, RuntimeException e) {
        }

        default void dropped(String layer) {
        }
    }

    private final List<ResponseCache> layers;
    private final Listener listener;
    private final ThreadPoolExecutor writer;

    public LayeredResponseCache(List<ResponseCache> layers, Listener listener) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a layered cache needs at least one layer");
        }
        this.layers = List.copyOf(layers);
        this.listener = listener;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(4096),
                r -> {
                    Thread t = new Thread(r, "tokenrt-cache-writer");
                    t.setDaemon(true);
                    return t;
                });
    }

    public List<ResponseCache> layers() {
        return layers;
    }

    @Override
    public String name() {
        return "layered";
    }

    @Override
    public Optional<CachedResponse> get(CacheKey key, Instant now) {
        for (int i = 0; i < layers.size(); i++) {
            ResponseCache layer = layers.get(i);
            Optional<CachedResponse> v;
            try {
                v = layer.get(key, now);
            } catch (RuntimeException e) {
                listener.failed(layer.name(), "get", e);
                continue;
            }
            if (v.isPresent()) {
                listener.hit(layer.name());
                for (int j = 0; j < i; j++) {
                    ResponseCache upper = layers.get(j);
                    try {
                        upper.put(key, v.get());
                    } catch (RuntimeException e) {
                        listener.failed(upper.name(), "fill", e);
                    }
                }
                return v;
            }
        }
        return Optional.empty();
    }

    @Override
    public void put(CacheKey key, CachedResponse value) {
        ResponseCache first = layers.get(0);
        try {
            first.put(key, value);
        } catch (RuntimeException e) {
            listener.failed(first.name(), "put", e);
        }
        for (int i = 1; i < layers.size(); i++) {
            ResponseCache layer = layers.get(i);
            try {
                writer.execute(() -> {
                    try {
                        layer.put(key, value);
                    } catch (RuntimeException e) {
                        listener.failed(layer.name(), "put", e);
                    }
                });
            } catch (RejectedExecutionException e) {
                listener.dropped(layer.name());
            }
        }
    }

    /** Waits until the background writes queued so far are done (for tests and an orderly shutdown). */
    public boolean flush(long timeoutMillis) {
        return awaitIdle(writer, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
    }

    /** Waits until {@code pool} has nothing queued or running, or {@code deadlineNanos} passes; true if idle. */
    static boolean awaitIdle(ThreadPoolExecutor pool, long deadlineNanos) {
        return await(() -> pool.getQueue().isEmpty() && pool.getActiveCount() == 0, deadlineNanos);
    }

    /** Polls {@code done} every millisecond until it holds or {@code deadlineNanos} passes; true if it held. */
    static boolean await(java.util.function.BooleanSupplier done, long deadlineNanos) {
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Invalidates in every layer, lowest first (so that an upper layer is not refilled from a lower one meanwhile),
     * and returns the largest count any layer removed. A layer that fails does not stop the others; the first
     * failure is thrown at the end, because an invalidation that could not reach every layer must not look done.
     */
    @Override
    public long invalidate(Invalidation which) {
        flush(5_000);
        long most = 0;
        RuntimeException failure = null;
        for (int i = layers.size() - 1; i >= 0; i--) {
            ResponseCache layer = layers.get(i);
            try {
                most = Math.max(most, layer.invalidate(which));
            } catch (RuntimeException e) {
                listener.failed(layer.name(), "invalidate", e);
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return most;
    }

    @Override
    public long size() {
        return layers.get(layers.size() - 1).size();
    }

    @Override
    public void close() {
        flush(5_000);
        writer.shutdown();
        for (ResponseCache l : layers) {
            try {
                l.close();
            } catch (RuntimeException e) {
                listener.failed(l.name(), "close", e);
            }
        }
    }
}
