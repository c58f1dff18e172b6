package dev.tokenrt.tokens;

/**
 * A number of tokens and whether it is exact (the provider's own tokenizer, or the provider's own report)
 * or an estimate (a calibrated stand-in for a tokenizer that is not public). Every count in Token Runtime
 * carries this flag so that a report never passes an estimate off as a fact.
 */
public record TokenCount(long tokens, boolean exact) {

    public static final TokenCount ZERO = new TokenCount(0, true);

    public TokenCount {
        if (tokens < 0) {
            throw new IllegalArgumentException("token count cannot be negative: " + tokens);
        }
    }

    public static TokenCount exact(long tokens) {
        return new TokenCount(tokens, true);
    }

    public static TokenCount estimated(long tokens) {
        return new TokenCount(tokens, false);
    }

    /** The sum is exact only when both parts are. */
    public TokenCount plus(TokenCount other) {
        return new TokenCount(Math.addExact(tokens, other.tokens), exact && other.exact);
    }

    public TokenCount plus(long moreTokens, boolean moreExact) {
        return plus(new TokenCount(moreTokens, moreExact));
    }
}
