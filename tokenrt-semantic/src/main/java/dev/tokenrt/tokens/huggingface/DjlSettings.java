package dev.tokenrt.tokens.huggingface;

/**
 * Keeps DJL from reaching the network: offline mode makes it use the CPU library inside its jar instead of
 * downloading a CUDA build, and tracking opt-out stops its usage ping (an instance-metadata request and a telemetry
 * request on cloud hosts) that creating a tokenizer would otherwise make. Each is set only when neither the system
 * property nor the environment variable is set already, so an operator's choice wins.
 */
public final class DjlSettings {

    static {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null && System.getenv("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private DjlSettings() {
    }

    /** Applies the settings (once, when this class loads); call before DJL's tokenizer classes load. */
    public static void apply() {
        // The static initialiser does the work.
    }
}
