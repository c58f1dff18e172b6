package dev.tokenrt.pipeline;

import dev.tokenrt.ledger.LedgerEntry;

/** Told about every finished request, once, after its ledger row is queued (metrics, alerts). */
@FunctionalInterface
public interface RequestObserver {
    void finished(LedgerEntry entry);
}
