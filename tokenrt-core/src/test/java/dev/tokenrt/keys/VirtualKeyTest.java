package dev.tokenrt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VirtualKeyTest {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    static VirtualKey key(Optional<Instant> expires, Optional<Instant> revoked) {
        return new VirtualKey("key_aaaaaaaaaaaaaaaa", "ci", "alice", "search", "core", List.of("gpt-4o-mini", "fast"),
                "gold", "[{\"limit_usd\":\"5\"}]", "[]", "sk-tr-AbC1…", T0, expires, revoked);
    }

    @Test
    void activeUntilTheExpiryInstant() {
        VirtualKey k = key(Optional.of(T0.plusSeconds(60)), Optional.empty());
        assertThat(k.usableAt(T0)).isTrue();
        assertThat(k.usableAt(T0.plusSeconds(60).minusNanos(1))).isTrue();
        assertThat(k.status(T0.plusSeconds(60))).isEqualTo(VirtualKey.Status.EXPIRED);
        assertThat(k.usableAt(T0.plusSeconds(61))).isFalse();
    }

    @Test
    void revokedFromTheRevocationInstantAndRevocationWinsOverExpiry() {
        VirtualKey k = key(Optional.of(T0.plusSeconds(60)), Optional.of(T0.plusSeconds(30)));
        assertThat(k.status(T0.plusSeconds(29))).isEqualTo(VirtualKey.Status.ACTIVE);
        assertThat(k.status(T0.plusSeconds(30))).isEqualTo(VirtualKey.Status.REVOKED);
        assertThat(k.status(T0.plusSeconds(90))).isEqualTo(VirtualKey.Status.REVOKED);
        assertThat(k.status(T0.plusSeconds(90)).label()).isEqualTo("revoked");
    }

    @Test
    void firstRevocationStands() {
        VirtualKey k = key(Optional.empty(), Optional.empty()).revokedAt(T0.plusSeconds(5));
        assertThat(k.revokedAt(T0.plusSeconds(9)).revokedAt()).contains(T0.plusSeconds(5));
    }

    @Test
    void emptyModelListAllowsEveryModel() {
        assertThat(key(Optional.empty(), Optional.empty()).allowsModel("fast")).isTrue();
        assertThat(key(Optional.empty(), Optional.empty()).allowsModel("gpt-4o")).isFalse();
        VirtualKey all = KeyPatch.none().withModels(List.of()).applyTo(key(Optional.empty(), Optional.empty()));
        assertThat(all.allowsModel("anything")).isTrue();
    }

    @Test
    void rejectsMalformedFields() {
        assertThatThrownBy(() -> new VirtualKey("key_a", "", "", "", "", List.of(" "), "", "[]", "[]", "", T0,
                Optional.empty(), Optional.empty())).hasMessageContaining("model");
        assertThatThrownBy(() -> new VirtualKey("key_a", "", "", "", "", List.of(), "", "{}", "[]", "", T0,
                Optional.empty(), Optional.empty())).hasMessageContaining("budgets");
        assertThatThrownBy(() -> KeyPatch.none().withRateLimits("5")).hasMessageContaining("rateLimits");
    }

    @Test
    void patchChangesOnlyWhatItNames() {
        VirtualKey k = key(Optional.of(T0.plusSeconds(60)), Optional.empty());
        VirtualKey p = KeyPatch.none().withName("renamed").withTier("").applyTo(k);
        assertThat(p).isEqualTo(new VirtualKey(k.id(), "renamed", k.user(), k.project(), k.team(), k.models(), "",
                k.budgets(), k.rateLimits(), k.hint(), k.createdAt(), k.expiresAt(), k.revokedAt()));
        assertThat(KeyPatch.none().withoutExpiry().applyTo(k).expiresAt()).isEmpty();
        assertThat(KeyPatch.none().withExpiresAt(T0.plusSeconds(9)).applyTo(k).expiresAt()).contains(T0.plusSeconds(9));
        assertThat(KeyPatch.none().isEmpty()).isTrue();
        assertThat(KeyPatch.none().withName("x").isEmpty()).isFalse();
    }

    @Test
    void anIssuedKeyPrintsItsHintNotItsSecret() {
        String secret = KeySecrets.generate();
        IssuedKey issued = new IssuedKey(key(Optional.empty(), Optional.empty()), secret);
        assertThat(issued.toString()).doesNotContain(secret).contains("sk-tr-AbC1…");
    }
}
