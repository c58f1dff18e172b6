/** Lettuce set-up shared by the store's Redis-backed implementations. Not an API for users of Token Runtime. */
package dev.tokenrt.store.redis;
