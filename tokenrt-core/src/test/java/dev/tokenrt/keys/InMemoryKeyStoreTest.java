package dev.tokenrt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemoryKeyStoreTest {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    final InMemoryKeyStore store = new InMemoryKeyStore();

    @Test
    void issueStoresTheHashAndAuthenticatesTheSecret() {
        IssuedKey issued = store.issue(NewKey.named("ci").withUser("alice").withModels(List.of("fast")), T0);
        VirtualKey k = issued.key();
        assertThat(k.id()).matches("key_[a-z2-7]{16}");
        assertThat(k.hint()).isEqualTo(issued.secret().substring(0, 10) + "…");
        assertThat(k.createdAt()).isEqualTo(T0);
        assertThat(store.findBySecretHash(KeySecrets.hash(issued.secret()))).contains(k);
        assertThat(store.get(k.id())).contains(k);
        assertThat(store.authenticate(issued.secret(), T0)).isEqualTo(new Authentication.Accepted(k));
        assertThat(store.authenticate(KeySecrets.generate(), T0))
                .isEqualTo(new Authentication.Refused(Authentication.Reason.UNKNOWN, Optional.empty()));
        assertThat(store.authenticate("not-a-key", T0))
                .isInstanceOfSatisfying(Authentication.Refused.class, r -> assertThat(r.message()).isEqualTo("Incorrect API key provided."));
    }

    @Test
    void revokedAndExpiredKeysAreRefused() {
        IssuedKey a = store.issue(NewKey.named("a").withExpiresAt(T0.plusSeconds(60)), T0);
        IssuedKey b = store.issue(NewKey.named("b"), T0);
        assertThat(store.authenticate(a.secret(), T0.plusSeconds(60)))
                .isInstanceOfSatisfying(Authentication.Refused.class,
                        r -> assertThat(r.reason()).isEqualTo(Authentication.Reason.EXPIRED));
        assertThat(store.revoke(b.key().id(), T0.plusSeconds(1)).orElseThrow().revokedAt()).contains(T0.plusSeconds(1));
        assertThat(store.revoke(b.key().id(), T0.plusSeconds(2)).orElseThrow().revokedAt()).contains(T0.plusSeconds(1));
        assertThat(store.authenticate(b.secret(), T0.plusSeconds(1)))
                .isInstanceOfSatisfying(Authentication.Refused.class, r -> {
                    assertThat(r.reason()).isEqualTo(Authentication.Reason.REVOKED);
                    assertThat(r.key().orElseThrow().id()).isEqualTo(b.key().id());
                });
        assertThat(store.revoke("key_nope", T0)).isEmpty();
    }

    @Test
    void updateAndListAndDuplicates() {
        IssuedKey a = store.issue(NewKey.named("a"), T0.plusSeconds(1));
        IssuedKey b = store.issue(NewKey.named("b"), T0);
        VirtualKey patched = store.update(a.key().id(), KeyPatch.none().withTeam("core").withExpiresAt(T0.plusSeconds(5)))
                .orElseThrow();
        assertThat(patched.team()).isEqualTo("core");
        assertThat(store.authenticate(a.secret(), T0.plusSeconds(5))).isInstanceOf(Authentication.Refused.class);
        assertThat(store.list()).extracting(VirtualKey::name).containsExactly("b", "a");
        assertThat(store.update("key_nope", KeyPatch.none().withName("x"))).isEmpty();
        assertThatThrownBy(() -> store.create(b.key(), KeySecrets.hash(KeySecrets.generate())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.create(KeyPatch.none().applyTo(b.key()), "plaintext"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
