package dev.tokenrt.gateway;

import dev.tokenrt.chat.ChatRequest;
import dev.tokenrt.ledger.LedgerEntry;
import dev.tokenrt.ledger.UsageLedger;
import dev.tokenrt.ledger.UsageQuery;
import dev.tokenrt.ledger.UsageReport;
import dev.tokenrt.pipeline.Pricing;
import dev.tokenrt.pipeline.TokenCounting;
import dev.tokenrt.tokens.TokenCount;
import dev.tokenrt.usage.Usage;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * The parts a {@code pipeline: {bare: true}} gateway runs with instead of the real ones: a ledger that keeps
 * nothing, counting that counts nothing and pricing that prices nothing. With them (and without budget steps or
 * metrics observers) the pipeline is routing and the provider call: what a plain proxy does, which is the
 * baseline the benchmarks subtract to show what the accounting steps cost.
 */
final class BarePipeline {

    private BarePipeline() {
    }

    static final UsageLedger LEDGER = new UsageLedger() {
        @Override
        public void append(LedgerEntry entry) {
        }

        @Override
        public boolean flush(Duration timeout) {
            return true;
        }

        @Override
        public UsageReport query(UsageQuery query) {
            return new UsageReport(List.of(), UsageReport.Totals.ZERO);
        }

        @Override
        public void close() {
        }
    };

    /** Zero tokens, marked estimated: nothing is tokenized. */
    static final TokenCounting COUNTING = new TokenCounting() {
        @Override
        public TokenCount prompt(ChatRequest request, String model) {
            return TokenCount.estimated(0);
        }

        @Override
        public TokenCount completion(String text, String model) {
            return TokenCount.estimated(0);
        }
    };

    static final Pricing PRICING = (String provider, String model, Usage usage) -> OptionalLong.empty();
}
