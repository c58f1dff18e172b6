package dev.tokenrt.tokens.huggingface;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Guards a native resource that many threads may use at once and one may free: calls share the read side of a
 * read-write lock, closing takes the write side, so a close waits for the calls in flight, and a call after the
 * close fails with {@link IllegalStateException} instead of touching freed memory.
 */
public final class NativeGuard {

    private final String what;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed; // written under the write lock, read under the read lock

    /** @param what names the resource in the error after close, for example {@code "tokenizer llama3"} */
    public NativeGuard(String what) {
        this.what = what;
    }

    /** Runs {@code call} while the resource is open. */
    public <T> T call(Supplier<T> call) {
        Lock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException(what + " is closed");
            }
            return call.get();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code release} once, after every call in flight; later closes do nothing. */
    public void close(Runnable release) {
        Lock lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                release.run();
            }
        } finally {
            lock.unlock();
        }
    }
}
