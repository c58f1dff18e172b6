package dev.tokenrt.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a gateway's collector did during a measurement window, read from its GC log ({@code -Xlog:gc}): its
 * pauses, their total and longest, and the heap allocated. Pauses are what sets the gateway's p99 at high rates
 * (a request that arrives during one waits for it), and the number of them follows the bytes a request allocates,
 * which, unlike latency on a shared machine, hardly moves from run to run.
 *
 * <p>Allocation is read from the heap before each collection minus the heap after the one before it (what was
 * allocated in between), so it is exact to within the eden still filling at the window's two ends.
 */
final class GcLog {

    /** {@code [83.007s] GC(93) Pause Young (Normal) (G1 Evacuation Pause) 257M->211M(964M) 8.195ms}. */
    static final Pattern LINE = Pattern.compile(
            "^\\[(\\d+(?:\\.\\d+)?)s].*GC\\(\\d+\\) (Pause [A-Za-z]+).*?(\\d+)M->(\\d+)M\\((\\d+)M\\)(?: (\\d+(?:\\.\\d+)?)ms)?");

    /** Where the log stood when a window began: how many lines, and the heap after the last collection. */
    record Mark(int lines, OptionalDouble heapAfterMib) {
    }

    /**
     * The collections of a window.
     *
     * @param pauses       the pauses but full collections: young, mixed, remark, cleanup
     * @param pauseMs      their total, ms
     * @param maxPauseMs   the longest, ms
     * @param allocatedMib heap allocated over the window, MiB (empty without a collection before it to start from)
     */
    record Stats(int pauses, double pauseMs, double maxPauseMs, OptionalDouble allocatedMib) {
    }

    private GcLog() {
    }

    static Mark mark(Path log) throws IOException {
        List<String> lines = read(log);
        OptionalDouble after = OptionalDouble.empty();
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (m.find()) {
                after = OptionalDouble.of(Double.parseDouble(m.group(4)));
            }
        }
        return new Mark(lines.size(), after);
    }

    static Stats since(Path log, Mark mark) throws IOException {
        List<String> lines = read(log);
        return stats(lines.subList(Math.min(mark.lines(), lines.size()), lines.size()), mark.heapAfterMib());
    }

    /** The collections in {@code lines}, the heap after the one before them being {@code heapAfterBefore}. */
    static Stats stats(List<String> lines, OptionalDouble heapAfterBefore) {
        int pauses = 0;
        double pause = 0;
        double max = 0;
        double allocated = 0;
        double previousAfter = heapAfterBefore.orElse(0);
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            double before = Double.parseDouble(m.group(3));
            double after = Double.parseDouble(m.group(4));
            if (!m.group(2).equals("Pause Full")) {
                pauses++;
                double ms = m.group(6) == null ? 0 : Double.parseDouble(m.group(6));
                pause += ms;
                max = Math.max(max, ms);
            }
            allocated += Math.max(0, before - previousAfter);
            previousAfter = after;
        }
        return new Stats(pauses, pause, max, heapAfterBefore.isPresent() ? OptionalDouble.of(allocated)
                : OptionalDouble.empty());
    }

    private static List<String> read(Path log) throws IOException {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
}
