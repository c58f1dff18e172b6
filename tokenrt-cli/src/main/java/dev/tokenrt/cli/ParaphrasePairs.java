package dev.tokenrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Labelled text pairs in the formats {@code tokenrt eval cache} reads, each with errors that name the line. */
final class ParaphrasePairs {

    /** One pair: does {@code b} ask what {@code a} asks? */
    record Pair(String a, String b, boolean duplicate) {
    }

    enum Format { PAIRS, LCQMC, STSB, GPTCACHE }

    /** STS-B scores pairs 0-5; from 4 on, the two sentences are taken to mean the same. */
    static final double STSB_DUPLICATE_FROM = 4.0;

    private ParaphrasePairs() {
    }

    static Format format(String name) {
        try {
            return Format.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliError("unknown --format '" + name + "'; use pairs, lcqmc, stsb or gptcache");
        }
    }

    static List<Pair> read(Path file, Format format, int limit) {
        String text = Json.readText(file);
        List<Pair> out = new ArrayList<>();
        if (format == Format.GPTCACHE) {
            JsonNode root = Json.parse(text, file.toString());
            if (!root.isArray()) {
                throw new CliError(file + ": expected GPTCache's mock_data.json, a JSON array of {\"origin\",\"similar\"}");
            }
            for (int i = 0; i < root.size() && out.size() < limit; i++) {
                JsonNode n = root.get(i);
                if (!n.path("origin").isTextual() || !n.path("similar").isTextual()) {
                    throw new CliError(file + ": element " + (i + 1) + " has no \"origin\" and \"similar\" strings");
                }
                // Every element is a paraphrase pair: GPTCache's own benchmark counts each as a duplicate.
                out.add(new Pair(n.get("origin").asText(), n.get("similar").asText(), true));
            }
            return out;
        }
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length && out.size() < limit; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            out.add(switch (format) {
                case PAIRS -> jsonLine(line, where);
                case LCQMC -> lcqmc(line, where);
                case STSB -> stsb(line, where);
                case GPTCACHE -> throw new IllegalStateException();
            });
        }
        return out;
    }

    private static Pair jsonLine(String line, String where) {
        JsonNode n = Json.parse(line, where);
        if (!n.path("text_a").isTextual() || !n.path("text_b").isTextual()) {
            throw new CliError(where + ": expected {\"text_a\":…, \"text_b\":…, \"label\":0|1}");
        }
        return new Pair(n.get("text_a").asText(), n.get("text_b").asText(), label(n.path("label").asText(""), where));
    }

    private static Pair lcqmc(String line, String where) {
        String[] f = line.split("\t");
        if (f.length != 3) {
            throw new CliError(where + ": expected three tab-separated fields (s1, s2, label), found " + f.length);
        }
        return new Pair(f[0], f[1], label(f[2].trim(), where));
    }

    /** STS-B csv: genre, file, year, id, score, sentence 1, sentence 2 (and sometimes two source columns). */
    private static Pair stsb(String line, String where) {
        String[] f = line.split("\t");
        if (f.length < 7) {
            throw new CliError(where + ": expected STS-B's tab-separated columns (genre, file, year, id, score, "
                    + "sentence 1, sentence 2), found " + f.length);
        }
        double score;
        try {
            score = Double.parseDouble(f[4].trim());
        } catch (NumberFormatException e) {
            throw new CliError(where + ": the score '" + f[4] + "' is not a number");
        }
        return new Pair(f[5], f[6], score >= STSB_DUPLICATE_FROM);
    }

    private static boolean label(String value, String where) {
        return switch (value) {
            case "1" -> true;
            case "0" -> false;
            default -> throw new CliError(where + ": label must be 0 or 1, got '" + value + "'");
        };
    }
}
