package dev.tokenrt.cache.semantic;

import dev.tokenrt.cache.semantic.onnx.OnnxEmbedder;

/**
 * The two real models behind the by-language embedder, loaded once per test JVM and shared by the test classes
 * that only use them (loading takes about half a second); the process frees them at exit.
 */
public final class SharedModels {

    private static LanguageRoutedEmbedder byLanguage;

    private SharedModels() {
    }

    public static synchronized LanguageRoutedEmbedder byLanguage() {
        if (byLanguage == null) {
            byLanguage = OnnxEmbedder.loadByLanguage();
        }
        return byLanguage;
    }
}
