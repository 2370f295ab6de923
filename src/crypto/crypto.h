/*
 * Thin wrappers over libsodium, the only folder that includes <sodium.h>.
 *
 * One 256-bit master secret per instance; every purpose gets its own
 * subkey derived from it with crypto_kdf (BLAKE2b), so a key used to hash
 * tokens can never be confused with the one that seals artifacts.  Keys
 * live in sodium_malloc'd, read-only, wiped-on-free memory.
 */
#ifndef EMB_CRYPTO_CRYPTO_H
#define EMB_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define CRYPTO_KEY_BYTES 32
#define CRYPTO_HASH_BYTES 32
#define CRYPTO_SIGN_PUB_BYTES 32
#define CRYPTO_SIG_BYTES 64
#define CRYPTO_SEAL_OVERHEAD (24 + 16) /* nonce + tag */
#define CRYPTO_TOKEN_PREFIX "emb_"
#define CRYPTO_TOKEN_LEN 47 /* "emb_" + 43 base64url chars */
#define CRYPTO_TOKEN_STR (CRYPTO_TOKEN_LEN + 1)

/* What a derived subkey is for; each maps to its own kdf subkey id. */
enum crypto_purpose {
	CRYPTO_KEY_TOKEN = 1, /* keyed hash of API tokens */
	CRYPTO_KEY_SEAL, /* AEAD for artifacts at rest */
	CRYPTO_KEY_AUDIT, /* MAC of event log entries */
	CRYPTO_KEY_MARK, /* per-site biases and per-partner symbols */
	CRYPTO_KEY_CANARY, /* per-partner canary tokens */
	CRYPTO_KEY_CHECK, /* key check value stored in the database */
	CRYPTO_KEY_COUNT
};

struct crypto_keys;

/* Initialise libsodium; call once before anything else. */
int crypto_lib_init(void) EMB_MUST_USE;

/* Fill p with n cryptographically secure random bytes. */
void crypto_random(void *p, size_t n);

/*
 * Build the key set from a master secret and an Ed25519 seed (both 32
 * bytes, borrowed and not kept).  *ret_keys is freed with crypto_keys_free.
 */
int crypto_keys_new(const uint8_t master[CRYPTO_KEY_BYTES],
    const uint8_t sign_seed[CRYPTO_KEY_BYTES],
    struct crypto_keys **ret_keys) EMB_MUST_USE;

/* Wipe and free; accepts NULL. */
void crypto_keys_free(struct crypto_keys *keys);

/* Keyed BLAKE2b-256 of n bytes under the subkey for purpose. */
void crypto_mac(const struct crypto_keys *keys, enum crypto_purpose purpose,
    const void *p, size_t n, uint8_t out[CRYPTO_HASH_BYTES]);

/*
 * Keyed BLAKE2b of n bytes under the subkey for purpose, with an output of
 * outlen bytes (16..64): a PRF for deriving per-object values.
 */
void crypto_prf(const struct crypto_keys *keys, enum crypto_purpose purpose,
    const void *p, size_t n, uint8_t *out, size_t outlen);

/* Constant-time comparison of n bytes. */
bool crypto_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* SHA-256 (for delivery receipts and artifact identity). */
void crypto_sha256(const void *p, size_t n, uint8_t out[CRYPTO_HASH_BYTES]);

/* A new random API token, 256 bits, URL-safe: "emb_" + base64url. */
void crypto_token_new(char out[CRYPTO_TOKEN_STR]);

/* Whether s has the shape of a token (length, prefix, alphabet). */
bool crypto_token_well_formed(const char *s);

/* The stored form of a token: keyed BLAKE2b-256 (purpose TOKEN). */
void crypto_token_hash(const struct crypto_keys *keys, const char *token,
    uint8_t out[CRYPTO_HASH_BYTES]);

/*
 * Seal n bytes with XChaCha20-Poly1305 under the SEAL subkey, binding the
 * additional data ad; appends nonce || ciphertext || tag to out.
 */
int crypto_seal(const struct crypto_keys *keys, const void *ad, size_t adlen,
    const void *plain, size_t n, struct buf *out) EMB_MUST_USE;

/*
 * Open what crypto_seal produced; appends the plaintext to out.
 * EMB_ECRYPTO when the data or ad was altered or the key is wrong.
 */
int crypto_open(const struct crypto_keys *keys, const void *ad, size_t adlen,
    const void *sealed, size_t n, struct buf *out) EMB_MUST_USE;

/* Ed25519 signature of n bytes with the instance signing key. */
void crypto_sig_make(const struct crypto_keys *keys, const void *msg, size_t n,
    uint8_t sig[CRYPTO_SIG_BYTES]);

/* The instance's Ed25519 public key. */
void crypto_sig_pub(
    const struct crypto_keys *keys, uint8_t pub[CRYPTO_SIGN_PUB_BYTES]);

/* Verify an Ed25519 signature: 0 or EMB_ECRYPTO. */
int crypto_sig_check(const uint8_t pub[CRYPTO_SIGN_PUB_BYTES], const void *msg,
    size_t n, const uint8_t sig[CRYPTO_SIG_BYTES]) EMB_MUST_USE;

/*
 * n bytes of the ChaCha20 keystream for key (32 bytes) and nonce (8
 * bytes): a fast expansion of a secret into many per-site values.
 */
void crypto_keystream(const uint8_t key[CRYPTO_KEY_BYTES],
    const uint8_t nonce[8], uint8_t *out, size_t n);

/* Guarded, locked memory for secrets (sodium_malloc); NULL on failure. */
void *crypto_secret_alloc(size_t n);

/* Wipe and free what crypto_secret_alloc returned; accepts NULL. */
void crypto_secret_free(void *p);

/* Wipe n bytes in a way the compiler cannot drop. */
void crypto_wipe(void *p, size_t n);

/* Base64url without padding of n bytes; out holds 4*ceil(n/3)+1 bytes. */
void crypto_base64url(const uint8_t *p, size_t n, char *out, size_t outlen);

#endif
