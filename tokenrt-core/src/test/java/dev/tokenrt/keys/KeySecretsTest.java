package dev.tokenrt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeySecretsTest {

    @Test
    void secretsHaveThePrefixAnd32Base62Characters() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            String s = KeySecrets.generate();
            assertThat(s).matches("sk-tr-[0-9A-Za-z]{32}");
            assertThat(KeySecrets.looksLikeSecret(s)).isTrue();
            assertThat(seen.add(s)).as("secrets never repeat").isTrue();
        }
    }

    @Test
    void secretCharactersAreSpreadOverTheWholeAlphabet() {
        // 64,000 characters over 62 symbols: about 1,032 each. A modulo-biased or truncated alphabet would show
        // as missing symbols or counts far off; the bounds are 6 standard deviations wide (sd is about 32).
        Map<Character, Integer> counts = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            for (char c : KeySecrets.generate().substring(6).toCharArray()) {
                counts.merge(c, 1, Integer::sum);
            }
        }
        assertThat(counts).hasSize(62);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(1_032 - 192, 1_032 + 192));
    }

    @Test
    void idsArePublicBase32WithAPrefix() {
        String id = KeySecrets.newId();
        assertThat(id).matches("key_[a-z2-7]{16}");
        assertThat(KeySecrets.newId()).isNotEqualTo(id);
    }

    @Test
    void hashIsSha256HexOfTheUtf8Bytes() {
        // FIPS 180-2 test vectors for SHA-256.
        assertThat(KeySecrets.hash("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(KeySecrets.hash(""))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(KeySecrets.isHash(KeySecrets.hash(KeySecrets.generate()))).isTrue();
        assertThat(KeySecrets.isHash("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")).isFalse();
        assertThat(KeySecrets.isHash("abc")).isFalse();
    }

    @Test
    void matchesComparesHashes() {
        String s = KeySecrets.generate();
        String h = KeySecrets.hash(s);
        assertThat(KeySecrets.matches(s, h)).isTrue();
        assertThat(KeySecrets.matches(KeySecrets.generate(), h)).isFalse();
        assertThat(KeySecrets.matches(s, h.substring(1))).isFalse();
    }

    @Test
    void shapeCheckRejectsOtherKeys() {
        assertThat(KeySecrets.looksLikeSecret(null)).isFalse();
        assertThat(KeySecrets.looksLikeSecret("sk-proj-abc")).isFalse();
        assertThat(KeySecrets.looksLikeSecret("sk-tr-" + "a".repeat(31))).isFalse();
        assertThat(KeySecrets.looksLikeSecret("sk-tr-" + "a".repeat(33))).isFalse();
        assertThat(KeySecrets.looksLikeSecret("sk-tr-" + "a".repeat(31) + "-")).isFalse();
        assertThat(KeySecrets.looksLikeSecret("sk-tr-" + "a".repeat(32))).isTrue();
    }

    @Test
    void hintShowsFourRandomCharactersAndNeverEchoesANonSecret() {
        String s = "sk-tr-AbC1" + "x".repeat(28);
        assertThat(KeySecrets.hint(s)).isEqualTo("sk-tr-AbC1…");
        assertThatThrownBy(() -> KeySecrets.hint("sk-live-supersecret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("supersecret");
    }
}
