package dev.tokenrt.store.ledger;

import dev.tokenrt.ledger.LedgerEntry;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The victim of {@link LedgerKill9Harness}: appends ledger rows to a SQLite file at a steady rate, and after
 * each {@code append} returns prints {@code A <requestId> <epochMicros>} and flushes stdout, the way a
 * gateway would answer its client. It never closes the ledger: it runs until it is killed.
 *
 * <p>Arguments: {@code <sqlite-file> <rows-per-second>}.
 */
public final class LedgerKill9Child {

    private LedgerKill9Child() {
    }

    public static void main(String[] args) throws Exception {
        String file = args[0];
        int rate = Integer.parseInt(args[1]);
        List<LedgerEntry> templates = Fixtures.traffic("tpl", 256, 99);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.US_ASCII), 256);
        JdbcUsageLedger ledger = JdbcUsageLedger.open("jdbc:sqlite:" + file, LedgerOptions.defaults());
        out.write("READY\n");
        out.flush();
        long start = System.nanoTime();
        for (long seq = 0; ; seq++) {
            long due = start + seq * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            Instant now = Instant.now();
            String id = "k-" + seq;
            ledger.append(Fixtures.with(templates.get((int) (seq % templates.size())), id, now));
            // Acknowledged: only now may a client be told the request is done.
            out.write("A " + id + " " + (now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000) + "\n");
            out.flush();
        }
    }
}
