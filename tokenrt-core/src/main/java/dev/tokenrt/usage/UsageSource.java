package dev.tokenrt.usage;

/** Where a usage figure came from. */
public enum UsageSource {
    /** Reported by the provider in its response or stream. */
    PROVIDER,
    /** Counted or estimated by Token Runtime because the provider reported nothing (or the stream was cut). */
    ESTIMATED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
