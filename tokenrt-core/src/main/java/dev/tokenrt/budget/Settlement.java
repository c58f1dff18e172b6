package dev.tokenrt.budget;

import dev.tokenrt.usage.Usage;

/**
 * What a step holds for a request in flight (budget holds, rate-limit reservations) and must give back
 * exactly once: settled to the usage, or released. Implementations ignore every call after the first, so
 * that the paths that end a request (end of stream, close, failure) can each call without coordinating.
 */
interface Settlement {

    void settle(Usage usage);

    void release();
}
