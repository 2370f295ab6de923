#include <string.h>

#include "test.h"
#include "common/str.h"
#include "crypto/crypto.h"
#include "common/emb.h"

static uint8_t master[32], seed[32];

static int
setup(void **state)
{
	(void)state;
	if (crypto_lib_init() < 0)
		return -1;
	for (int i = 0; i < 32; i++) {
		master[i] = (uint8_t)i;
		seed[i] = (uint8_t)(100 + i);
	}
	return 0;
}

static void
test_tokens(void **state)
{
	struct crypto_keys *k;
	char t1[CRYPTO_TOKEN_STR], t2[CRYPTO_TOKEN_STR];
	uint8_t h1[32], h1b[32], h2[32];

	(void)state;
	assert_int_equal(crypto_keys_new(master, seed, &k), 0);
	crypto_token_new(t1);
	crypto_token_new(t2);
	assert_int_equal(strlen(t1), CRYPTO_TOKEN_LEN);
	assert_true(strncmp(t1, "emb_", 4) == 0);
	assert_true(crypto_token_well_formed(t1));
	assert_string_not_equal(t1, t2);
	crypto_token_hash(k, t1, h1);
	crypto_token_hash(k, t1, h1b);
	crypto_token_hash(k, t2, h2);
	assert_memory_equal(h1, h1b, 32);
	assert_true(crypto_equal(h1, h1b, 32));
	assert_false(crypto_equal(h1, h2, 32));
	/* The stored hash is keyed: another master gives another hash. */
	{
		struct crypto_keys *k2;
		uint8_t m2[32] = {1}, h3[32];
		assert_int_equal(crypto_keys_new(m2, seed, &k2), 0);
		crypto_token_hash(k2, t1, h3);
		assert_false(crypto_equal(h1, h3, 32));
		crypto_keys_free(k2);
	}
	assert_false(crypto_token_well_formed(""));
	assert_false(crypto_token_well_formed("emb_short"));
	t1[10] = '+';
	assert_false(crypto_token_well_formed(t1));
	t1[10] = 'a';
	t1[0] = 'x';
	assert_false(crypto_token_well_formed(t1));
	crypto_keys_free(k);
}

static void
test_seal_open(void **state)
{
	struct crypto_keys *k;
	struct buf sealed, plain;
	const char *msg = "proof of concept";

	(void)state;
	assert_int_equal(crypto_keys_new(master, seed, &k), 0);
	buf_init(&sealed, 1024);
	buf_init(&plain, 1024);
	assert_int_equal(crypto_seal(k, "ad", 2, msg, strlen(msg), &sealed), 0);
	assert_int_equal(sealed.len, strlen(msg) + CRYPTO_SEAL_OVERHEAD);
	assert_null(memmem(sealed.data, sealed.len, msg, strlen(msg)));
	assert_int_equal(
	    crypto_open(k, "ad", 2, sealed.data, sealed.len, &plain), 0);
	assert_int_equal(plain.len, strlen(msg));
	assert_memory_equal(plain.data, msg, plain.len);
	/* Wrong additional data, a flipped bit, truncation: refused. */
	buf_fini(&plain);
	assert_int_equal(
	    crypto_open(k, "xx", 2, sealed.data, sealed.len, &plain),
	    EMB_ECRYPTO);
	sealed.data[30] ^= 1;
	assert_int_equal(
	    crypto_open(k, "ad", 2, sealed.data, sealed.len, &plain),
	    EMB_ECRYPTO);
	sealed.data[30] ^= 1;
	assert_int_equal(
	    crypto_open(k, "ad", 2, sealed.data, 10, &plain), EMB_ECRYPTO);
	/* Another master key cannot open it. */
	{
		struct crypto_keys *k2;
		uint8_t m2[32] = {9};
		assert_int_equal(crypto_keys_new(m2, seed, &k2), 0);
		assert_int_equal(
		    crypto_open(k2, "ad", 2, sealed.data, sealed.len, &plain),
		    EMB_ECRYPTO);
		crypto_keys_free(k2);
	}
	/* The output buffer's limit holds. */
	{
		struct buf small;
		buf_init(&small, 8);
		assert_int_equal(
		    crypto_seal(k, NULL, 0, msg, strlen(msg), &small),
		    EMB_ETOOBIG);
		buf_fini(&small);
	}
	buf_fini(&sealed);
	buf_fini(&plain);
	crypto_keys_free(k);
}

static void
test_signatures(void **state)
{
	struct crypto_keys *k;
	uint8_t pub[32], sig[64];

	(void)state;
	assert_int_equal(crypto_keys_new(master, seed, &k), 0);
	crypto_sig_pub(k, pub);
	crypto_sig_make(k, "head", 4, sig);
	assert_int_equal(crypto_sig_check(pub, "head", 4, sig), 0);
	assert_int_equal(crypto_sig_check(pub, "heaD", 4, sig), EMB_ECRYPTO);
	sig[0] ^= 1;
	assert_int_equal(crypto_sig_check(pub, "head", 4, sig), EMB_ECRYPTO);
	crypto_keys_free(k);
}

static void
test_sha256_and_subkeys(void **state)
{
	struct crypto_keys *k;
	uint8_t h[32], a[32], b[32];
	char hex[65];

	(void)state;
	crypto_sha256("abc", 3, h);
	emb_hex(h, 32, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396"
	    "177a9cb410ff61f20015ad");
	assert_int_equal(crypto_keys_new(master, seed, &k), 0);
	/* Different purposes never share a key. */
	crypto_mac(k, CRYPTO_KEY_TOKEN, "x", 1, a);
	crypto_mac(k, CRYPTO_KEY_AUDIT, "x", 1, b);
	assert_false(crypto_equal(a, b, 32));
	crypto_keys_free(k);
	crypto_keys_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_seal_open),
	    cmocka_unit_test(test_signatures),
	    cmocka_unit_test(test_sha256_and_subkeys),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
