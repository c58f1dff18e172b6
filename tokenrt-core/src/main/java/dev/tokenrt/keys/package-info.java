/**
 * Virtual keys: the {@code sk-tr-…} secrets a gateway hands to its callers instead of provider keys. A
 * {@link dev.tokenrt.keys.VirtualKey} carries who is calling (user, project, team), which models it may use,
 * its tier, its own budgets and rate limits, and when it expires or was revoked. Secrets are made and hashed
 * by {@link dev.tokenrt.keys.KeySecrets}; a {@link dev.tokenrt.keys.KeyStore} keeps only the hash.
 */
package dev.tokenrt.keys;
