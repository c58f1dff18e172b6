package dev.tokenrt.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Making, hashing and recognising virtual key secrets, and the public key ids. Written by hand because it is
 * a few lines over the JDK's {@link SecureRandom} and {@link MessageDigest}; no library adds anything here.
 *
 * <p>A secret is {@code sk-tr-} followed by 32 characters drawn uniformly from the 62 letters and digits:
 * 32 × log2(62) ≈ 190 bits of entropy. It is stored only as its SHA-256 (lower-case hex). A fast, unsalted
 * hash is right for such a secret, unlike for a password: nobody can enumerate a 190-bit space, so slow
 * hashing (bcrypt, scrypt, Argon2) would buy nothing, while it would cost milliseconds on every request,
 * and an unsalted hash is what lets the gateway find a key with one indexed lookup.
 */
public final class KeySecrets {

    /** Every secret starts with this, so that secret scanners and people recognise one. */
    public static final String PREFIX = "sk-tr-";
    /** Random characters after the prefix. */
    public static final int SECRET_CHARS = 32;
    /** Random characters after {@code key_} in a public id (80 bits: unguessable, so ids cannot be enumerated). */
    public static final int ID_CHARS = 16;
    /** How many random characters of a secret the hint shows (24 bits; about 166 stay unknown). */
    public static final int HINT_CHARS = 4;

    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeySecrets() {
    }

    /** A fresh secret: {@code sk-tr-} and 32 base62 characters. Shown to its owner once, then only hashed. */
    public static String generate() {
        return PREFIX + random(BASE62, SECRET_CHARS);
    }

    /** A fresh public key id: {@code key_} and 16 lower-case base32 characters. Not a secret. */
    public static String newId() {
        return "key_" + random(BASE32, ID_CHARS);
    }

    /** Uniform characters: a random byte's low 6 bits, rejected when past the alphabet (no modulo bias). */
    private static String random(String alphabet, int n) {
        StringBuilder sb = new StringBuilder(n);
        byte[] buf = new byte[n * 2];
        while (sb.length() < n) {
            RANDOM.nextBytes(buf);
            for (int i = 0; i < buf.length && sb.length() < n; i++) {
                int v = buf[i] & 0x3F;
                if (v < alphabet.length()) {
                    sb.append(alphabet.charAt(v));
                }
            }
        }
        return sb.toString();
    }

    /** SHA-256 of the secret's UTF-8 bytes, as 64 lower-case hex digits: what a {@link KeyStore} keeps. */
    public static String hash(String secret) {
        Objects.requireNonNull(secret, "secret");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Whether {@code hash} is of the form {@link #hash} produces (64 lower-case hex digits). */
    public static boolean isHash(String hash) {
        if (hash == null || hash.length() != 64) {
            return false;
        }
        for (int i = 0; i < hash.length(); i++) {
            char c = hash.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code secret} hashes to {@code expectedHash}, comparing in time independent of where they
     * differ, so that response timing tells an attacker nothing about how close a guess came.
     */
    public static boolean matches(String secret, String expectedHash) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(expectedHash, "expectedHash");
        return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
                expectedHash.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Whether {@code presented} has the shape of a secret ({@code sk-tr-} and 32 base62 characters). Lets the
     * gateway refuse garbage, and tell a virtual key from a master or provider key, without a lookup.
     */
    public static boolean looksLikeSecret(String presented) {
        if (presented == null || presented.length() != PREFIX.length() + SECRET_CHARS || !presented.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < presented.length(); i++) {
            if (BASE62.indexOf(presented.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The non-secret reminder shown instead of the secret: {@code sk-tr-} and its first four random characters, then {@code …}. */
    public static String hint(String secret) {
        if (!looksLikeSecret(secret)) {
            // Never echo the argument: it may be a secret of another shape.
            throw new IllegalArgumentException("not a virtual key secret");
        }
        return secret.substring(0, PREFIX.length() + HINT_CHARS) + "…";
    }
}
