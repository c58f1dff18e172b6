package dev.tokenrt.pipeline;

/**
 * One step of the request pipeline, as in OkHttp: a step can answer on its own (a cache hit, a budget
 * denial), change the exchange for the steps after it (a cheaper model, a clamped {@code max_tokens}), or
 * wrap the rest (retries, fallbacks, timing, recording). The order lives in one place: {@link Pipeline}.
 *
 * <p>Steps run on a virtual thread per request, so a step may block (a provider call, a Redis round trip).
 */
@FunctionalInterface
public interface Interceptor {

    Outcome intercept(Chain chain);

    /** The rest of the pipeline, seen from one step. */
    interface Chain {
        Exchange exchange();

        /** Runs the remaining steps with {@code exchange} (possibly changed) and returns their outcome. */
        Outcome proceed(Exchange exchange);
    }
}
