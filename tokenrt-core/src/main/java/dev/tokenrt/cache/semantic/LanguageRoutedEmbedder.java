package dev.tokenrt.cache.semantic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Picks the model by the script of the text: Chinese or Japanese (Han, Hiragana, Katakana) to the CJK model, any
 * other text to the default one. A text goes to the CJK model when at least {@link #CJK_SHARE} of its letters are
 * in those scripts, so a Chinese question quoting an English product name stays Chinese, and an English text with
 * one Chinese word stays English.
 *
 * <p>The cache asks {@link #modelFor(String)} and files each entry under the chosen model's id: a Chinese and an
 * English text are never compared, since their vectors come from different models. {@link #dimension()} is the
 * default model's.
 */
public final class LanguageRoutedEmbedder implements Embedder {

    /** The share of letters in Han or kana from which a text counts as Chinese or Japanese. */
    public static final double CJK_SHARE = 0.3;

    private final Embedder fallback;
    private final Embedder cjk;

    /**
     * @param fallback the model for every text not in Chinese or Japanese script (all-MiniLM-L6-v2, say)
     * @param cjk      the model for Chinese and Japanese text (bge-small-zh, say)
     */
    public LanguageRoutedEmbedder(Embedder fallback, Embedder cjk) {
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        this.cjk = Objects.requireNonNull(cjk, "cjk");
    }

    /** True when at least {@link #CJK_SHARE} of the letters of {@code text} are Han, Hiragana or Katakana. */
    public static boolean isCjk(String text) {
        int letters = 0;
        int cjkLetters = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (!Character.isLetter(cp) && !Character.isIdeographic(cp)) {
                continue;
            }
            letters++;
            Character.UnicodeScript script = Character.UnicodeScript.of(cp);
            if (script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                    || script == Character.UnicodeScript.KATAKANA) {
                cjkLetters++;
            }
        }
        return cjkLetters > 0 && cjkLetters >= CJK_SHARE * letters;
    }

    @Override
    public Embedder modelFor(String text) {
        return isCjk(text) ? cjk : fallback;
    }

    @Override
    public String id() {
        return "by-language(" + fallback.id() + "," + cjk.id() + ")";
    }

    @Override
    public int dimension() {
        return fallback.dimension();
    }

    @Override
    public float[] embed(String text) {
        return modelFor(text).embed(text);
    }

    @Override
    public boolean covers(String text) {
        return modelFor(text).covers(text);
    }

    /** Vectors in order; texts of one language are batched together. */
    @Override
    public List<float[]> embedAll(List<String> texts) {
        float[][] out = new float[texts.size()][];
        ArrayList<String> cjkTexts = new ArrayList<>();
        ArrayList<Integer> cjkAt = new ArrayList<>();
        ArrayList<String> otherTexts = new ArrayList<>();
        ArrayList<Integer> otherAt = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (isCjk(t)) {
                cjkTexts.add(t);
                cjkAt.add(i);
            } else {
                otherTexts.add(t);
                otherAt.add(i);
            }
        }
        List<float[]> c = cjkTexts.isEmpty() ? List.of() : cjk.embedAll(cjkTexts);
        List<float[]> o = otherTexts.isEmpty() ? List.of() : fallback.embedAll(otherTexts);
        for (int i = 0; i < c.size(); i++) {
            out[cjkAt.get(i)] = c.get(i);
        }
        for (int i = 0; i < o.size(); i++) {
            out[otherAt.get(i)] = o.get(i);
        }
        return Arrays.asList(out);
    }

    /** Closes both models. */
    @Override
    public void close() {
        try {
            fallback.close();
        } finally {
            cjk.close();
        }
    }
}
