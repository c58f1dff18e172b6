package dev.tokenrt.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachingKeyStoreTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

    /** The shared database as another replica sees it: the same store, with its lookups counted. */
    private final InMemoryKeyStore database = new InMemoryKeyStore();
    private final AtomicInteger lookups = new AtomicInteger();
    private Runnable duringLookup = () -> { };
    private final KeyStore counted = new KeyStore() {
        @Override
        public void create(VirtualKey key, String secretHash) {
            database.create(key, secretHash);
        }

        @Override
        public Optional<VirtualKey> findBySecretHash(String secretHash) {
            lookups.incrementAndGet();
            Optional<VirtualKey> found = database.findBySecretHash(secretHash);
            duringLookup.run();
            return found;
        }

        @Override
        public Optional<VirtualKey> get(String id) {
            return database.get(id);
        }

        @Override
        public List<VirtualKey> list() {
            return database.list();
        }

        @Override
        public Optional<VirtualKey> update(String id, KeyPatch patch) {
            return database.update(id, patch);
        }

        @Override
        public Optional<VirtualKey> revoke(String id, Instant at) {
            return database.revoke(id, at);
        }
    };
    private final AtomicLong nanos = new AtomicLong();
    private final CachingKeyStore cache = new CachingKeyStore(counted, Duration.ofSeconds(1), 1000, nanos::get);

    @Test
    void aKeyFoundIsServedFromMemoryUntilTheTtlEnds() {
        IssuedKey k = cache.issue(NewKey.named("ci"), T0);
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Accepted.class);
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Accepted.class);
        assertThat(lookups).hasValue(1);
        nanos.addAndGet(Duration.ofMillis(1001).toNanos());
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Accepted.class);
        assertThat(lookups).hasValue(2);
    }

    @Test
    void aRevocationOrUpdateThroughThisStoreTakesEffectAtOnce() {
        IssuedKey a = cache.issue(NewKey.named("a"), T0);
        IssuedKey b = cache.issue(NewKey.named("b"), T0);
        cache.authenticate(a.secret(), T0);
        cache.authenticate(b.secret(), T0);

        cache.revoke(a.key().id(), T0);
        cache.update(b.key().id(), KeyPatch.none().withProject("search"));

        assertThat(cache.authenticate(a.secret(), T0)).isEqualTo(
                new Authentication.Refused(Authentication.Reason.REVOKED, database.get(a.key().id())));
        assertThat(cache.authenticate(b.secret(), T0)).isInstanceOfSatisfying(Authentication.Accepted.class,
                ok -> assertThat(ok.key().project()).isEqualTo("search"));
    }

    @Test
    void aRevocationOnAnotherReplicaIsSeenWithinTheTtl() {
        IssuedKey k = cache.issue(NewKey.named("ci"), T0);
        cache.authenticate(k.secret(), T0);
        database.revoke(k.key().id(), T0); // not through this store
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Accepted.class);
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Refused.class);
    }

    @Test
    void anUnknownSecretIsNotRememberedSoAKeyMadeElsewhereWorksAtOnce() {
        String secret = KeySecrets.generate();
        assertThat(cache.authenticate(secret, T0)).isInstanceOf(Authentication.Refused.class);
        VirtualKey made = new VirtualKey("k_other", "other", "", "", "", List.of(), "", "[]", "[]",
                KeySecrets.hint(secret), T0, Optional.empty(), Optional.empty());
        database.create(made, KeySecrets.hash(secret));
        assertThat(cache.authenticate(secret, T0)).isInstanceOf(Authentication.Accepted.class);
        assertThat(lookups).hasValue(2);
    }

    @Test
    void aLookupThatRacedARevocationDoesNotKeepTheOldKey() {
        IssuedKey k = cache.issue(NewKey.named("ci"), T0);
        // The row is read as it was, then the revocation commits and drops the entries, then the read is stored.
        duringLookup = () -> {
            duringLookup = () -> { };
            cache.revoke(k.key().id(), T0);
        };
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Accepted.class); // read before
        assertThat(cache.authenticate(k.secret(), T0)).isInstanceOf(Authentication.Refused.class);
    }

    @Test
    void aZeroTtlMeansNoCache() {
        assertThat(CachingKeyStore.of(counted, Duration.ZERO)).isSameAs(counted);
        assertThat(CachingKeyStore.of(counted, Duration.ofSeconds(1))).isInstanceOf(CachingKeyStore.class);
    }
}
