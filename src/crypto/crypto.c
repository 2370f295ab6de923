#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "common/emb.h"

#define KDF_CONTEXT "embargo1"

struct crypto_keys {
	uint8_t sub[CRYPTO_KEY_COUNT][CRYPTO_KEY_BYTES];
	uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
};

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
            crypto_aead_xchacha20poly1305_ietf_ABYTES ==
        CRYPTO_SEAL_OVERHEAD,
    "seal overhead");
_Static_assert(crypto_sign_BYTES == CRYPTO_SIG_BYTES, "signature size");

int
crypto_lib_init(void)
{
	return sodium_init() < 0 ? EMB_ECRYPTO : 0;
}

void
crypto_random(void *p, size_t n)
{
	randombytes_buf(p, n);
}

int
crypto_keys_new(const uint8_t master[CRYPTO_KEY_BYTES],
    const uint8_t sign_seed[CRYPTO_KEY_BYTES], struct crypto_keys **ret_keys)
{
	struct crypto_keys *k;

	k = sodium_malloc(sizeof(*k));
	if (k == NULL)
		return EMB_ENOMEM;
	for (int i = 1; i < CRYPTO_KEY_COUNT; i++)
		if (crypto_kdf_derive_from_key(k->sub[i], CRYPTO_KEY_BYTES,
		        (uint64_t)i, KDF_CONTEXT, master) != 0)
			goto fail;
	if (crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, sign_seed) != 0)
		goto fail;
	(void)sodium_mprotect_readonly(k);
	*ret_keys = k;
	return 0;
fail:
	sodium_free(k);
	return EMB_ECRYPTO;
}

void
crypto_keys_free(struct crypto_keys *keys)
{
	if (keys != NULL)
		sodium_free(keys); /* wipes */
}

void
crypto_prf(const struct crypto_keys *keys, enum crypto_purpose purpose,
    const void *p, size_t n, uint8_t *out, size_t outlen)
{
	(void)crypto_generichash(
	    out, outlen, p, n, keys->sub[purpose], CRYPTO_KEY_BYTES);
}

void
crypto_mac(const struct crypto_keys *keys, enum crypto_purpose purpose,
    const void *p, size_t n, uint8_t out[CRYPTO_HASH_BYTES])
{
	crypto_prf(keys, purpose, p, n, out, CRYPTO_HASH_BYTES);
}

bool
crypto_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
crypto_sha256(const void *p, size_t n, uint8_t out[CRYPTO_HASH_BYTES])
{
	(void)crypto_hash_sha256(out, p, n);
}

void
crypto_base64url(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	(void)sodium_bin2base64(
	    out, outlen, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
crypto_token_new(char out[CRYPTO_TOKEN_STR])
{
	uint8_t raw[32];
	size_t plen = sizeof(CRYPTO_TOKEN_PREFIX) - 1;

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, CRYPTO_TOKEN_PREFIX, plen);
	crypto_base64url(raw, sizeof(raw), out + plen, CRYPTO_TOKEN_STR - plen);
	sodium_memzero(raw, sizeof(raw));
}

bool
crypto_token_well_formed(const char *s)
{
	size_t plen = sizeof(CRYPTO_TOKEN_PREFIX) - 1;
	size_t n = strnlen(s, CRYPTO_TOKEN_STR);

	if (n != CRYPTO_TOKEN_LEN || memcmp(s, CRYPTO_TOKEN_PREFIX, plen) != 0)
		return false;
	for (size_t i = plen; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

void
crypto_token_hash(const struct crypto_keys *keys, const char *token,
    uint8_t out[CRYPTO_HASH_BYTES])
{
	crypto_mac(keys, CRYPTO_KEY_TOKEN, token, strlen(token), out);
}

int
crypto_seal(const struct crypto_keys *keys, const void *ad, size_t adlen,
    const void *plain, size_t n, struct buf *out)
{
	uint8_t *nonce;
	unsigned long long clen;
	int r;

	if (n > SIZE_MAX - CRYPTO_SEAL_OVERHEAD)
		return EMB_ETOOBIG;
	if ((r = buf_reserve(out, n + CRYPTO_SEAL_OVERHEAD)) < 0)
		return r;
	nonce = out->data + out->len;
	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
	        nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
	        plain, n, ad, adlen, NULL, nonce,
	        keys->sub[CRYPTO_KEY_SEAL]) != 0)
		return EMB_ECRYPTO;
	out->len += crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clen;
	out->data[out->len] = '\0';
	return 0;
}

int
crypto_open(const struct crypto_keys *keys, const void *ad, size_t adlen,
    const void *sealed, size_t n, struct buf *out)
{
	const uint8_t *nonce = sealed;
	unsigned long long plen;
	int r;

	if (n < CRYPTO_SEAL_OVERHEAD)
		return EMB_ECRYPTO;
	if ((r = buf_reserve(out, n - CRYPTO_SEAL_OVERHEAD)) < 0)
		return r;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out->data + out->len,
	        &plen, NULL,
	        nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	        n - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad, adlen,
	        nonce, keys->sub[CRYPTO_KEY_SEAL]) != 0)
		return EMB_ECRYPTO;
	out->len += plen;
	out->data[out->len] = '\0';
	return 0;
}

void
crypto_sig_make(const struct crypto_keys *keys, const void *msg, size_t n,
    uint8_t sig[CRYPTO_SIG_BYTES])
{
	(void)crypto_sign_detached(sig, NULL, msg, n, keys->sign_sk);
}

void
crypto_sig_pub(
    const struct crypto_keys *keys, uint8_t pub[CRYPTO_SIGN_PUB_BYTES])
{
	memcpy(pub, keys->sign_pk, CRYPTO_SIGN_PUB_BYTES);
}

int
crypto_sig_check(const uint8_t pub[CRYPTO_SIGN_PUB_BYTES], const void *msg,
    size_t n, const uint8_t sig[CRYPTO_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, n, pub) == 0 ? 0
	                                                          : EMB_ECRYPTO;
}

void *
crypto_secret_alloc(size_t n)
{
	return sodium_malloc(n);
}

void
crypto_secret_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

void
crypto_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

void
crypto_keystream(const uint8_t key[CRYPTO_KEY_BYTES], const uint8_t nonce[8],
    uint8_t *out, size_t n)
{
	(void)crypto_stream_chacha20(out, n, nonce, key);
}
