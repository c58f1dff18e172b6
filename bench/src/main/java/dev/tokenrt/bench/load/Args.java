package dev.tokenrt.bench.load;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} and {@code --name=value} options of the harness's mains; {@code --help} is "help". */
final class Args {

    private Args() {
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                throw new IllegalArgumentException("help");
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(a + " needs a value");
            }
            m.put(key, value);
        }
        return m;
    }

    /** Removes and returns an option, or the default. */
    static String take(Map<String, String> m, String key, String def) {
        String v = m.remove(key);
        return v == null ? def : v;
    }

    static void requireEmpty(Map<String, String> m) {
        if (!m.isEmpty()) {
            throw new IllegalArgumentException("unknown option(s): " + m.keySet());
        }
    }

    /** Whitespace-separated words (JVM options), none when blank. */
    static List<String> words(String s) {
        return List.of(s.trim().split("\\s+")).stream().filter(w -> !w.isEmpty()).toList();
    }
}
