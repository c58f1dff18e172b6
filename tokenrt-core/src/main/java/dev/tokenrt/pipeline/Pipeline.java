package dev.tokenrt.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * An ordered chain of {@link Interceptor}s ending in a terminal step (the provider call). Immutable and
 * thread-safe: one pipeline serves every request.
 */
public final class Pipeline {

    private final List<Interceptor> steps;

    private Pipeline(List<Interceptor> steps) {
        this.steps = List.copyOf(steps);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs the exchange through every step. Never throws for a request-level problem: that is an {@link Outcome.Failed}. */
    public Outcome execute(Exchange exchange) {
        return new RealChain(0, exchange).proceed(exchange);
    }

    public int size() {
        return steps.size();
    }

    private final class RealChain implements Interceptor.Chain {
        private final int index;
        private final Exchange exchange;

        RealChain(int index, Exchange exchange) {
            this.index = index;
            this.exchange = exchange;
        }

        @Override
        public Exchange exchange() {
            return exchange;
        }

        @Override
        public Outcome proceed(Exchange next) {
            if (index >= steps.size()) {
                throw new IllegalStateException("the pipeline has no terminal step: the last interceptor must answer");
            }
            return steps.get(index).intercept(new RealChain(index + 1, next));
        }
    }

    public static final class Builder {
        private final List<Interceptor> steps = new ArrayList<>();

        public Builder add(Interceptor step) {
            steps.add(step);
            return this;
        }

        public Builder addIf(boolean condition, Interceptor step) {
            if (condition) {
                steps.add(step);
            }
            return this;
        }

        public Pipeline build() {
            return new Pipeline(steps);
        }
    }
}
